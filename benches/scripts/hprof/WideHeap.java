import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;

/**
 * A heap whose HPROF is about twice its size (make-big.sh HEAP=WideHeap, issue 17's "one real
 * 30 GB+ dump" on a 24 GB machine): each session is an Object[] of SLOTS references, mostly
 * null, 496 B in a compressed-oops heap (16-byte array header, 4-byte references) and 985 B in
 * the dump (8-byte ids). Slot 0 links to the session before it in a chain of CHAIN sessions,
 * every chain hangs from a static list (the leak a report should name), and every 16th session's
 * slot 1 points at the head of the previous chain (references across chains). Few objects for
 * their bytes, so that the analysis' own spill files stay small beside the dump on disk.
 * Prints READY and blocks until a line arrives on stdin.
 */
public class WideHeap {
    static final int CHAIN = 1000;
    static final int SLOTS = 120;

    static final ArrayList<Object[]> SESSIONS = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        long n = Long.parseLong(args[0]);
        Object[] lastHead = null;
        for (long made = 0; made < n; ) {
            Object[] head = null;
            for (int j = 0; j < CHAIN && made < n; j++, made++) {
                Object[] s = new Object[SLOTS];
                s[0] = head;
                if ((made & 15) == 0) {
                    s[1] = lastHead;
                }
                head = s;
            }
            SESSIONS.add(head);
            lastHead = head;
        }
        System.out.println("READY " + n + " sessions in " + SESSIONS.size() + " chains");
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in)).readLine();
    }
}
