'use strict';
// Builds a large, realistic-looking heap and writes one snapshot of it, for the V8 scale bench.
// usage: node --max-old-space-size=16384 make-big.js <out.heapsnapshot> <objects, e.g. 5000000>
// About 420 bytes of snapshot per object (Node 20): 2,500,000 objects give roughly 1 GB.
// Shapes: a class with string, array and object fields; a Map cache; closures over contexts;
// an EventEmitter with listeners; so every node and edge type of a real service appears.
const v8 = require('v8');
const { EventEmitter } = require('events');

const [out, countArg] = process.argv.slice(2);
if (!out) throw new Error('usage: make-big.js <out.heapsnapshot> [objects]');
const count = Number(countArg || 2500000);

class Order {
  constructor(i, customer) {
    this.id = i;
    this.ref = `ord-${i}`;
    this.lines = [i, i + 1, i + 2];
    this.customer = customer;
    this.meta = { shard: i % 64, retries: 0 };
  }
}

const customers = [];
for (let i = 0; i < 10000; i++) customers.push({ name: `customer-${i}`, orders: [] });
const orders = [];
const index = new Map();
const bus = new EventEmitter();
bus.setMaxListeners(0);
for (let i = 0; i < count; i++) {
  const c = customers[i % customers.length];
  const o = new Order(i, c);
  orders.push(o);
  if (i % 4 === 0) index.set(o.ref, o);
  if (i % 50 === 0) bus.on('tick', () => o.meta.retries++);
  if (i % 8 === 0) c.orders.push(o);
}
globalThis.app = { orders, index, bus, customers };
const t0 = Date.now();
v8.writeHeapSnapshot(out);
process.stderr.write(`wrote ${out} (${count} objects) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
