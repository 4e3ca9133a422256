'use strict';
// Node producer for testdata/go/producers/ (see ../../README.md): @datadog/pprof's sampling heap profiler
// (V8's SamplingHeapProfiler; live objects only: sample types objects/count and space/bytes).
// Usage: node heap.js OUT.pb.gz   (needs @datadog/pprof resolvable, e.g. NODE_PATH=<dir>/node_modules)
// State: a module-level Map of 2,000 Entry (each with a 1,000-element Array) kept (retain()), 20,000 short-lived
// 1 KiB strings dropped (churn()). Sampling interval 4096 bytes, stack depth 64.
const fs = require('fs');
const pprof = require('@datadog/pprof');

class Entry {
  constructor(i) {
    this.id = i;
    this.values = new Array(1000).fill(i);
  }
}

const cache = new Map();
function retain() {
  for (let i = 0; i < 2000; i++) cache.set('k' + i, new Entry(i));
}
let sink = '';
function churn() {
  for (let i = 0; i < 20000; i++) sink = String(i).repeat(1024 / String(i).length | 0);
}

pprof.heap.start(4096, 64);
retain();
churn();
const profile = pprof.heap.profile();
pprof.heap.stop();
fs.writeFileSync(process.argv[2], pprof.encodeSync(profile));
console.log(`${process.version}: ${cache.size} entries, ${profile.sample.length} samples -> ${process.argv[2]} (${sink.length})`);
