package com.acme;

public final class Order {
    final long id;
    final String customer;
    final byte[] payload;

    Order(long id, String customer, int bytes) {
        this.id = id;
        this.customer = customer;
        this.payload = new byte[bytes];
    }
}
