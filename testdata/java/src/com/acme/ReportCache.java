package com.acme;

import java.util.LinkedHashMap;
import java.util.Map;

/** Leak: an access-ordered LinkedHashMap meant as an LRU, but removeEldestEntry was never overridden. */
public final class ReportCache {
    public static final ReportCache INSTANCE = new ReportCache();

    private final Map<String, Report> reports = new LinkedHashMap<>(16, 0.75f, true);

    public Report render(String key, int bytes) {
        return reports.computeIfAbsent(key, k -> new Report(k, bytes));
    }
}
