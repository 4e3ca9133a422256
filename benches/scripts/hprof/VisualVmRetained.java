import java.io.File;
import java.util.List;
import org.graalvm.visualvm.lib.jfluid.heap.Heap;
import org.graalvm.visualvm.lib.jfluid.heap.HeapFactory;
import org.graalvm.visualvm.lib.jfluid.heap.Instance;

/**
 * Times VisualVM's heap library on one HPROF: open (index) the dump, then compute retained sizes
 * (getBiggestObjectsByRetainedSize computes the dominator tree and every retained size). Prints the
 * seconds of each phase and the largest object. Usage: java -cp heap.jar:. VisualVmRetained DUMP
 */
public final class VisualVmRetained {
    public static void main(String[] args) throws Exception {
        long t0 = System.nanoTime();
        Heap heap = HeapFactory.createHeap(new File(args[0]));
        long t1 = System.nanoTime();
        List<Instance> top = heap.getBiggestObjectsByRetainedSize(20);
        long t2 = System.nanoTime();
        Instance first = top.isEmpty() ? null : top.get(0);
        System.out.printf("open_s=%.1f retained_s=%.1f instances=%d top=%s retained=%d%n",
                (t1 - t0) / 1e9, (t2 - t1) / 1e9, heap.getSummary().getTotalLiveInstances(),
                first == null ? "-" : first.getJavaClass().getName() + "#" + Long.toHexString(first.getInstanceId()),
                first == null ? 0 : first.getRetainedSize());
    }
}
