'use strict';
// Heap shapes the V8 benches do not cover, one per snapshot (breadth8/RESULTS.md):
//   node --max-old-space-size=16384 make-node.js OUT.heapsnapshot MODE N
// MODE:
//   array N    one JS array of N distinct small objects (one node with out-degree N)
//   map N      a Map of N string keys to small objects (one table with 2N references)
//   chain N    a singly linked list of N objects (dominator tree N deep)
//   shapes N   N objects each with its own hidden class (N distinct maps) and N distinct
//              closures (one function literal, N contexts)
//   strings N  N cons strings (a + b of two distinct flat strings), N sliced strings of one
//              10 MB string, and ten 50 MB flat strings
const v8 = require('v8');

const [out, mode, nArg] = process.argv.slice(2);
if (!out || !mode) throw new Error('usage: make-node.js OUT MODE N');
const n = Number(nArg);
let hold;
switch (mode) {
  case 'array': {
    const a = new Array(n);
    for (let i = 0; i < n; i++) a[i] = { v: i };
    hold = a;
    break;
  }
  case 'map': {
    const m = new Map();
    for (let i = 0; i < n; i++) m.set('key-' + i, { v: i });
    hold = m;
    break;
  }
  case 'chain': {
    const head = { v: 0, next: null };
    let t = head;
    for (let i = 1; i < n; i++) { t.next = { v: i, next: null }; t = t.next; }
    hold = head;
    break;
  }
  case 'shapes': {
    const objs = new Array(n);
    const fns = new Array(n);
    for (let i = 0; i < n; i++) {
      const o = {};
      o['p' + i] = i; // a property name of its own: a map of its own
      objs[i] = o;
      const captured = { i };
      fns[i] = () => captured.i;
    }
    hold = { objs, fns };
    break;
  }
  case 'strings': {
    const big = 'x'.repeat(10 << 20) + Math.random();
    const flat = [];
    for (let i = 0; i < 10; i++) flat.push((String.fromCharCode(97 + i)).repeat(50 << 20));
    const cons = new Array(n);
    const sliced = new Array(n);
    for (let i = 0; i < n; i++) {
      cons[i] = 'left-part-' + i + '-' + 'right-part-of-the-string-' + (i * 7);
      sliced[i] = big.slice(i % 1000, (i % 1000) + 64 + (i % 100));
    }
    hold = { big, flat, cons, sliced };
    break;
  }
  default:
    throw new Error('unknown mode ' + mode);
}
globalThis.held = hold;
const t0 = Date.now();
v8.writeHeapSnapshot(out);
process.stderr.write(`wrote ${out} (${mode} ${n}) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
