package com.acme.scenario;

import com.acme.LruCache;
import com.acme.harness.Harness;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Control: a bounded LRU (200 entries), a short work list, nothing accumulating. */
public final class Healthy {
    public static void main(String[] args) {
        Map<String, byte[]> lru = new LruCache<>(200);
        for (int i = 0; i < 20_000; i++) {
            lru.put("k" + (i % 5_000), new byte[256]);
        }
        List<String> work = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            work.add("job-" + i);
        }
        Harness.ready("healthy lru=" + lru.size() + " work=" + work.size());
    }
}
