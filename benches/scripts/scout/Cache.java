// scout12: a JDK 11 cache service heap for the held-out checks of issue #17 (see README.md), run with
// -XX:-UseCompressedOops (8-byte references) and ParallelGC. Shapes: an access-ordered LinkedHashMap LRU of
// String -> CacheEntry (byte[] payload, SoftReference to a decoded Object[], WeakReference to its owner), a TreeMap of
// Long -> UTF-16 String (a red-black tree ~40 deep), a WeakHashMap whose keys are held elsewhere, String.intern'd
// tags, and a finalizer backlog: objects with a finalize() whose first call blocks the finalizer thread, so every
// later one waits in java.lang.ref.Finalizer's list. Prints "READY" and blocks on stdin.
//   java -XX:-UseCompressedOops -Xmx10g Cache ENTRIES
import java.lang.ref.SoftReference;
import java.lang.ref.WeakReference;
import java.util.*;

public class Cache {
    static final class Owner {
        final String name;
        final long[] stats = new long[4];
        Owner(String name) { this.name = name; }
    }

    static final class CacheEntry {
        final byte[] payload;
        final long expiresAt;
        final SoftReference<Object[]> decoded;
        final Object[] strong;
        final WeakReference<Owner> owner;
        final String tag;

        CacheEntry(byte[] payload, long expiresAt, Object[] decoded, Owner owner, String tag) {
            this.payload = payload;
            this.expiresAt = expiresAt;
            this.decoded = SOFT ? new SoftReference<>(decoded) : null;
            this.strong = SOFT ? null : decoded;
            this.owner = new WeakReference<>(owner);
            this.tag = tag;
        }
    }

    static final class Leaky {
        static volatile boolean block = true;
        final byte[] native_ = new byte[600];
        @Override protected void finalize() throws Throwable {
            while (block) Thread.sleep(1_000_000);
        }
    }

    // Variants for isolating costs (system properties, default true): -Dscout.soft=false holds the decoded
    // Object[] strongly, -Dscout.linked=false uses a plain HashMap, -Dscout.finalizer=false makes no backlog.
    static final boolean SOFT = !"false".equals(System.getProperty("scout.soft"));
    static final boolean LINKED = !"false".equals(System.getProperty("scout.linked"));
    static final boolean FINALIZER = !"false".equals(System.getProperty("scout.finalizer"));
    static final int CAP = Integer.MAX_VALUE;
    static final Map<String, CacheEntry> LRU = LINKED ? new LinkedHashMap<>(16, 0.75f, true) {
        @Override protected boolean removeEldestEntry(Map.Entry<String, CacheEntry> e) { return size() > CAP; }
    } : new HashMap<>();
    static final TreeMap<Long, String> TIMELINE = new TreeMap<>();
    static final WeakHashMap<Owner, List<String>> SEEN = new WeakHashMap<>();
    static final ArrayList<Owner> OWNERS = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        Random r = new Random(11);
        for (int i = 0; i < n / 20; i++) OWNERS.add(new Owner("owner-" + i));
        for (int i = 0; i < n; i++) {
            Owner o = OWNERS.get(i % OWNERS.size());
            byte[] p = new byte[32 + r.nextInt(224)];
            Object[] dec = {Integer.valueOf(i), "d" + i, new int[2]};
            String tag = ("tag-" + (i % 5000)).intern();
            LRU.put("key:" + Integer.toHexString(i * 31), new CacheEntry(p, 1_700_000_000L + i, dec, o, tag));
            if (i % 2 == 0) TIMELINE.put(r.nextLong(), "événement №" + i + " — ok");
            if (i % 3 == 0) LRU.get("key:" + Integer.toHexString((i / 2) * 31));
        }
        for (Owner o : OWNERS) SEEN.put(o, new ArrayList<>(List.of(o.name, "x")));
        if (FINALIZER) for (int i = 0; i < n / 4; i++) new Leaky();
        System.gc();
        Thread.sleep(3000);
        System.out.println("READY");
        System.out.flush();
        new Scanner(System.in).nextLine();
        System.exit(0);
    }
}
