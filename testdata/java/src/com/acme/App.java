package com.acme;

public final class App {
    public static final EventBus BUS = new EventBus();

    private App() {}
}
