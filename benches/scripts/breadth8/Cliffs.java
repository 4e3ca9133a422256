import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Heap shapes the benches do not cover, one per run, for the breadth8 held-out checks
 * (make-java.sh). Usage: java -Xmx.. Cliffs MODE N [M]; prints "READY", waits for a line on stdin.
 * <ul>
 *   <li>chain N: a singly linked list of N nodes held from a static (dominator tree N deep,
 *       the last node's root path N long);</li>
 *   <li>array N: one Object[N] of N distinct small objects (one node with out-degree N);</li>
 *   <li>map N: a HashMap of N String keys to small values (hash-ordered table of N entries);</li>
 *   <li>bytes N M: N byte[] of M MiB each (mostly primitive data, few objects);</li>
 *   <li>threads N D: N platform threads parked at stack depth D, each frame holding a local;</li>
 *   <li>classes N: N distinct classes defined at run time by one class loader, each with a
 *       static field holding a small object (N classes, N statics).</li>
 * </ul>
 */
public final class Cliffs {
    static Object HOLD;

    static final class Node {
        Node next;
        final long v;
        Node(long v) { this.v = v; }
    }

    static final class Val {
        final int a;
        final long b;
        Val(int a) { this.a = a; this.b = a * 7L; }
    }

    static final class Loader extends ClassLoader {
        Loader() { super(Cliffs.class.getClassLoader()); }
        Class<?> make(String name, byte[] b) { return defineClass(name, b, 0, b.length); }
    }

    /** A minimal class file: public class NAME extends Object { public static Object f; }. */
    static byte[] classFile(String name) {
        java.io.ByteArrayOutputStream bo = new java.io.ByteArrayOutputStream();
        java.io.DataOutputStream o = new java.io.DataOutputStream(bo);
        try {
            o.writeInt(0xCAFEBABE);
            o.writeShort(0);
            o.writeShort(52);
            o.writeShort(7); // constant pool count (6 entries)
            o.writeByte(1); o.writeUTF(name);                 // #1
            o.writeByte(7); o.writeShort(1);                  // #2 this
            o.writeByte(1); o.writeUTF("java/lang/Object");   // #3
            o.writeByte(7); o.writeShort(3);                  // #4 super
            o.writeByte(1); o.writeUTF("f");                  // #5
            o.writeByte(1); o.writeUTF("Ljava/lang/Object;"); // #6
            o.writeShort(0x0021);
            o.writeShort(2);
            o.writeShort(4);
            o.writeShort(0); // interfaces
            o.writeShort(1); // fields
            o.writeShort(0x0009); o.writeShort(5); o.writeShort(6); o.writeShort(0);
            o.writeShort(0); // methods
            o.writeShort(0); // attributes
        } catch (java.io.IOException e) {
            throw new RuntimeException(e);
        }
        return bo.toByteArray();
    }

    static void deep(int d, CountDownLatch ready, Object hold) throws InterruptedException {
        Object local = new long[] { d };
        if (d > 0) {
            deep(d - 1, ready, local);
        } else {
            ready.countDown();
            Thread.sleep(Long.MAX_VALUE);
        }
        if (local == hold) System.out.println();
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        int n = Integer.parseInt(args[1]);
        int m = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        switch (mode) {
            case "chain": {
                Node head = new Node(0);
                Node t = head;
                for (int i = 1; i < n; i++) { t.next = new Node(i); t = t.next; }
                HOLD = head;
                break;
            }
            case "array": {
                Object[] a = new Object[n];
                for (int i = 0; i < n; i++) a[i] = new Val(i);
                HOLD = a;
                break;
            }
            case "map": {
                HashMap<String, Val> map = new HashMap<>();
                for (int i = 0; i < n; i++) map.put("key-" + i, new Val(i));
                HOLD = map;
                break;
            }
            case "bytes": {
                byte[][] a = new byte[n][];
                for (int i = 0; i < n; i++) {
                    a[i] = new byte[m << 20];
                    java.util.Arrays.fill(a[i], (byte) i);
                }
                HOLD = a;
                break;
            }
            case "threads": {
                CountDownLatch ready = new CountDownLatch(n);
                List<Thread> ts = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    Thread t = new Thread(null, () -> {
                        try { deep(m, ready, null); } catch (InterruptedException e) { }
                    }, "worker-" + i, 1 << 20);
                    t.setDaemon(true);
                    t.start();
                    ts.add(t);
                }
                ready.await();
                HOLD = ts;
                break;
            }
            case "classes": {
                Loader l = new Loader();
                List<Class<?>> cs = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    String name = "gen/C" + i;
                    Class<?> c = l.make(name.replace('/', '.'), classFile(name));
                    c.getField("f").set(null, new Val(i));
                    cs.add(c);
                }
                HOLD = cs;
                break;
            }
            default:
                throw new IllegalArgumentException(mode);
        }
        System.out.println("READY");
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in)).readLine();
        System.exit(0);
    }
}
