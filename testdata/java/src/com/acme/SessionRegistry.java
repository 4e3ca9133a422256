package com.acme;

import java.util.HashMap;
import java.util.Map;

/** Leak: sessions are added on login and never removed on logout. */
public final class SessionRegistry {
    static final Map<String, Session> SESSIONS = new HashMap<>();

    private SessionRegistry() {}

    public static void login(String user, int payload) {
        SESSIONS.put(user, new Session(user, System.nanoTime(), payload));
    }

    public static void logout(String user) {
        // bug: the session is never removed
    }

    public static int size() {
        return SESSIONS.size();
    }
}
