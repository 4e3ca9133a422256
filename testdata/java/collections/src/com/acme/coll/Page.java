package com.acme.coll;

final class Page {
    final String key;
    final byte[] html;

    Page(String key) {
        this.key = key;
        this.html = new byte[600];
    }
}
