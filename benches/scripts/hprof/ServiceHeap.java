import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.ref.SoftReference;
import java.lang.reflect.Method;
import java.math.BigDecimal;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/**
 * A service-like heap for the HPROF breadth bench (make-service.sh), unlike BigHeap's and
 * ShapesHeap's: runs on JDK 11 and newer (compiled with --release 11; on 21+ it also parks
 * virtual threads). SCALE sessions set everything's size:
 * - a ConcurrentHashMap of SCALE sessions (id String, user String from a shared pool, int[]
 *   counters, a HashMap of attributes with boxed values and an ArrayList of boxed Longs, a
 *   byte[] token of 16..64 bytes, an ArrayDeque inbox of 0..3 requests, each with a char[] body
 *   of 8..1024 chars, a lambda callback capturing the session and an Object[] of boxed args);
 * - 32 ConcurrentHashMap cache regions with 3 × SCALE entries in all (String keys; Long,
 *   Price{sku, BigDecimal, currency}, String or int[] values);
 * - an access-order LinkedHashMap LRU of SCALE/4 byte[] of 64..4096 bytes, a TreeMap index of
 *   SCALE/2 Strings, a WeakHashMap keyed by sessions, SoftReferences to 1 KiB buffers;
 * - listener lists (CopyOnWriteArrayList and a topic HashMap of ArrayLists of lambdas), 64
 *   ArrayDeque work queues of lambdas, a LinkedBlockingQueue and a ConcurrentLinkedQueue
 *   (linked chains of SCALE/5 and SCALE/3 nodes);
 * - BIG million-element arrays: long[BIG × 5 M], int[BIG × 2 M], double[BIG × 1 M] and an
 *   Object[BIG × 1 M] of distinct boxed Integers;
 * - THREADS platform threads, each with three ThreadLocals (a 32 KiB byte[], a StringBuilder, a
 *   HashMap of 500 entries) and 48 frames deep, every frame holding its own objects in locals,
 *   parked on a latch; on JDK 21+ also 2,000 parked virtual threads holding a list each;
 * - garbage left unreachable at the end (a dropped LinkedList-like chain of SCALE nodes and
 *   dropped arrays), which only `GC.heap_dump -all` keeps.
 *
 * Usage: java -Xmx8g ServiceHeap SCALE BIG THREADS; prints "READY" and waits for a line on stdin.
 */
