package com.acme;

import java.util.concurrent.ConcurrentHashMap;

/** Leak: a cache without eviction (entries are only ever put). */
public final class ProductCache {
    static final ConcurrentHashMap<Long, Product> CACHE = new ConcurrentHashMap<>();

    private ProductCache() {}

    public static Product get(long id) {
        return CACHE.computeIfAbsent(id, k -> new Product(k, "product-" + k, 24));
    }
}
