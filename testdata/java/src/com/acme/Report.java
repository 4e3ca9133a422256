package com.acme;

public final class Report {
    final String key;
    final byte[] rendered;

    Report(String key, int bytes) {
        this.key = key;
        this.rendered = new byte[bytes];
    }
}
