package com.acme.scenario;

import com.acme.Widget;
import com.acme.harness.Harness;

/** 5,000 short-lived widgets register a listener on App.BUS and are then dropped. */
public final class Listeners {
    public static void main(String[] args) {
        for (int i = 0; i < 5_000; i++) {
            Widget w = new Widget("dialog-" + i, 400);
            w.title();
        }
        Harness.ready("listeners widgets=5000");
    }
}
