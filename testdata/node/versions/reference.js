'use strict';
// Records plain facts of each snapshot in this folder into reference/<name>.json, read straight from the JSON
// (no memlab: memlab's own answers are in reference/<name>.memlab.json when record-memlab succeeded).
// Run with any Node >= 12: `node reference.js` (reads *.heapsnapshot.gz).
//
// Per snapshot: the node version that wrote it (from generate.sh's <name>.version.txt), snapshot.meta verbatim
// (node_fields, node_types, edge_fields, edge_types, and the trace/location/sample fields when present),
// node_count / edge_count (from snapshot.node_count / edge_count and checked against the arrays), the lengths of
// trace_function_infos, trace_tree, samples, locations and strings, edge counts by type, the sum of self sizes, and
// per class (DevTools' classic Summary grouping, same rule as ../reference/record.js: object and native nodes by
// name, hidden as (system), code as (compiled code), any other type as (<type>)) the count and self size.
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const HERE = __dirname;
const OUT = path.join(HERE, 'reference');
fs.mkdirSync(OUT, { recursive: true });

function devtoolsClass(type, name) {
  switch (type) {
    case 'hidden': return '(system)';
    case 'object':
    case 'native': return name;
    case 'code': return '(compiled code)';
    default: return `(${type})`;
  }
}

for (const f of fs.readdirSync(HERE).filter((f) => f.endsWith('.heapsnapshot.gz')).sort()) {
  const name = f.replace(/\.heapsnapshot\.gz$/, '');
  const s = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(HERE, f))).toString('utf8'));
  const meta = s.snapshot.meta;
  const nf = meta.node_fields, ef = meta.edge_fields;
  const NF = nf.length, EF = ef.length;
  const iType = nf.indexOf('type'), iName = nf.indexOf('name'), iSelf = nf.indexOf('self_size');
  const iEdges = nf.indexOf('edge_count'), eType = ef.indexOf('type');
  const nodeTypes = meta.node_types[iType], edgeTypes = meta.edge_types[eType];
  const nodes = s.nodes, edges = s.edges, strings = s.strings;
  const nodeCount = nodes.length / NF, edgeCount = edges.length / EF;
  if (nodeCount !== s.snapshot.node_count || edgeCount !== s.snapshot.edge_count) {
    throw new Error(`${f}: array lengths disagree with snapshot.node_count/edge_count`);
  }
  let edgeSum = 0;
  const classes = new Map();
  let selfTotal = 0;
  for (let i = 0; i < nodes.length; i += NF) {
    const cls = devtoolsClass(nodeTypes[nodes[i + iType]], strings[nodes[i + iName]]);
    const a = classes.get(cls) || { count: 0, self_size: 0 };
    a.count += 1;
    a.self_size += nodes[i + iSelf];
    classes.set(cls, a);
    selfTotal += nodes[i + iSelf];
    edgeSum += nodes[i + iEdges];
  }
  if (edgeSum !== edgeCount) throw new Error(`${f}: sum of edge_count ${edgeSum} != ${edgeCount}`);
  const byType = {};
  for (let i = 0; i < edges.length; i += EF) {
    const t = edgeTypes[edges[i + eType]];
    byType[t] = (byType[t] || 0) + 1;
  }
  let version = null;
  const vf = path.join(HERE, `${name}.version.txt`);
  if (fs.existsSync(vf)) version = fs.readFileSync(vf, 'utf8').trim();
  const len = (k) => (Array.isArray(s[k]) ? s[k].length : null);
  const result = {
    file: f,
    written_by: version,
    meta,
    node_count: nodeCount,
    edge_count: edgeCount,
    trace_function_count: s.snapshot.trace_function_count === undefined ? null : s.snapshot.trace_function_count,
    lengths: {
      nodes: nodes.length, edges: edges.length, strings: strings.length,
      trace_function_infos: len('trace_function_infos'), trace_tree: len('trace_tree'),
      samples: len('samples'), locations: len('locations'),
    },
    edge_count_by_type: Object.fromEntries(Object.entries(byType).sort()),
    self_size_total: selfTotal,
    classes: [...classes.entries()]
      .sort((a, b) => b[1].self_size - a[1].self_size || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([n, v]) => ({ name: n, count: v.count, self_size: v.self_size })),
  };
  fs.writeFileSync(path.join(OUT, `${name}.json`), JSON.stringify(result, null, 1) + '\n');
  console.log(`${name}: ${nodeCount} nodes, ${edgeCount} edges, ${selfTotal} B self, ${classes.size} classes`);
}
