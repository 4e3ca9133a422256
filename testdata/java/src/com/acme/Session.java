package com.acme;

/** One user session; the payload is what makes the leak visible. */
public final class Session {
    final String id;
    final long createdAt;
    final byte[] attributes;

    Session(String id, long createdAt, int payload) {
        this.id = id;
        this.createdAt = createdAt;
        this.attributes = new byte[payload];
    }
}
