package com.acme;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Imports one batch of records and keeps the whole batch in a local variable of {@link #importBatch} until the
 * batch is committed: while it waits, that Java frame is what holds the records (no field, no static).
 */
public final class Importer implements Runnable {
    private final int records;
    private final int payloadBytes;
    private final CountDownLatch loaded = new CountDownLatch(1);
    private final CountDownLatch commit = new CountDownLatch(1);
    private volatile int imported;

    public Importer(int records, int payloadBytes) {
        this.records = records;
        this.payloadBytes = payloadBytes;
    }

    @Override
    public void run() {
        imported = importBatch();
    }

    int importBatch() {
        List<ImportRecord> batch = new ArrayList<>();
        for (int i = 0; i < records; i++) {
            batch.add(new ImportRecord("row-" + i, payloadBytes));
        }
        loaded.countDown();
        awaitCommit(); // HOLDS: `batch` is a local variable of this frame while the thread waits here
        return batch.size();
    }

    private void awaitCommit() {
        try {
            commit.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public void awaitLoaded() throws InterruptedException {
        loaded.await();
    }

    public void commit() {
        commit.countDown();
    }

    public int imported() {
        return imported;
    }
}
