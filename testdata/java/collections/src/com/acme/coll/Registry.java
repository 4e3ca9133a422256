package com.acme.coll;

import java.util.HashMap;

/** A collection by inheritance: `class Registry extends HashMap`. */
final class Registry extends HashMap<Integer, Item> {
    private static final long serialVersionUID = 1L;
    final String name = "items";
}
