// Scenario for the JDK 21+ HPROF fixtures (testdata/java/versions/loom21, loom25): what Project Loom and hidden
// classes put in a heap. Compiled with `javac --release 21` (virtual threads); default package on purpose.
//
// Holds: 300 virtual threads parked in CountDownLatch.await 4 to 20 frames deep (depth = 4 + i % 17, so their
// stack chunks have many sizes), each frame holding a `long[]` of its own as a local, and the innermost frame an
// `Object`: those locals are held only by the thread's stack, which a JDK 21+ dump keeps inside
// jdk.internal.vm.StackChunk objects. 50 hidden classes (`Lookup.defineHiddenClass` of Loom$Gen's bytes), one
// instance each in a static list (the classes themselves are held only through their instances). 100 capturing
// lambdas in a static list (a lambda's class is a hidden class too). One platform thread parked the same way
// (its locals are GC roots). Then System.gc(), prints READY and blocks on stdin until a line arrives.
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.invoke.MethodHandles;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

public class Loom {
    public static final class Gen {
        public long a = 1;
        public Object held = new int[4];
    }

    static final CountDownLatch HOLD = new CountDownLatch(1);
    static final List<Thread> THREADS = new ArrayList<>();
    static final List<Object> HIDDEN = new ArrayList<>();
    static final List<Supplier<String>> LAMBDAS = new ArrayList<>();

    static int depth(int d, Object held) throws InterruptedException {
        if (d > 0) return depth(d - 1, new long[] {d}) + (held == null ? 0 : 1);
        HOLD.await();
        return held.hashCode();
    }

    public static void main(String[] args) throws Exception {
        byte[] genBytes;
        try (InputStream in = Loom.class.getResourceAsStream("Loom$Gen.class")) {
            genBytes = in.readAllBytes();
        }
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        for (int i = 0; i < 50; i++) {
            Class<?> c = lookup.defineHiddenClass(genBytes, true).lookupClass();
            HIDDEN.add(c.getConstructor().newInstance());
        }
        for (int i = 0; i < 100; i++) {
            final String s = "cb-" + i;
            LAMBDAS.add(() -> s + s.length());
        }
        Thread platform = new Thread(() -> {
            try { depth(8, new Object()); } catch (InterruptedException e) { }
        }, "platform-parked");
        platform.start();
        THREADS.add(platform);
        for (int i = 0; i < 300; i++) {
            final int d = 4 + i % 17;
            THREADS.add(Thread.ofVirtual().name("v-" + i).start(() -> {
                try { depth(d, new Object()); } catch (InterruptedException e) { }
            }));
        }
        Thread.sleep(1000);
        System.gc();
        System.out.println("READY " + THREADS.size());
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in)).readLine();
        HOLD.countDown();
        for (Thread t : THREADS) t.join();
        System.out.println(HIDDEN.size() + LAMBDAS.size());
    }
}
