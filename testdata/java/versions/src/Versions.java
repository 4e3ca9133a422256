// Scenario for the cross-version HPROF fixtures (testdata/java/versions/). Compiled with --release 11 so the same
// class file runs on JDK 11, 17, 21 and 25. Default package on purpose (no dependency on the main fixtures' sources).
//
// Holds: a static HashMap of 20,000 Small (one int + a 16-byte byte[]) keyed by "k<i>" Strings; 1,000 OneByte
// (a class whose only field is a `byte`); 3 instances of Cache (a SoftReference subclass) holding a 64 KiB byte[]
// each (strongly reachable too, so it survives); a few Strings (Latin-1 and UTF-16); a long[] / double[] / char[] /
// boolean[] / short[] / float[] each, so every primitive array type appears. Then System.gc(), prints READY and
// blocks on stdin (main thread in a Java frame holding locals) until a line arrives.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.ref.SoftReference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

public class Versions {
    static final class Small {
        final int n;
        final byte[] data = new byte[16];
        Small(int n) { this.n = n; }
    }

    static final class OneByte {
        byte b;
        OneByte(byte b) { this.b = b; }
    }

    static final class Cache extends SoftReference<byte[]> {
        final String name;
        Cache(String name, byte[] v) { super(v); this.name = name; }
    }

    static final Map<String, Small> MAP = new HashMap<>();
    static final List<OneByte> BYTES = new ArrayList<>();
    static final List<Cache> CACHES = new ArrayList<>();
    static final List<byte[]> STRONG = new ArrayList<>();
    static final Object[] PRIMS = {
        new long[100], new double[100], new char[100], new boolean[100], new short[100], new float[100], new int[100],
    };
    static final String LATIN1 = "heapscope-latin1-string";
    static final String UTF16 = "heapscope-utf16-\u00e9\u4e2d\u6587";

    public static void main(String[] args) throws Exception {
        for (int i = 0; i < 20_000; i++) {
            MAP.put("k" + i, new Small(i));
        }
        for (int i = 0; i < 1_000; i++) {
            BYTES.add(new OneByte((byte) i));
        }
        for (int i = 0; i < 3; i++) {
            byte[] v = new byte[64 * 1024];
            STRONG.add(v);
            CACHES.add(new Cache("cache-" + i, v));
        }
        String local = LATIN1 + UTF16 + MAP.size();
        System.gc();
        System.out.println("READY " + local.length());
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in)).readLine();
        System.out.println(local.hashCode() + BYTES.size() + CACHES.size());
    }
}
