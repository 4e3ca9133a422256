package com.acme.healthy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A healthy service in steady state: the control of the over-time reports (testdata/java/healthy_series/README.md).
 *
 * Four worker threads serve requests in batches. Every request allocates and drops its own garbage (the parsed
 * request, a scratch buffer, the rendered response) and looks a product up in a bounded LRU cache
 * ({@link #CAPACITY} entries of {@link #VALUE_BYTES}-byte values, evicting the eldest). The only other state is
 * bounded: a fixed ring of recent latencies and a per-endpoint hit counter over a fixed set of endpoints.
 *
 * The cache is filled by a warm-up of {@link #WARMUP} requests before the first dump; then each step serves
 * {@link #PER_STEP} more requests, calls System.gc(), prints "READY step=N" and blocks reading stdin while gen.sh
 * takes the class histogram and the heap dump. Nothing is kept across requests except the cache (full, churning)
 * and the two fixed-size structures, so the heap is the same size at every dump.
 */
public final class HealthyService {
    static final int CAPACITY = 2_000;
    static final int VALUE_BYTES = 512;
    static final int KEYS = 10_000;
    static final int WARMUP = 60_000;
    static final int PER_STEP = 40_000;
    static final int WORKERS = 4;
    static final String[] ENDPOINTS = {"/product", "/search", "/cart", "/checkout", "/health", "/price", "/stock", "/user"};

    /** The bounded cache: an access-ordered LinkedHashMap that drops its eldest entry beyond CAPACITY. */
    static final class ProductCache extends LinkedHashMap<String, byte[]> {
        ProductCache() {
            super(CAPACITY * 2, 0.75f, true);
        }

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
            return size() > CAPACITY;
        }
    }

    static final ProductCache CACHE = new ProductCache();
    static final AtomicLongArray LATENCY_RING = new AtomicLongArray(1_024);
    static final AtomicLongArray HITS = new AtomicLongArray(ENDPOINTS.length);
    static long served;

    /** A parsed request: lives for one call. */
    record Request(int endpoint, String key, List<String> params) {}

    static Request parse(String line) {
        String[] parts = line.split(" ");
        List<String> params = new ArrayList<>();
        for (int i = 2; i < parts.length; i++) {
            params.add(parts[i]);
        }
        int endpoint = 0;
        for (int i = 0; i < ENDPOINTS.length; i++) {
            if (ENDPOINTS[i].equals(parts[0])) {
                endpoint = i;
            }
        }
        return new Request(endpoint, parts[1], params);
    }

    static byte[] load(String key) {
        byte[] v = new byte[VALUE_BYTES];
        byte[] k = key.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < v.length; i++) {
            v[i] = k[i % k.length];
        }
        return v;
    }

    static byte[] product(String key) {
        synchronized (CACHE) {
            byte[] v = CACHE.get(key);
            if (v == null) {
                v = load(key);
                CACHE.put(key, v);
            }
            return v;
        }
    }

    /** "sku-" and the number in five digits. */
    static String sku(int k) {
        String digits = Integer.toString(k);
        return "sku-" + "00000".substring(digits.length()) + digits;
    }

    static int handle(long n) {
        long start = System.nanoTime();
        // Skewed key choice: a hot set that stays cached and a long tail that churns the LRU.
        int k = (int) ((n * 2_654_435_761L) % KEYS);
        if (n % 3 != 0) {
            k = k % (CAPACITY / 2);
        }
        String line = ENDPOINTS[(int) (n % ENDPOINTS.length)] + " " + sku(k) + " lang=en page=" + (n % 7);
        Request r = parse(line);
        byte[] value = product(r.key());
        byte[] scratch = new byte[4_096 + (int) (n % 2_048)];
        System.arraycopy(value, 0, scratch, 0, value.length);
        StringBuilder out = new StringBuilder(256);
        out.append("{\"sku\":\"").append(r.key()).append("\",\"params\":").append(r.params()).append(",\"bytes\":")
                .append(scratch.length).append('}');
        String response = out.toString();
        HITS.incrementAndGet(r.endpoint());
        LATENCY_RING.set((int) (n % LATENCY_RING.length()), System.nanoTime() - start);
        return response.length();
    }

    static void serve(ExecutorService pool, int requests) throws Exception {
        List<Future<Long>> done = new ArrayList<>();
        int share = requests / WORKERS;
        for (int w = 0; w < WORKERS; w++) {
            long from = served + (long) w * share;
            done.add(pool.submit(() -> {
                long bytes = 0;
                for (long n = from; n < from + share; n++) {
                    bytes += handle(n);
                }
                return bytes;
            }));
        }
        for (Future<Long> f : done) {
            f.get();
        }
        served += (long) share * WORKERS;
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
        serve(pool, WARMUP);
        for (int step = 1; ; step++) {
            serve(pool, PER_STEP);
            System.gc();
            System.out.println("READY step=" + step + " served=" + served + " cached=" + CACHE.size());
            System.out.flush();
            String line = in.readLine();
            if (line == null || !line.trim().equals("step")) {
                break;
            }
        }
        pool.shutdown();
    }
}
