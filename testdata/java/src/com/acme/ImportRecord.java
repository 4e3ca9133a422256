package com.acme;

/** One imported row: its key and a payload (zeros: the fixture stays small when gzipped). */
public final class ImportRecord {
    final String key;
    final byte[] payload;

    public ImportRecord(String key, int payloadBytes) {
        this.key = key;
        this.payload = new byte[payloadBytes];
    }
}
