package com.acme;

public final class Product {
    final long id;
    final String name;
    final double[] priceHistory;

    Product(long id, String name, int points) {
        this.id = id;
        this.name = name;
        this.priceHistory = new double[points];
    }
}
