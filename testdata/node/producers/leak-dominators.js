'use strict';
// memlab's answer to "what holds the leak" for each snapshot given: loads it as record.js does
// (@memlab/core, getSnapshotFromFile + preparePathFinder: shortest paths, dominators, retained sizes),
// takes every object node named LEAK_CLASS (default SessionRecord, the class src/leak.js leaks), and
// writes <snapshot>.leak.json: their count and self size, and the lowest node of memlab's dominator
// tree that dominates all of them with its dominator chain up to the root (id, class, retained size).
// Run from a directory where @memlab/core is installed (generate.sh does).
const path = require('path');
const fs = require('fs');
const core = require('@memlab/core');

const LEAK_CLASS = process.env.LEAK_CLASS || 'SessionRecord';

function describe(n) {
  return { id: n.id, type: n.type, name: n.name.slice(0, 120), self_size: n.self_size, retained_size: n.retainedSize };
}

async function main() {
  core.config.verbose = false;
  for (const file of process.argv.slice(2)) {
    const snapshot = await core.utils.getSnapshotFromFile(file, { buildNodeIdIndex: true });
    core.analysis.preparePathFinder(snapshot);
    const leaked = [];
    snapshot.nodes.forEach((n) => {
      if (n.type === 'object' && n.name === LEAK_CLASS) leaked.push(n);
    });
    // the chain of dominators of a node, from the node up to the root (the root dominates itself)
    const chain = (n) => {
      const out = [n];
      while (out[out.length - 1].dominatorNode && out[out.length - 1].dominatorNode.id !== out[out.length - 1].id) {
        out.push(out[out.length - 1].dominatorNode);
      }
      return out;
    };
    // lowest common dominator: walk the first node's chain and keep what every other chain holds
    let common = leaked.length ? chain(leaked[0]).slice(1) : [];
    for (const n of leaked.slice(1)) {
      const ids = new Set(chain(n).slice(1).map((d) => d.id));
      common = common.filter((d) => ids.has(d.id));
    }
    const result = {
      file: path.basename(file),
      tool: `@memlab/core ${require('@memlab/core/package.json').version}`,
      leak_class: LEAK_CLASS,
      count: leaked.length,
      self_size: leaked.reduce((s, n) => s + n.self_size, 0),
      common_dominator_chain: common.map(describe),
    };
    const out = file.replace(/\.heapsnapshot$/, '') + '.leak.json';
    fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
    console.log(`${out}: ${leaked.length} ${LEAK_CLASS}, lowest common dominator ${common.length ? common[0].name + ' @' + common[0].id : 'none'}`);
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
