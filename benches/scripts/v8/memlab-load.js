'use strict';
// memlab's time to load a snapshot and compute dominators and retained sizes (what its
// getFullHeapFromFile does). Run with the @memlab/core that testdata/node/reference installs:
// node --max-old-space-size=20000 memlab-load.js <file>
const path = require('path');
const core = require(path.join(__dirname, '../../../testdata/node/reference/node_modules/@memlab/core'));
(async () => {
  core.config.verbose = false;
  const t0 = Date.now();
  const s = await core.utils.getSnapshotFromFile(process.argv[2], { buildNodeIdIndex: true });
  const t1 = Date.now();
  core.analysis.preparePathFinder(s);
  const t2 = Date.now();
  process.stdout.write(JSON.stringify({ nodes: s.nodes.length, edges: s.edges.length,
    parse_s: (t1 - t0) / 1000, analyse_s: (t2 - t1) / 1000, total_s: (t2 - t0) / 1000,
    root_retained: s.nodes.get(0).retainedSize }) + '\n');
})().catch((e) => { console.error(e); process.exit(1); });
