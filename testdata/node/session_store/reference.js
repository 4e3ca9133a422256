'use strict';
// memlab's own answer for baseline/target/final (see README.md): the objects allocated between
// baseline and target that are still alive in final (memlab's diffSnapshots rule: ids in target,
// not in baseline, present in final), counted per class, and memlab's clustering of their retainer
// traces (MemoryAnalyst.clusterHeapObjects). Run by gen.sh with NODE_PATH at ../reference's
// node_modules (@memlab/core, pinned there). Prints JSON.
const core = require('@memlab/core');
const [baseline, target, final] = process.argv.slice(2);

function devtoolsClass(node) {
  switch (node.type) {
    case 'hidden':
      return '(system)';
    case 'object':
    case 'native':
      return node.name;
    case 'code':
      return '(compiled code)';
    default:
      return `(${node.type})`;
  }
}

(async () => {
  core.config.verbose = false;
  const baseIds = await core.utils.getSnapshotNodeIdsFromFile(baseline, {});
  const targetIds = await core.utils.getSnapshotNodeIdsFromFile(target, {});
  const snapshot = await core.utils.getSnapshotFromFile(final, { buildNodeIdIndex: true });
  const leaked = new Set();
  const perClass = {};
  snapshot.nodes.forEach((node) => {
    if (targetIds.has(node.id) && !baseIds.has(node.id)) {
      leaked.add(node.id);
      const c = devtoolsClass(node);
      perClass[c] = (perClass[c] || 0) + 1;
    }
  });
  const clusters = core.analysis.clusterHeapObjects(leaked, snapshot).map((c) => {
    const trace = [];
    let p = c.path;
    while (p) {
      if (p.node) trace.push(p.node.name);
      if (p.edge) trace.push(String(p.edge.name_or_index));
      p = p.next;
    }
    return { count: c.count, retained_size: c.retainedSize, trace };
  });
  clusters.sort((a, b) => (b.retained_size || 0) - (a.retained_size || 0) || b.count - a.count);
  const sortedClasses = Object.fromEntries(Object.entries(perClass).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const out = {
    memlab_core: require('@memlab/core/package.json').version,
    leaked_count: leaked.size,
    leaked_by_class: sortedClasses,
    clusters: clusters.slice(0, 20),
  };
  process.stdout.write(JSON.stringify(out, null, 1) + '\n');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
