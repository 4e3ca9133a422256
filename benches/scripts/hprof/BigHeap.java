import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Fills the heap with millions of small objects for the HPROF scale bench (see make-big.sh):
 * customers in a HashMap held by a local of main (the live working set), each with a name String,
 * a long[] history, an ArrayList of orders (each with a sku String and a boxed amount) and a small
 * attribute HashMap; plus a leak: a static ConcurrentHashMap of audit events (each a String key,
 * an event with a 64-byte payload and a LinkedList of tags) that is never cleared.
 *
 * Usage: java -Xmx6g BigHeap CUSTOMERS LEAKED_EVENTS; prints "READY" and waits for a line on stdin.
 */
public final class BigHeap {
    static final Map<String, AuditEvent> AUDIT_LOG = new ConcurrentHashMap<>();

    static final class Order {
        final long id;
        final String sku;
        final Double amount;
        final Customer owner;
        Order(long id, String sku, Double amount, Customer owner) {
            this.id = id; this.sku = sku; this.amount = amount; this.owner = owner;
        }
    }

    static final class Customer {
        final int id;
        final String name;
        final long[] history;
        final List<Order> orders = new ArrayList<>(4);
        final Map<String, Object> attrs = new HashMap<>(4);
        Customer(int id) {
            this.id = id;
            this.name = "customer-" + id;
            this.history = new long[1 + id % 7];
        }
    }

    static final class AuditEvent {
        final long at;
        final byte[] payload = new byte[64];
        final List<String> tags = new LinkedList<>();
        AuditEvent(long at) { this.at = at; }
    }

    public static void main(String[] args) throws Exception {
        int customers = Integer.parseInt(args[0]);
        int leaked = Integer.parseInt(args[1]);
        Map<Integer, Customer> live = new HashMap<>(customers * 2);
        String[] skus = new String[4096];
        for (int i = 0; i < skus.length; i++) {
            skus[i] = "SKU-" + Integer.toHexString(i * 2654435761L > 0 ? i * 7919 : i);
        }
        long orderId = 0;
        for (int i = 0; i < customers; i++) {
            Customer c = new Customer(i);
            int n = 1 + i % 4;
            for (int k = 0; k < n; k++) {
                c.orders.add(new Order(orderId++, skus[(int) (orderId % skus.length)], (double) (orderId % 1000) + 0.5, c));
            }
            c.attrs.put("tier", i % 3 == 0 ? "gold" : "silver");
            c.attrs.put("since", Integer.valueOf(2000 + i % 25));
            live.put(i, c);
        }
        for (int i = 0; i < leaked; i++) {
            AuditEvent e = new AuditEvent(System.nanoTime());
            e.tags.add("login");
            e.tags.add("user-" + (i % 100_000));
            AUDIT_LOG.put("event-" + i, e);
        }
        System.gc();
        System.out.println("READY " + live.size() + " " + AUDIT_LOG.size());
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in)).readLine();
        // keep the working set alive until here
        System.out.println(live.size());
    }
}
