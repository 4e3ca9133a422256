package com.acme.coll;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Java collections as programs write them (testdata/java/collections/README.md): an anonymous access-ordered
 * LinkedHashMap LRU whose bound is far above what it holds ({@link PageCache#PAGES}), a class that extends HashMap
 * ({@link Registry}), and a plain HashMap whose keys collide in groups of four ({@link #INDEX}), so that its table's
 * non-empty buckets are a quarter of its entries. Writes each collection's size() to the file named by its
 * argument, calls System.gc(), prints "READY" and blocks reading stdin.
 */
public final class Collections {
    /** The plain HashMap: keys whose hashCode() is shared by four keys each. */
    static final Map<Key, Doc> INDEX = new HashMap<>();
    static final Registry REGISTRY = new Registry();

    static final int PAGES = 5_000;
    static final int ITEMS = 4_000;
    static final int DOCS = 4_000;

    public static void main(String[] args) throws Exception {
        for (int i = 0; i < PAGES; i++) {
            PageCache.get("page-" + i);
        }
        for (int i = 0; i < ITEMS; i++) {
            REGISTRY.put(i, new Item(i));
        }
        for (int i = 0; i < DOCS; i++) {
            INDEX.put(new Key(i), new Doc(i));
        }
        try (PrintWriter out = new PrintWriter(args[0], "UTF-8")) {
            out.println("PageCache.PAGES " + PageCache.PAGES.getClass().getName() + " extends "
                    + PageCache.PAGES.getClass().getSuperclass().getName() + " size=" + PageCache.PAGES.size());
            out.println("Collections.REGISTRY " + REGISTRY.getClass().getName() + " extends "
                    + REGISTRY.getClass().getSuperclass().getName() + " size=" + REGISTRY.size());
            out.println("Collections.INDEX " + INDEX.getClass().getName() + " size=" + INDEX.size()
                    + " distinct-hashes=" + (DOCS / Key.SHARED));
        }
        System.gc();
        System.out.println("READY");
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in)).readLine();
    }

    /** A key four of which share each hash code: chains of four in the table (below TREEIFY_THRESHOLD). */
    static final class Key {
        static final int SHARED = 4;
        final int id;

        Key(int id) {
            this.id = id;
        }

        @Override
        public int hashCode() {
            return id / SHARED;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key && ((Key) o).id == id;
        }
    }

    static final class Doc {
        final byte[] body;

        Doc(int i) {
            body = new byte[300 + i % 7];
        }
    }
}
