package com.acme.coll;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Vector;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Java collections as programs write them (testdata/java/collections/README.md): an anonymous access-ordered
 * LinkedHashMap LRU whose bound is far above what it holds ({@link PageCache#PAGES}), a class that extends HashMap
 * ({@link Registry}), and a plain HashMap whose keys collide in groups of four ({@link #INDEX}), so that its table's
 * non-empty buckets are a quarter of its entries; then the lists and queues programs let grow: an ArrayList with
 * spare capacity, an ArrayDeque whose contents wrap around its array, a LinkedList, a Vector, a PriorityQueue, a
 * CopyOnWriteArrayList holding some nulls, an ArrayBlockingQueue, a LinkedBlockingQueue, a ConcurrentSkipListMap and a
 * ConcurrentLinkedQueue (which keeps no count; some of its items removed from the middle) and a ConcurrentLinkedDeque
 * (no count either; added at both ends, taken from both ends and from the middle), each of its own element class. Writes each collection's size() to the file named by its argument, calls
 * System.gc(), prints "READY" and blocks reading stdin.
 */
public final class Collections {
    /** The plain HashMap: keys whose hashCode() is shared by four keys each. */
    static final Map<Key, Doc> INDEX = new HashMap<>();
    static final Registry REGISTRY = new Registry();

    static final List<Event> EVENTS = new ArrayList<>(4_000);
    static final ArrayDeque<Task> TASKS = new ArrayDeque<>();
    static final LinkedList<Msg> INBOX = new LinkedList<>();
    static final Vector<Row> ROWS = new Vector<>();
    static final PriorityQueue<Timer> TIMERS = new PriorityQueue<>();
    static final CopyOnWriteArrayList<Hook> HOOKS = new CopyOnWriteArrayList<>();
    static final ArrayBlockingQueue<Job> BACKLOG = new ArrayBlockingQueue<>(10_000);
    static final LinkedBlockingQueue<Mail> OUTBOX = new LinkedBlockingQueue<>();
    static final ConcurrentSkipListMap<Integer, Quote> QUOTES = new ConcurrentSkipListMap<>();
    static final ConcurrentLinkedQueue<Note> NOTES = new ConcurrentLinkedQueue<>();
    static final ConcurrentLinkedDeque<Span> SPANS = new ConcurrentLinkedDeque<>();

    /** Elements of each list or queue. */
    static final int ELEMENTS = 2_500;

    static final int PAGES = 5_000;
    static final int ITEMS = 4_000;
    static final int DOCS = 4_000;

    public static void main(String[] args) throws Exception {
        for (int i = 0; i < PAGES; i++) {
            PageCache.get("page-" + i);
        }
        for (int i = 0; i < ITEMS; i++) {
            REGISTRY.put(i, new Item(i));
        }
        for (int i = 0; i < DOCS; i++) {
            INDEX.put(new Key(i), new Doc(i));
        }
        for (int i = 0; i < ELEMENTS; i++) {
            EVENTS.add(new Event(i));
            INBOX.add(new Msg(i));
            ROWS.add(new Row(i));
            TIMERS.add(new Timer((i * 7919) % ELEMENTS));
            BACKLOG.add(new Job(i));
            OUTBOX.add(new Mail(i));
            QUOTES.put(i, new Quote(i));
            NOTES.add(new Note(i));
        }
        // Removed from the front (the head moves) and from the middle (nulled items, unlinked later).
        for (int i = 0; i < 100; i++) {
            NOTES.poll();
        }
        NOTES.removeIf(n -> n.id % 50 == 7);
        // Both ends grow, both ends shrink, and items go from the middle: the deque's head and tail may lag its
        // first and last nodes, and removed nodes point at themselves or at the deque's terminator nodes.
        for (int i = 0; i < ELEMENTS; i++) {
            if (i % 2 == 0) {
                SPANS.addFirst(new Span(i));
            } else {
                SPANS.addLast(new Span(i));
            }
        }
        for (int i = 0; i < 60; i++) {
            SPANS.pollFirst();
            SPANS.pollLast();
        }
        SPANS.removeIf(s -> s.id % 40 == 3);
        // The deque's head moves past its array's start and its tail wraps around.
        for (int i = 0; i < ELEMENTS; i++) {
            TASKS.add(new Task(i));
        }
        for (int i = 0; i < ELEMENTS / 2; i++) {
            TASKS.poll();
            BACKLOG.poll();
        }
        for (int i = 0; i < ELEMENTS / 2 + 300; i++) {
            TASKS.add(new Task(i));
            BACKLOG.add(new Job(i));
        }
        addHooks();
        try (PrintWriter out = new PrintWriter(args[0], "UTF-8")) {
            out.println("PageCache.PAGES " + PageCache.PAGES.getClass().getName() + " extends "
                    + PageCache.PAGES.getClass().getSuperclass().getName() + " size=" + PageCache.PAGES.size());
            out.println("Collections.REGISTRY " + REGISTRY.getClass().getName() + " extends "
                    + REGISTRY.getClass().getSuperclass().getName() + " size=" + REGISTRY.size());
            out.println("Collections.INDEX " + INDEX.getClass().getName() + " size=" + INDEX.size()
                    + " distinct-hashes=" + (DOCS / Key.SHARED));
            printSize(out, "Collections.EVENTS", EVENTS, EVENTS.size());
            printSize(out, "Collections.TASKS", TASKS, TASKS.size());
            printSize(out, "Collections.INBOX", INBOX, INBOX.size());
            printSize(out, "Collections.ROWS", ROWS, ROWS.size());
            printSize(out, "Collections.TIMERS", TIMERS, TIMERS.size());
            printSize(out, "Collections.HOOKS", HOOKS, HOOKS.size());
            printSize(out, "Collections.BACKLOG", BACKLOG, BACKLOG.size());
            printSize(out, "Collections.OUTBOX", OUTBOX, OUTBOX.size());
            printSize(out, "Collections.QUOTES", QUOTES, QUOTES.size());
            printSize(out, "Collections.NOTES", NOTES, NOTES.size());
            // size() walks from the deque's first node and moves its head onto it. One more at the front afterwards
            // leaves the head one node behind the first (offerFirst moves it only when it had to hop), as a deque
            // written to often usually is: size() then starts from the first node found back from the head along prev.
            // What it would return is the size() just taken plus that one.
            int spans = SPANS.size();
            SPANS.addFirst(new Span(ELEMENTS));
            printSize(out, "Collections.SPANS", SPANS, spans + 1);
        }
        System.gc();
        System.out.println("READY");
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in)).readLine();
    }

    /** Nulls count in size(): one slot in ten. The list copied from is gone when this returns. */
    private static void addHooks() {
        List<Hook> hooks = new ArrayList<>();
        for (int i = 0; i < ELEMENTS; i++) {
            hooks.add(i % 10 == 9 ? null : new Hook(i));
        }
        HOOKS.addAll(hooks);
    }

    private static void printSize(PrintWriter out, String holder, Object collection, int size) {
        out.println(holder + " " + collection.getClass().getName() + " size=" + size);
    }

    /** A key four of which share each hash code: chains of four in the table (below TREEIFY_THRESHOLD). */
    static final class Key {
        static final int SHARED = 4;
        final int id;

        Key(int id) {
            this.id = id;
        }

        @Override
        public int hashCode() {
            return id / SHARED;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key && ((Key) o).id == id;
        }
    }

    static final class Doc {
        final byte[] body;

        Doc(int i) {
            body = new byte[300 + i % 7];
        }
    }

    /** The elements of the lists and queues: a class each, with a 200-byte payload. */
    static class Element {
        final int id;
        final byte[] payload = new byte[200];

        Element(int id) {
            this.id = id;
        }
    }

    static final class Event extends Element {
        Event(int id) {
            super(id);
        }
    }

    static final class Task extends Element {
        Task(int id) {
            super(id);
        }
    }

    static final class Msg extends Element {
        Msg(int id) {
            super(id);
        }
    }

    static final class Row extends Element {
        Row(int id) {
            super(id);
        }
    }

    static final class Timer extends Element implements Comparable<Timer> {
        Timer(int id) {
            super(id);
        }

        @Override
        public int compareTo(Timer o) {
            return Integer.compare(id, o.id);
        }
    }

    static final class Hook extends Element {
        Hook(int id) {
            super(id);
        }
    }

    static final class Job extends Element {
        Job(int id) {
            super(id);
        }
    }

    static final class Mail extends Element {
        Mail(int id) {
            super(id);
        }
    }

    static final class Quote extends Element {
        Quote(int id) {
            super(id);
        }
    }

    static final class Note extends Element {
        Note(int id) {
            super(id);
        }
    }

    static final class Span extends Element {
        Span(int id) {
            super(id);
        }
    }
}
