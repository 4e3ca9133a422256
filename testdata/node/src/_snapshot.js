'use strict';
// Shared helper for the scenarios: write the heap snapshot named on the command line, once the
// scenario says it has reached its steady state. v8.writeHeapSnapshot runs a full GC first.
const v8 = require('v8');

function snapshot(path) {
  if (!path) throw new Error('usage: node <scenario>.js <out.heapsnapshot>');
  const written = v8.writeHeapSnapshot(path);
  process.stdout.write(`wrote ${written}\n`);
}

module.exports = { snapshot, out: (i = 2) => process.argv[i] };
