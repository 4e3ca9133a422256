package com.acme;

/** A UI widget whose anonymous listener (com.acme.Widget$1) keeps it alive through App.BUS. */
public final class Widget {
    private final String title;
    private final byte[] pixels;
    private int events;

    public Widget(String title, int pixelBytes) {
        this.title = title;
        this.pixels = new byte[pixelBytes];
        App.BUS.register(new Listener() {
            @Override
            public void onEvent(String event) {
                events++;
            }
        });
    }

    public String title() {
        return title;
    }
}
