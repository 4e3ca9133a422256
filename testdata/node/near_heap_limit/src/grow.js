'use strict';
// A collection that only grows, kept in a module variable (testdata/node/near_heap_limit/README.md):
//   node --max-old-space-size=8 --heapsnapshot-near-heap-limit=1 grow.js map|set
//       grows until the heap limit: Node writes a snapshot near it, then dies
//   node grow.js map|set N FILE
//       adds N entries, then writes FILE (the same program's ordinary snapshot, between two calls)
// map: `seen`, a Map of every id ever seen to a small record; set: `visited`, a Set of records.
const v8 = require('v8');

const seen = new Map();
const visited = new Set();

function remember(mode, i) {
  if (mode === 'map') seen.set(i, { id: i });
  else visited.add({ id: i });
}

const [mode, nArg, out] = process.argv.slice(2);
if (mode !== 'map' && mode !== 'set') throw new Error('usage: grow.js map|set [N FILE]');
const n = nArg === undefined ? Infinity : Number(nArg);
for (let i = 0; i < n; i++) remember(mode, i);
if (out) v8.writeHeapSnapshot(out);
