package com.acme.scenario;

import com.acme.SessionRegistry;
import com.acme.harness.Harness;

/** 12,000 users log in and out; SessionRegistry.SESSIONS keeps every session (200-byte payload each). */
public final class StaticMap {
    public static void main(String[] args) {
        for (int i = 0; i < 12_000; i++) {
            String user = "user-" + i;
            SessionRegistry.login(user, 200);
            SessionRegistry.logout(user);
        }
        Harness.ready("static_map sessions=" + SessionRegistry.size());
    }
}
