'use strict';
// A service-like Node heap for the V8 breadth bench (make-service.sh), unlike make-big.js's:
// node --max-old-space-size=16384 make-service.js <out.heapsnapshot> [SCALE]
// SCALE (default 400,000) sessions, each a class instance with 24 fields (some deleted, so a
// share of them go dictionary-mode), held in a Map and indexed by user in a Map of Sets; their
// ids are cons strings (concatenations left unflattened) and their paths sliced strings (slices of
// long request logs); every session has a small Buffer token (ArrayBuffer backing stores),
// Float64Array metrics, a WeakRef and a WeakMap entry (weak edges), and an EventEmitter of its own
// with 1–4 listeners (closures over the session). Beside them: closures capturing arrays of up to
// 100,000 elements, an LRU as a doubly linked list of SCALE / 2 nodes (a deep chain), a sparse
// (dictionary-elements) array, one array of SCALE × 4 numbers and one of SCALE objects, BigInts,
// Symbols, pending Promises with their reactions, and a few large ArrayBuffers.
const v8 = require('v8');
const { EventEmitter } = require('events');

const [out, scaleArg] = process.argv.slice(2);
if (!out) throw new Error('usage: make-service.js <out.heapsnapshot> [SCALE]');
const scale = Number(scaleArg || 400000);

let seed = 0x2545f491;
function rnd(n) { // xorshift32: the same shape for the same SCALE
  seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0;
  return seed % n;
}

const PATHS = [];
for (let i = 0; i < 64; i++) PATHS.push(`/api/v${i % 3 + 1}/items/${i}/details?expand=owner,tags,history&page=`.repeat(3));
const TAG = Symbol('session');

class Session {
  constructor(i, user) {
    this.id = 'sess-' + user.slice(0, 6) + '-' + i.toString(36) + ':' + (i * 7919 % 100003);
    this.user = user;
    this.created = 1.7e12 + i * 1.5;      // heap numbers
    this.score = i / 7;
    this.visits = i % 1000;
    this.locale = ['en-US', 'de-DE', 'fr-FR', 'ja-JP'][i % 4];
    this.path = PATHS[i % PATHS.length].substring(7 + i % 40, 90 + i % 60);  // sliced string
    this.token = Buffer.alloc(16 + (i % 4) * 16, i & 255);
    this.metrics = new Float64Array(4 + (i % 8));
    this.tags = new Set(['t' + (i % 50), 't' + (i % 7)]);
    this.cart = i % 3 === 0 ? [] : [{ sku: i * 13, qty: 1 + i % 5 }, { sku: i * 17, qty: 2 }];
    this.headers = { host: 'svc.example.org', agent: 'node/' + (i % 20), accept: '*/*' };
    this.events = new EventEmitter();
    this.ref = null;
    this.big = i % 97 === 0 ? BigInt(i) ** 5n : 0n;
    this[TAG] = i;
    this.f16 = i; this.f17 = i + 1; this.f18 = 'x'; this.f19 = null; this.f20 = true;
    this.f21 = i & 1; this.f22 = []; this.f23 = undefined;
    if (i % 5 === 0) { delete this.f19; delete this.f20; }  // dictionary-mode properties
  }
}

const sessions = new Map();
const byUser = new Map();
const weak = new WeakMap();
const refs = [];
const users = [];
for (let i = 0; i < Math.max(1, scale / 25); i++) users.push(`user${(i * 7919) % 1000003}@example.org`);

for (let i = 0; i < scale; i++) {
  const user = users[rnd(users.length)];
  const s = new Session(i, user);
  for (let l = 1 + (i % 4); l > 0; l--) s.events.on(l % 2 ? 'close' : 'data', (x) => { s.visits += x ? 1 : 0; });
  sessions.set(s.id, s);
  let set = byUser.get(user);
  if (!set) byUser.set(user, (set = new Set()));
  set.add(s);
  weak.set(s, { seen: i });
  if (i % 4 === 0) refs.push(new WeakRef(s));
}

// Closures capturing arrays, some big.
const handlers = [];
for (let i = 0; i < scale / 20; i++) {
  const captured = new Array(i % 1000 === 0 ? 100000 : 8 + (i % 32)).fill(i);
  const label = 'h' + i;
  handlers.push(function handler(x) { return captured.length + label.length + x; });
}

// An LRU: a Map to doubly linked list nodes (a chain SCALE / 2 deep).
const lru = { map: new Map(), head: null, tail: null };
for (let i = 0; i < scale / 2; i++) {
  const node = { key: 'k' + i, value: { n: i }, prev: lru.tail, next: null };
  if (lru.tail) lru.tail.next = node; else lru.head = node;
  lru.tail = node;
  lru.map.set(node.key, node);
}

// Odd arrays and big ones.
const sparse = [];
for (let i = 0; i < scale; i += 7) sparse[i * 13] = { i };
const numbers = new Array(scale * 4).fill(0).map((_, i) => (i % 3 === 0 ? i + 0.5 : i));
const objects = Array.from({ length: scale }, (_, i) => ({ i, s: 'o' + i }));
const blobs = [new ArrayBuffer(64 << 20), new Uint8Array(32 << 20), new SharedArrayBuffer(8 << 20)];
const pending = [];
for (let i = 0; i < scale / 40; i++) {
  const p = new Promise(() => {});
  pending.push(p.then((v) => v + i).catch(() => i));
}

globalThis.service = { sessions, byUser, weak, refs, handlers, lru, sparse, numbers, objects, blobs, pending };
const t0 = Date.now();
v8.writeHeapSnapshot(out);
process.stderr.write(`wrote ${out} (${process.version}, ${scale} sessions) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
