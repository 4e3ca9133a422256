package com.acme.coll;

import java.util.LinkedHashMap;
import java.util.Map;

/** The LRU idiom: an anonymous access-ordered LinkedHashMap whose removeEldestEntry bound is far too high. */
public final class PageCache {
    static final int MAX_PAGES = 1_000_000;

    static final Map<String, Page> PAGES = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Page> eldest) {
            return size() > MAX_PAGES;
        }
    };

    private PageCache() {}

    static Page get(String key) {
        return PAGES.computeIfAbsent(key, Page::new);
    }
}
