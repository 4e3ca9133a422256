// OOM scenario for testdata/java/versions/: what users most often bring is a dump written by
// -XX:+HeapDumpOnOutOfMemoryError. Keeps 64 KiB byte[] chunks (filled with a repeating pattern so the dump
// gzips well) in a static ArrayList (Oom.HOARD) until the heap is exhausted; the JVM writes the dump itself.
import java.util.ArrayList;
import java.util.List;

public class Oom {
    static final List<byte[]> HOARD = new ArrayList<>();

    public static void main(String[] args) {
        for (int i = 0; ; i++) {
            byte[] b = new byte[64 * 1024];
            b[i % b.length] = (byte) i;
            HOARD.add(b);
        }
    }
}
