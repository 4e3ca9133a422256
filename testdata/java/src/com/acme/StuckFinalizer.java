package com.acme;

import java.util.concurrent.CountDownLatch;

/** Its finalize() never returns, so the single Finalizer thread stops and the queue backs up. */
public final class StuckFinalizer {
    public static final CountDownLatch ENTERED = new CountDownLatch(1);
    private static final Object FOREVER = new Object();

    @Override
    @SuppressWarnings({"deprecation", "removal"})
    protected void finalize() throws InterruptedException {
        ENTERED.countDown();
        synchronized (FOREVER) {
            while (true) {
                FOREVER.wait();
            }
        }
    }
}
