package com.acme;

import java.util.HashMap;
import java.util.Map;

/** Fills up to a fixed capacity and then stops growing (levels off). */
public final class CustomerCache {
    static final int CAPACITY = 3000;
    static final Map<String, byte[]> PROFILES = new HashMap<>();

    private CustomerCache() {}

    public static void remember(String customer, int bytes) {
        if (PROFILES.size() < CAPACITY || PROFILES.containsKey(customer)) {
            PROFILES.put(customer, new byte[bytes]);
        }
    }
}
