package com.acme;

/** Leak: each pooled worker keeps its request buffer forever (set, never remove()). */
public final class RequestContext {
    static final ThreadLocal<byte[]> BUFFER = new ThreadLocal<>();

    private RequestContext() {}

    public static void handle(int bufferBytes) {
        byte[] buf = BUFFER.get();
        if (buf == null) {
            buf = new byte[bufferBytes];
            BUFFER.set(buf);
        }
        buf[0]++;
    }
}
