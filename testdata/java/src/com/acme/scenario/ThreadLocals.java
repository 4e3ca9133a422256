package com.acme.scenario;

import com.acme.RequestContext;
import com.acme.harness.Harness;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A pool of 4 workers ("worker-1".."worker-4"); each handles one request and keeps its 640 KiB buffer in
 * RequestContext.BUFFER afterwards. At dump time the workers are idle (parked in the pool's queue).
 */
public final class ThreadLocals {
    public static void main(String[] args) throws Exception {
        AtomicInteger n = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        CyclicBarrier all = new CyclicBarrier(4);
        List<Future<Object>> done = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            done.add(pool.submit(() -> {
                RequestContext.handle(640 * 1024);
                all.await(); // makes every worker take exactly one task
                return null;
            }));
        }
        for (Future<Object> f : done) {
            f.get();
        }
        done = null;
        Harness.ready("thread_locals workers=4");
        pool.shutdownNow();
    }
}
