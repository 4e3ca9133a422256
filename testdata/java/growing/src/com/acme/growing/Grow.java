package com.acme.growing;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A collection that only grows, held by a static field (testdata/java/growing/README.md).
 *
 *   java Grow map|list            grows until the heap runs out (run with -Xmx and
 *                                 -XX:+HeapDumpOnOutOfMemoryError: the JVM dumps the heap where
 *                                 the allocation fails); prints where it failed
 *   java Grow map|list N FILE     adds N entries, then dumps the live heap to FILE (the same
 *                                 program's ordinary dump, between two calls)
 *
 * map:  SeenIds.SEEN, a HashMap of every id ever seen (Integer keys, one shared value), which
 *       fails most often in HashMap.resize: the old table is then a local variable of resize.
 * list: AuditLog.ENTRIES, an ArrayList of 16-byte records, which fails in ArrayList.grow
 *       (Arrays.copyOf): the old elementData is then a local variable of copyOf.
 */
public class Grow {
    static final class SeenIds {
        static final Map<Integer, Boolean> SEEN = new HashMap<>();
    }

    static final class AuditLog {
        static final List<long[]> ENTRIES = new ArrayList<>();
    }

    public static void main(String[] args) throws Exception {
        boolean map = args[0].equals("map");
        long n = args.length > 1 ? Long.parseLong(args[1]) : Long.MAX_VALUE;
        try {
            for (int i = 0; i < n; i++) {
                if (map) {
                    SeenIds.SEEN.put(i, Boolean.TRUE);
                } else {
                    AuditLog.ENTRIES.add(new long[] {i});
                }
            }
        } catch (OutOfMemoryError e) {
            // The heap was dumped as the allocation failed; free it to say where.
            SeenIds.SEEN.clear();
            AuditLog.ENTRIES.clear();
            StackTraceElement[] s = e.getStackTrace();
            System.out.println("OutOfMemoryError at " + (s.length > 0 ? s[0] : "?"));
            for (int i = 1; i < s.length; i++) {
                System.out.println("\tat " + s[i]);
            }
            return;
        }
        if (args.length > 2) {
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).dumpHeap(args[2], true);
        }
    }
}
