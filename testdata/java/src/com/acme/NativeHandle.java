package com.acme;

/** Has a finalizer, so every instance goes through java.lang.ref.Finalizer after it becomes unreachable. */
public final class NativeHandle {
    private final byte[] shadow;
    private final int fd;
    static int closed;

    public NativeHandle(int fd, int bytes) {
        this.fd = fd;
        this.shadow = new byte[bytes];
    }

    @Override
    @SuppressWarnings({"deprecation", "removal"})
    protected void finalize() {
        // would close fd; the body must not be empty, or HotSpot does not register the class as finalizable
        closed += fd;
    }
}
