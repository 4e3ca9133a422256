'use strict';
// A healthy service in steady state, three heap snapshots of ONE process (see ../README.md).
//
// Requests are served in batches on the event loop (each batch yields with setImmediate between
// chunks, as I/O callbacks would). Every request parses a JSON body, subscribes a per-request
// listener to a module-level EventEmitter and unsubscribes it when done, looks its product up in a
// bounded LRU cache (a Map, CACHE_CAP entries, the eldest evicted), renders a JSON response into a
// Buffer and drops it. The only other state is bounded: a fixed Float64Array of recent latencies
// and a counter per endpoint over a fixed set of endpoints.
//
// A warm-up of WARMUP requests fills the cache before the first snapshot; each snapshot follows
// PER_STEP more requests. v8.writeHeapSnapshot runs a full GC first.
const v8 = require('v8');
const { EventEmitter } = require('events');

const [out1, out2, out3] = process.argv.slice(2);
if (!out3) throw new Error('usage: node healthy-series.js <1.heapsnapshot> <2.heapsnapshot> <3.heapsnapshot>');

const CACHE_CAP = 300;
const KEYS = 2000;
const WARMUP = 30000;
const PER_STEP = 20000;
const CHUNK = 500;
const ENDPOINTS = ['/product', '/search', '/cart', '/checkout', '/health', '/price', '/stock', '/user'];

class Product {
  constructor(sku) {
    this.sku = sku;
    this.title = `Product ${sku}`;
    this.price = (sku.length * 7919) % 10000;
    this.tags = ['new', 'sale'].map((t) => `${t}-${sku}`);
    this.description = `${sku}:`.padEnd(96, '.');
  }
}

const cache = new Map();
const bus = new EventEmitter();
const latencies = new Float64Array(1024);
const hits = Object.fromEntries(ENDPOINTS.map((e) => [e, 0]));
let served = 0;

function product(sku) {
  let p = cache.get(sku);
  if (p) {
    cache.delete(sku); // refresh recency
  } else {
    p = new Product(sku);
  }
  cache.set(sku, p);
  if (cache.size > CACHE_CAP) cache.delete(cache.keys().next().value);
  return p;
}

function handle(n) {
  const start = process.hrtime.bigint();
  // Skewed keys: a hot set that stays cached and a long tail that churns the LRU.
  let k = (n * 2654435761) % KEYS;
  if (n % 3 !== 0) k %= CACHE_CAP / 2;
  const endpoint = ENDPOINTS[n % ENDPOINTS.length];
  const body = JSON.stringify({ endpoint, sku: `sku-${String(k).padStart(5, '0')}`, lang: 'en', page: n % 7 });
  const req = JSON.parse(body);
  let notified = 0;
  const onPriceChange = () => {
    notified++;
  };
  bus.on('priceChange', onPriceChange);
  try {
    const p = product(req.sku);
    if (n % 100 === 0) bus.emit('priceChange', p.sku);
    const response = Buffer.from(JSON.stringify({ sku: p.sku, title: p.title, price: p.price, tags: p.tags, notified }));
    hits[endpoint]++;
    return response.length;
  } finally {
    bus.off('priceChange', onPriceChange);
    latencies[n % latencies.length] = Number(process.hrtime.bigint() - start);
  }
}

async function serve(requests) {
  for (let i = 0; i < requests; i += CHUNK) {
    for (let j = 0; j < CHUNK; j++) handle(served++);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function main() {
  globalThis.service = { cache, bus, latencies, hits };
  await serve(WARMUP);
  // Nothing is printed until the last snapshot is written: the first write to process.stdout
  // sets the stream up (tty/net/stream modules, their code), a one-time step that would otherwise
  // fall between the first two snapshots and show up as growth.
  const log = [`warmed up: served ${served}, cached ${cache.size}`];
  for (const path of [out1, out2, out3]) {
    await serve(PER_STEP);
    log.push(`wrote ${v8.writeHeapSnapshot(path)} (served ${served}, cached ${cache.size})`);
  }
  process.stdout.write(`${log.join('\n')}\n`);
}

main();
