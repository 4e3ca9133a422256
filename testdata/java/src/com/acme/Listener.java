package com.acme;

public interface Listener {
    void onEvent(String event);
}
