package com.acme.coll;

final class Item {
    final int id;
    final byte[] data;

    Item(int id) {
        this.id = id;
        this.data = new byte[280];
    }
}
