package com.acme.scenario;

import com.acme.ProductCache;
import com.acme.ReportCache;
import com.acme.harness.Harness;

/** Two caches without eviction: ProductCache.CACHE (ConcurrentHashMap) and ReportCache.INSTANCE.reports (LinkedHashMap). */
public final class Caches {
    public static void main(String[] args) {
        for (long id = 0; id < 6_000; id++) {
            ProductCache.get(id);
        }
        for (int i = 0; i < 2_500; i++) {
            ReportCache.INSTANCE.render("report-" + i, 512);
        }
        Harness.ready("caches products=6000 reports=2500");
    }
}
