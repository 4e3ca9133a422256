'use strict';
// Records memlab's answers for every snapshot in ../snapshots into <name>.memlab.json, so the
// Rust tests can compare against memlab without installing it. See ../README.md.
//
// Per snapshot: node and edge counts, per-class count and self size (class = the name Chrome
// DevTools' Summary view groups by, see devtoolsClass below), the 50 nodes with the largest
// retained size as memlab computes it (id, class, raw name, retained size, dominator id), and
// totals.
const fs = require('fs');
const path = require('path');
const core = require('@memlab/core');

const TOP = 50;

// DevTools' classic JSHeapSnapshotNode.className(): object and native nodes by their name
// (constructor name, "system / Context", "Node / ..."), hidden nodes as (system), code as
// (compiled code), everything else as "(<type>)": (closure), (array), (string),
// (concatenated string), (sliced string), (number), (regexp), (symbol), (object shape), ...
function devtoolsClass(type, name) {
  switch (type) {
    case 'hidden':
      return '(system)';
    case 'object':
    case 'native':
      return name;
    case 'code':
      return '(compiled code)';
    default:
      return `(${type})`;
  }
}

async function record(file, outFile) {
  core.config.verbose = false;
  const snapshot = await core.utils.getSnapshotFromFile(file, { buildNodeIdIndex: true });
  core.analysis.preparePathFinder(snapshot); // dominators + retained sizes, as memlab's tools do

  const classes = new Map();
  let selfTotal = 0;
  const top = []; // [retained, id, ordinal] kept sorted, at most TOP
  const nodes = snapshot.nodes;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes.get(i);
    const cls = devtoolsClass(node.type, node.name);
    const agg = classes.get(cls) || { count: 0, self_size: 0 };
    agg.count += 1;
    agg.self_size += node.self_size;
    classes.set(cls, agg);
    selfTotal += node.self_size;
    const r = node.retainedSize;
    if (top.length < TOP || r > top[top.length - 1][0] ||
        (r === top[top.length - 1][0] && node.id < top[top.length - 1][1])) {
      top.push([r, node.id, i]);
      top.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
      if (top.length > TOP) top.pop();
    }
  }
  const edgeTypes = {};
  snapshot.edges.forEach((edge) => {
    edgeTypes[edge.type] = (edgeTypes[edge.type] || 0) + 1;
  });
  const root = nodes.get(0);
  const result = {
    file: path.basename(file),
    tool: `@memlab/core ${require('@memlab/core/package.json').version}`,
    node_count: nodes.length,
    edge_count: snapshot.edges.length,
    edge_count_by_type: Object.fromEntries(Object.entries(edgeTypes).sort()),
    self_size_total: selfTotal,
    root_retained_size: root.retainedSize,
    classes: [...classes.entries()]
      .sort((a, b) => b[1].self_size - a[1].self_size || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([name, v]) => ({ name, count: v.count, self_size: v.self_size })),
    largest_retained: top.map(([retained, id, ordinal]) => {
      const n = nodes.get(ordinal);
      return {
        id,
        class: devtoolsClass(n.type, n.name),
        type: n.type,
        name: n.name.length > 120 ? n.name.slice(0, 120) : n.name,
        self_size: n.self_size,
        retained_size: retained,
        dominator_id: n.dominatorNode ? n.dominatorNode.id : null,
      };
    }),
  };
  fs.writeFileSync(outFile, JSON.stringify(result, null, 1) + '\n');
  process.stdout.write(`${path.basename(outFile)}: ${result.node_count} nodes, ${result.edge_count} edges\n`);
}

(async () => {
  const files = process.argv.slice(2);
  for (const f of files) {
    const out = path.join(__dirname, path.basename(f).replace(/\.heapsnapshot$/, '.memlab.json'));
    await record(f, out);
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
