import java.io.BufferedReader;
import java.io.InputStreamReader;

/**
 * A heap whose object ids (addresses) are skewed, for breadth17's held-out checks of the HPROF id
 * index (its per-thread ranges are cut by a sample of ids). Usage (make-skew.sh):
 * java -XX:+UseParallelGC -Xmx.. -Xmn.. Skew MODE N K; prints "READY", waits for a line on stdin;
 * dump it with jcmd GC.heap_dump -all (no GC before the dump, which would move the objects).
 * <ul>
 *   <li>old N K: N small objects made and moved into the old generation by System.gc() (low
 *       addresses, one dense range), then K objects in the young generation (eden, tens of GB
 *       above the old generation with -Xmx48g), each of the N pointing at one of the K;</li>
 *   <li>young N K: K objects moved into the old generation, then N in eden: most ids in the
 *       high range, a few far below;</li>
 *   <li>plain N K: N + K objects as they come, no System.gc() (for other collectors: ZGC, G1).</li>
 * </ul>
 */
public final class Skew {
    static Object[] MANY;
    static Object[] FEW;

    static final class Val {
        Object far;
        final long b;
        Val(int a, Object far) { this.far = far; this.b = a * 7L; }
    }

    static final class Far {
        final int a;
        Far(int a) { this.a = a; }
    }

    static void few(int k) {
        FEW = new Object[k];
        for (int i = 0; i < k; i++) FEW[i] = new Far(i);
    }

    static void many(int n) {
        MANY = new Object[n];
        for (int i = 0; i < n; i++) MANY[i] = new Val(i, FEW[i % FEW.length]);
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        int n = Integer.parseInt(args[1]);
        int k = Integer.parseInt(args[2]);
        switch (mode) {
            case "old": {
                // the many first, in the old generation; the few allocated after in eden
                FEW = new Object[] { new Far(-1) };
                many(n);
                System.gc();
                few(k);
                // point the many at the fresh (far) few; no allocation
                for (int i = 0; i < n; i++) ((Val) MANY[i]).far = FEW[i % k];
                break;
            }
            case "young": {
                few(k);
                System.gc();
                many(n);
                break;
            }
            case "plain": {
                few(k);
                many(n);
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
