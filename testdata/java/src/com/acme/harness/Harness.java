package com.acme.harness;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;

/**
 * Handshake with testdata/java/gen.sh: print "READY tag" on stdout, then block reading a line
 * from stdin. While the main thread is blocked here the script takes the class histogram and the
 * heap dump, so the dump shows a steady state (main parked in readLine, workers parked).
 */
public final class Harness {
    private static final BufferedReader IN = new BufferedReader(new InputStreamReader(System.in));

    private Harness() {}

    public static String ready(String tag) {
        System.gc();
        System.out.println("READY " + tag);
        System.out.flush();
        try {
            String line = IN.readLine();
            return line == null ? "quit" : line.trim();
        } catch (IOException e) {
            return "quit";
        }
    }
}
