package com.acme.scenario;

import com.acme.Importer;
import com.acme.harness.Harness;

/**
 * Thread "importer-1" builds a batch of 8,000 records (1 KiB payload each) in a local list of
 * Importer.importBatch and waits there for a commit that comes only after the dump.
 */
public final class LocalHolder {
    public static void main(String[] args) throws Exception {
        Importer importer = new Importer(8_000, 1024);
        Thread t = new Thread(importer, "importer-1");
        t.setDaemon(true);
        t.start();
        importer.awaitLoaded();
        Harness.ready("local_holder records=8000");
        importer.commit();
        t.join();
        System.out.println("imported " + importer.imported());
    }
}
