// scout12: a JDK 21 "service mesh" heap for the held-out checks of issue #17 (see README.md).
// Shapes: many small collections (HashMap per order, ArrayList of boxed values, ConcurrentHashMap of
// ArrayList<Long>), records, Strings (Latin-1 and UTF-16), capturing lambdas, hidden classes defined at run
// time, 200 platform threads parked 60 frames deep, N virtual threads parked 20 frames deep, a random binary
// search tree, two big double[]. Prints "READY" and blocks on stdin until a line arrives.
//   java -Xmx8g Mesh ORDERS VTHREADS HIDDEN
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.util.*;
import java.util.concurrent.*;
import java.util.function.Supplier;

public class Mesh {
    record Order(long id, String customer, List<Integer> items, Map<String, Object> attrs) {}

    static final class TreeNode {
        TreeNode left, right;
        final long key;
        final Object payload;

        TreeNode(long key, Object payload) {
            this.key = key;
            this.payload = payload;
        }
    }

    public static final class Gen {
        public long a = 1, b = 2;
        public Object held = new int[4];
    }

    static final HashMap<String, Order> ORDERS = new HashMap<>();
    static final ConcurrentHashMap<Integer, ArrayList<Long>> INDEX = new ConcurrentHashMap<>();
    static final ArrayList<Supplier<String>> CALLBACKS = new ArrayList<>();
    static final ArrayList<Object> HIDDEN = new ArrayList<>();
    static TreeNode tree;
    static double[] bigA, bigB;
    static final CountDownLatch HOLD = new CountDownLatch(1);
    static final List<Thread> THREADS = new ArrayList<>();

    static final String[] CITIES = {"Zürich", "Kraków", "São Paulo", "東京", "Москва", "Lyon", "Austin", "Pune"};

    static int depth(int d, Object held) throws InterruptedException {
        if (d > 0) return depth(d - 1, new long[] {d}) + (held == null ? 0 : 1);
        HOLD.await();
        return held.hashCode();
    }

    public static void main(String[] args) throws Exception {
        int orders = Integer.parseInt(args[0]);
        int vthreads = Integer.parseInt(args[1]);
        int hidden = Integer.parseInt(args[2]);
        Random r = new Random(17);
        for (int i = 0; i < orders; i++) {
            String customer = "cust-" + (i % 100_000) + "-" + CITIES[i % CITIES.length] + "-" + i;
            ArrayList<Integer> items = new ArrayList<>();
            for (int k = 0, n = 1 + r.nextInt(6); k < n; k++) items.add(200 + r.nextInt(100_000));
            HashMap<String, Object> attrs = new HashMap<>();
            attrs.put("price", r.nextDouble() * 100);
            attrs.put("ts", 1_700_000_000_000L + i);
            attrs.put("city", CITIES[i % CITIES.length]);
            if (i % 3 == 0) attrs.put("note", "gift wrap " + i);
            Order o = new Order(i, customer, items, attrs);
            ORDERS.put("order:" + i, o);
            INDEX.computeIfAbsent(i % 400_000, k -> new ArrayList<>()).add((long) i * 7919);
            if (i % 10 == 0) {
                final int j = i;
                final Order oo = o;
                CALLBACKS.add(() -> oo.customer() + j);
            }
        }
        for (int i = 0; i < orders / 2; i++) {
            long key = r.nextLong();
            TreeNode n = new TreeNode(key, i % 4 == 0 ? new byte[24] : Integer.valueOf(i));
            if (tree == null) {
                tree = n;
                continue;
            }
            TreeNode t = tree;
            while (true) {
                if (key < t.key) {
                    if (t.left == null) { t.left = n; break; }
                    t = t.left;
                } else {
                    if (t.right == null) { t.right = n; break; }
                    t = t.right;
                }
            }
        }
        bigA = new double[8_000_000];
        bigB = new double[8_000_000];
        Arrays.fill(bigA, 1.5);
        byte[] genBytes;
        try (InputStream in = Mesh.class.getResourceAsStream("Mesh$Gen.class")) {
            genBytes = in.readAllBytes();
        }
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        for (int i = 0; i < hidden; i++) {
            Class<?> c = lookup.defineHiddenClass(genBytes, true).lookupClass();
            HIDDEN.add(c.getConstructor().newInstance());
        }
        for (int i = 0; i < 200; i++) {
            Thread t = new Thread(() -> {
                try { depth(60, new Object()); } catch (InterruptedException e) { }
            }, "worker-" + i);
            t.start();
            THREADS.add(t);
        }
        for (int i = 0; i < vthreads; i++) {
            THREADS.add(Thread.ofVirtual().name("v-" + i).start(() -> {
                try { depth(20, new Object()); } catch (InterruptedException e) { }
            }));
        }
        Thread.sleep(2000);
        System.out.println("READY");
        System.out.flush();
        new Scanner(System.in).nextLine();
        HOLD.countDown();
        System.exit(0);
    }
}
