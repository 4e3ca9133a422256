import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;

/**
 * A heap whose HPROF is about twice its size (make-big.sh HEAP=WideHeap, issue 17's "one real
 * 30 GB+ dump" on a 24 GB machine): sessions of 30 reference fields take 136 B each in a
 * compressed-oops heap (12-byte header, 4-byte references) and 265 B in the dump (25-byte
 * instance record header, 8-byte ids). Each session links to the one before it in a chain of
 * CHAIN sessions, every chain hangs from a static list (the leak a report should name), and every
 * 16th session also points at the head of the previous chain (references across chains).
 * Prints READY and blocks until a line arrives on stdin.
 */
public class WideHeap {
    static final int CHAIN = 1000;

    static final class Session {
        Object f00, f01, f02, f03, f04, f05, f06, f07, f08, f09, f10, f11, f12, f13;
        Object f14, f15, f16, f17, f18, f19, f20, f21, f22, f23, f24, f25, f26, f27;
        Session previous;
        Object crossLink;
    }

    static final ArrayList<Session> SESSIONS = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        long n = Long.parseLong(args[0]);
        Session lastHead = null;
        for (long made = 0; made < n; ) {
            Session head = null;
            for (int j = 0; j < CHAIN && made < n; j++, made++) {
                Session s = new Session();
                s.previous = head;
                if ((made & 15) == 0) {
                    s.crossLink = lastHead;
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
