package com.acme.scenario;

import com.acme.NativeHandle;
import com.acme.StuckFinalizer;
import com.acme.harness.Harness;
import java.util.concurrent.TimeUnit;

/**
 * A StuckFinalizer blocks the Finalizer thread forever; then 3,000 NativeHandle objects (1 KiB each) become
 * unreachable. They stay in memory, reachable only through java.lang.ref.Finalizer (referent / queue).
 */
public final class FinalizerBacklog {
    public static void main(String[] args) throws Exception {
        new StuckFinalizer();
        for (int i = 0; i < 50 && StuckFinalizer.ENTERED.getCount() > 0; i++) {
            System.gc();
            StuckFinalizer.ENTERED.await(100, TimeUnit.MILLISECONDS);
        }
        if (StuckFinalizer.ENTERED.getCount() > 0) {
            throw new IllegalStateException("finalizer thread never entered StuckFinalizer.finalize");
        }
        for (int i = 0; i < 3_000; i++) {
            new NativeHandle(i, 1024);
        }
        System.gc();
        System.gc();
        Harness.ready("finalizer_backlog handles=3000");
    }
}
