package com.acme.scenario;

import com.acme.CustomerCache;
import com.acme.OrderService;
import com.acme.harness.Harness;

/**
 * One process, three dumps. Each step processes 2,000 orders (OrderService.AUDIT_LOG grows linearly, 300-byte
 * payloads) and remembers 1,500 new customers in CustomerCache.PROFILES (1 KiB each, capacity 3,000: full at
 * step 2, flat after). From dump 1 to dump 3 the cache grows more than the audit log, but only the log keeps growing.
 */
public final class Growth {
    public static void main(String[] args) {
        int customer = 0;
        for (int step = 1; ; step++) {
            for (int i = 0; i < 2_000; i++) {
                OrderService.process("c" + (i % 700), 300);
            }
            for (int i = 0; i < 1_500; i++) {
                CustomerCache.remember("customer-" + customer++, 1024);
            }
            if (!"step".equals(Harness.ready("growth step=" + step))) {
                return;
            }
        }
    }
}
