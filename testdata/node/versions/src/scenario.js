'use strict';
// Scenario for the cross-version V8 snapshot fixtures (testdata/node/versions/). Plain ES2015+, runs unchanged on
// Node 8 through 22. Builds, at module level (so everything is reachable from the script's context):
//   - `cache`: a Map of 2,000 entries, key "key-<i>", value a CacheEntry { id, payload: Array(16) of numbers, tag }
//   - `handlers`: 500 closures, each capturing its own Ticket (a class instance with a 32-char string)
//   - `bus`: an EventEmitter (subclass Bus) with 300 listeners on 'changed' (each a closure over a Listener) and
//     one 'once' listener on 'closed'
//   - `table`: one Float64Array(1024) and one Buffer of 4 KiB (backing stores show as native/array buffer nodes)
// then writes one snapshot to <argv[2]> and exits: with v8.writeHeapSnapshot() (Node >= 11.13; full GC first), or on
// older Node through the inspector protocol (HeapProfiler.takeHeapSnapshot, what DevTools' "Take snapshot" sends),
// streamed chunk by chunk into the file.
const fs = require('fs');
const v8 = require('v8');
const { EventEmitter } = require('events');

class CacheEntry {
  constructor(i) {
    this.id = i;
    this.payload = new Array(16).fill(i);
    this.tag = 'entry-' + i;
  }
}
class Ticket {
  constructor(i) { this.text = ('ticket-' + i).padEnd(32, '.'); }
}
class Listener {
  constructor(i) { this.n = i; this.seen = []; }
}
class Bus extends EventEmitter {}

const cache = new Map();
for (let i = 0; i < 2000; i++) cache.set('key-' + i, new CacheEntry(i));

const handlers = [];
for (let i = 0; i < 500; i++) {
  const ticket = new Ticket(i);
  handlers.push(function handle() { return ticket.text.length; });
}

const bus = new Bus();
bus.setMaxListeners(0);
for (let i = 0; i < 300; i++) {
  const l = new Listener(i);
  bus.on('changed', function onChanged(v) { l.seen.push(v); });
}
bus.once('closed', () => {});

const table = { floats: new Float64Array(1024), buf: Buffer.alloc(4096, 1) };
global.__keep = { cache, handlers, bus, table };

const file = process.argv[2];
if (typeof v8.writeHeapSnapshot === 'function') {
  v8.writeHeapSnapshot(file);
  console.log(`${process.version} wrote ${file} with v8.writeHeapSnapshot`);
} else {
  const inspector = require('inspector');
  const session = new inspector.Session();
  session.connect();
  const fd = fs.openSync(file, 'w');
  session.on('HeapProfiler.addHeapSnapshotChunk', (m) => fs.writeSync(fd, m.params.chunk));
  session.post('HeapProfiler.takeHeapSnapshot', null, (err) => {
    fs.closeSync(fd);
    if (err) throw new Error(JSON.stringify(err));
    setImmediate(() => session.disconnect()); // disconnecting inside the callback aborts Node 8
    console.log(`${process.version} wrote ${file} with inspector HeapProfiler.takeHeapSnapshot`);
  });
}
