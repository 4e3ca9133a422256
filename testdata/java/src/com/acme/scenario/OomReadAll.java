package com.acme.scenario;

import com.acme.LogLoader;
import java.io.BufferedReader;
import java.util.List;

/**
 * Thread "log-reader" reads an endless log into a list (LogLoader.readAll) until the heap runs out; run with
 * -XX:+HeapDumpOnOutOfMemoryError, the JVM dumps the heap as the allocation fails.
 */
public final class OomReadAll {
    public static void main(String[] args) throws Exception {
        Thread t = new Thread(() -> {
            try {
                List<String> all = LogLoader.readAll(new BufferedReader(LogLoader.endlessLog()));
                System.out.println("read " + all.size());
            } catch (java.io.IOException e) {
                throw new RuntimeException(e);
            }
        }, "log-reader");
        t.start();
        t.join();
    }
}
