package com.acme;

import java.util.ArrayList;
import java.util.List;

/** Leak: listeners are registered and never unregistered. */
public final class EventBus {
    private final List<Listener> listeners = new ArrayList<>();

    public void register(Listener l) {
        listeners.add(l);
    }

    public void publish(String event) {
        for (Listener l : listeners) {
            l.onEvent(event);
        }
    }
}
