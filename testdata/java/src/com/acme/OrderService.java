package com.acme;

import java.util.ArrayList;
import java.util.List;

/** Linear leak: every processed order is appended to an audit log that is never trimmed. */
public final class OrderService {
    static final List<Order> AUDIT_LOG = new ArrayList<>();
    private static long next;

    private OrderService() {}

    public static void process(String customer, int bytes) {
        AUDIT_LOG.add(new Order(next++, customer, bytes));
    }
}
