'use strict';
// memlab's count of detached DOM nodes in a snapshot, beside heapscope's "N detached native (DOM)
// nodes" warning: every node memlab's isDetachedDOMNode accepts, those named `Detached <…>` or
// `Detached HTML…` (DOM elements and text), and those not dominated by another detached node
// (the roots of the detached trees, by name). Run with the @memlab/core that
// testdata/node/reference installs:
//   node --max-old-space-size=20000 memlab-detached.js <file>
const path = require('path');
const core = require(path.join(__dirname, '../../../testdata/node/reference/node_modules/@memlab/core'));
(async () => {
  core.config.verbose = false;
  const s = await core.utils.getSnapshotFromFile(process.argv[2], { buildNodeIdIndex: true });
  core.analysis.preparePathFinder(s);
  let detached = 0, dom = 0, roots = 0;
  const byName = new Map();
  s.nodes.forEach((n) => {
    if (!core.utils.isDetachedDOMNode(n)) return;
    detached++;
    if (n.name.startsWith('Detached HTML') || n.name.startsWith('Detached <')) dom++;
    const d = n.dominatorNode;
    if (!d || !core.utils.isDetachedDOMNode(d)) {
      roots++;
      byName.set(n.name, (byName.get(n.name) || 0) + 1);
    }
  });
  const top = [...byName.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);
  process.stdout.write(JSON.stringify({ detached, detached_dom: dom, detached_roots: roots, top }) + '\n');
})().catch((e) => { console.error(e); process.exit(1); });