public final class ServiceHeap {
    static final Map<String, Session> SESSIONS = new ConcurrentHashMap<>();
    static final List<ConcurrentHashMap<String, Object>> REGIONS = new ArrayList<>();
    static final List<Consumer<Object>> LISTENERS = new CopyOnWriteArrayList<>();
    static final Map<String, List<Consumer<Object>>> TOPICS = new HashMap<>();
    static final List<ArrayDeque<Runnable>> WORK = new ArrayList<>();
    static final LinkedBlockingQueue<Object> PENDING = new LinkedBlockingQueue<>();
    static final ConcurrentLinkedQueue<String> AUDIT = new ConcurrentLinkedQueue<>();
    static final TreeMap<Long, String> INDEX = new TreeMap<>();
    static final WeakHashMap<Session, String> SESSION_META = new WeakHashMap<>();
    static final List<SoftReference<byte[]>> SOFT = new ArrayList<>();
    static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[32 * 1024]);
    static final ThreadLocal<StringBuilder> TEXT = ThreadLocal.withInitial(() -> new StringBuilder(4096));
    static final ThreadLocal<Map<String, Object>> CONTEXT = ThreadLocal.withInitial(HashMap::new);
    static final CountDownLatch RELEASE = new CountDownLatch(1);
    static long[] bigLongs;
    static int[] bigInts;
    static double[] bigDoubles;
    static Object[] bigRefs;
    static Map<Long, byte[]> lru;

    static final String[] PATHS = new String[200];
    static final String[] LOCALES = {"en-US", "de-DE", "fr-FR", "ja-JP", "pt-BR", "es-ES", "it-IT", "nl-NL"};
    static final String[] CURRENCIES = {"USD", "EUR", "JPY", "GBP", "CHF"};

    static final class Price {
        final long sku;
        final BigDecimal amount;
        final String currency;
        Price(long sku, BigDecimal amount, String currency) {
            this.sku = sku; this.amount = amount; this.currency = currency;
        }
    }

    static final class Request {
        final long id;
        final String path;
        final char[] body;
        final Runnable callback;
        final Object[] args;
        Request(long id, String path, char[] body, Runnable callback, Object[] args) {
            this.id = id; this.path = path; this.body = body; this.callback = callback; this.args = args;
        }
    }

    static final class Session {
        final String id;
        final String user;
        final long created;
        final int[] counters = new int[8];
        final Map<String, Object> attrs = new HashMap<>();
        final byte[] token;
        final ArrayDeque<Request> inbox = new ArrayDeque<>(4);
        Consumer<Object> onClose;
        long touched;
        Session(String id, String user, long created, byte[] token) {
            this.id = id; this.user = user; this.created = created; this.token = token;
        }
        void touch() { touched++; }
    }

    static final class Link {
        final Object value;
        Link next;
        Link(Object value) { this.value = value; }
    }

    /** Deterministic pseudo-random numbers (xorshift), so a scale gives the same heap shape. */
    static long seed = 0x9E3779B97F4A7C15L;
    static int rnd(int bound) {
        seed ^= seed << 13; seed ^= seed >>> 7; seed ^= seed << 17;
        return (int) ((seed >>> 1) % bound);
    }

    /** 8..1024, most small (a geometric-ish spread of buffer sizes). */
    static int varied(int min, int max) {
        int size = min;
        while (size < max && rnd(3) != 0) size *= 2;
        return Math.min(max, size + rnd(size));
    }

    public static void main(String[] args) throws Exception {
        int scale = Integer.parseInt(args[0]);
        int big = Integer.parseInt(args[1]);
        int threads = Integer.parseInt(args[2]);
        for (int i = 0; i < PATHS.length; i++) PATHS[i] = "/api/v" + (i % 3 + 1) + "/resource-" + i;
        String[] users = new String[Math.max(1, scale / 20)];
        for (int i = 0; i < users.length; i++) users[i] = "user" + (i * 7919L % 1000003) + "@example.org";

        sessions(scale, users);
        caches(scale);
        lru = new LinkedHashMap<>(16, 0.75f, true);
        for (long i = 0; i < scale / 4; i++) lru.put(i * 31, new byte[varied(64, 4096)]);
        for (long i = 0; i < scale / 4; i += 3) lru.get(i * 31); // reorder the access list
        for (int i = 0; i < scale / 2; i++) INDEX.put((long) rnd(Integer.MAX_VALUE), "idx-" + i);
        int m = 0;
        for (Session s : SESSIONS.values()) if (m++ % 10 == 0) SESSION_META.put(s, "meta-" + m);
        for (int i = 0; i < Math.max(1, scale / 10); i++) SOFT.add(new SoftReference<>(new byte[1024]));
        listeners(scale);
        queues(scale);
        bigArrays(big);
        CountDownLatch parked = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            final int id = t;
            Thread th = new Thread(() -> worker(id, 48, parked), "worker-" + t);
            th.setDaemon(true);
            th.start();
        }
        parked.await();
        int virtual = virtualThreads(2000);
        garbage(scale);
        System.out.println("READY sessions=" + SESSIONS.size() + " threads=" + threads + " virtual=" + virtual);
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in)).readLine();
        RELEASE.countDown();
    }

    static void sessions(int scale, String[] users) {
        long reqId = 0;
        for (int i = 0; i < scale; i++) {
            byte[] token = new byte[16 + 16 * rnd(4)];
            token[0] = (byte) i;
            Session s = new Session("sess-" + Long.toHexString(i * 0x9E3779B97F4A7C15L), users[rnd(users.length)],
                    1_700_000_000_000L + i, token);
            s.attrs.put("locale", LOCALES[rnd(LOCALES.length)]);
            s.attrs.put("visits", 1000 + rnd(100000));
            if (rnd(2) == 0) s.attrs.put("score", rnd(1000) / 7.0);
            if (rnd(3) != 0) {
                List<Long> cart = new ArrayList<>();
                for (int c = rnd(6); c > 0; c--) cart.add(100_000L + rnd(1_000_000));
                s.attrs.put("cart", cart);
            }
            if (rnd(4) == 0) s.attrs.put("referrer", "https://ref" + rnd(5000) + ".example.com/");
            for (int r = rnd(4); r > 0; r--) {
                final Session owner = s;
                Object[] a = new Object[2 + rnd(3)];
                for (int k = 0; k < a.length; k++) a[k] = (k % 2 == 0) ? (Object) (long) (rnd(1 << 20) + 128) : (Object) PATHS[k];
                s.inbox.add(new Request(reqId++, PATHS[rnd(PATHS.length)], new char[varied(8, 1024)], owner::touch, a));
            }
            final Session owner = s;
            s.onClose = evt -> owner.touch();
            SESSIONS.put(s.id, s);
        }
    }

    static void caches(int scale) {
        for (int r = 0; r < 32; r++) REGIONS.add(new ConcurrentHashMap<>());
        for (int i = 0; i < 3 * scale; i++) {
            int region = rnd(32);
            String key = "r" + region + ":k" + i;
            Object value;
            switch (i % 4) {
                case 0: value = (long) i * 1_000_003L; break;
                case 1: value = new Price(i, BigDecimal.valueOf(rnd(10_000_000), 2), CURRENCIES[rnd(CURRENCIES.length)]); break;
                case 2: value = "v" + Integer.toString(i, 36) + "-" + rnd(1000); break;
                default: value = new int[1 + rnd(12)]; break;
            }
            REGIONS.get(region).put(key, value);
        }
    }

    static void listeners(int scale) {
        for (int i = 0; i < Math.max(1, scale / 50); i++) {
            final int n = i;
            final long[] seen = new long[4];
            LISTENERS.add(evt -> seen[n % 4]++);
        }
        for (int t = 0; t < 100; t++) {
            List<Consumer<Object>> list = new ArrayList<>();
            for (int i = 0; i < 20 + rnd(200); i++) {
                final String topic = "topic-" + t;
                final Map<String, Object> state = new HashMap<>();
                state.put("count", i + 1000);
                list.add(evt -> state.put(topic, evt));
            }
            TOPICS.put("topic-" + t, list);
        }
    }

    static void queues(int scale) {
        List<Request> some = new ArrayList<>();
        for (Session s : SESSIONS.values()) {
            some.addAll(s.inbox);
            if (some.size() >= 4096) break;
        }
        for (int q = 0; q < 64; q++) WORK.add(new ArrayDeque<>());
        for (int i = 0; i < scale / 2; i++) {
            final Request r = some.get(rnd(some.size()));
            final int attempt = i;
            WORK.get(i % 64).add(() -> { if (attempt < 0) r.callback.run(); });
        }
        for (int i = 0; i < scale / 5; i++) PENDING.add(new long[] {i, rnd(1000)});
        for (int i = 0; i < scale / 3; i++) AUDIT.add("audit " + i + " " + PATHS[i % PATHS.length]);
    }

    static void bigArrays(int big) {
        bigLongs = new long[big * 5_000_000];
        for (int i = 0; i < bigLongs.length; i += 97) bigLongs[i] = i;
        bigInts = new int[big * 2_000_000];
        bigDoubles = new double[big * 1_000_000];
        bigRefs = new Object[big * 1_000_000];
        for (int i = 0; i < bigRefs.length; i++) bigRefs[i] = Integer.valueOf(1000 + i);
    }

    /** One platform thread: ThreadLocals, then `depth` frames, each with objects only its locals hold. */
    static void worker(int id, int depth, CountDownLatch parked) {
        SCRATCH.get()[0] = (byte) id;
        TEXT.get().append("worker ").append(id);
        Map<String, Object> ctx = CONTEXT.get();
        for (int i = 0; i < 500; i++) ctx.put("k" + i, new int[] {id, i});
        frame(id, depth, null, parked);
    }

    static int frame(int id, int depth, Object[] above, CountDownLatch parked) {
        Object[] locals = new Object[8];
        for (int i = 0; i < locals.length; i++) locals[i] = (i % 2 == 0) ? new StringBuilder("f" + depth) : new long[depth + i];
        String label = "frame-" + id + "-" + depth;
        if (depth > 0) return frame(id, depth - 1, locals, parked) + label.length() + (above == null ? 0 : above.length);
        parked.countDown();
        try {
            RELEASE.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return locals.length + label.length();
    }

    /** On JDK 21+: `count` parked virtual threads each holding a list in a local (reflection: compiled for 11). */
    static int virtualThreads(int count) throws Exception {
        Method ofVirtual;
        try {
            ofVirtual = Thread.class.getMethod("ofVirtual");
        } catch (NoSuchMethodException e) {
            return 0;
        }
        Object builder = ofVirtual.invoke(null);
        Method start = Class.forName("java.lang.Thread$Builder").getMethod("start", Runnable.class);
        CountDownLatch parked = new CountDownLatch(count);
        for (int i = 0; i < count; i++) {
            final int n = i;
            start.invoke(builder, (Runnable) () -> {
                List<String> held = new ArrayList<>();
                for (int k = 0; k < 50; k++) held.add("vt-" + n + "-" + k);
                parked.countDown();
                try {
                    RELEASE.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (held.isEmpty()) System.out.println();
            });
        }
        parked.await();
        return count;
    }

    /** Unreachable at dump time: a chain of `scale` links and scattered arrays (kept only by -all). */
    static void garbage(int scale) {
        Link head = null;
        for (int i = 0; i < scale; i++) {
            Link l = new Link(i % 3 == 0 ? new byte[24] : null);
            l.next = head;
            head = l;
        }
        Object[] junk = new Object[scale / 2];
        for (int i = 0; i < junk.length; i++) junk[i] = new char[rnd(64)];
        if (head.next == null || junk.length < 0) System.out.println("unexpected");
    }
}
