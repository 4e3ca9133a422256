package com.acme;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;

/** Reads a whole log into memory, one String per line: the list in {@link #readAll}'s frame grows until the heap is full. */
public final class LogLoader {
    private LogLoader() {}

    public static List<String> readAll(BufferedReader in) throws IOException {
        List<String> lines = new ArrayList<>();
        String line;
        while ((line = in.readLine()) != null) { // HOLDS: `lines`, a local variable of this frame, when the heap runs out
            lines.add(line);
        }
        return lines;
    }

    /** An endless log: each line its number and then the same 2,000 characters (so the dump gzips small). */
    public static Reader endlessLog() {
        return new Reader() {
            private final String filler = " GET /api/items?page=1 200".repeat(77);
            private long n;
            private String cur = "";
            private int at;

            @Override
            public int read(char[] buf, int off, int len) {
                if (at == cur.length()) {
                    cur = new StringBuilder(2_020).append(n++).append(filler).append('\n').toString();
                    at = 0;
                }
                int k = Math.min(len, cur.length() - at);
                cur.getChars(at, at + k, buf, off);
                at += k;
                return k;
            }

            @Override
            public void close() {}
        };
    }
}
