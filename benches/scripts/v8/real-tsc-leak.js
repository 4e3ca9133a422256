// A real program with a real leak (issue 17 breadth: three snapshots for `heapscope trend`, and the
// snapshot Node writes near its heap limit): a watch-mode compile server built on the TypeScript
// compiler (unmodified). On every "edit" it changes one module of a generated project, rebuilds the
// Program incrementally (ts.createProgram with oldProgram: unchanged SourceFiles are reused), checks
// it, and — the leak — keeps every Program in an "undo history" that nothing trims, so every
// rebuild's type checker (types, symbols, relation caches) and changed SourceFile stays alive.
// Diagnostics go to a bounded LRU (healthy).
//   node [--max-old-space-size=MB --heapsnapshot-near-heap-limit=1] real-tsc-leak.js \
//     TYPESCRIPT_LIB_DIR PROJECT_DIR PREFIX MODULES SNAPS [MAX]
// SNAPS: comma-separated edit counts after which PREFIX-<count>.heapsnapshot is written
// (v8.writeHeapSnapshot, as memlab and DevTools take them), "-" for none; MAX: stop after that many
// edits (default: never, until the heap limit). Deterministic for given arguments.
'use strict';
const fs = require('fs');
const path = require('path');
const v8 = require('v8');

const [tsDir, projDir, prefix, modulesArg, snapsArg, maxArg] = process.argv.slice(2);
const modules = Number(modulesArg || 150);
const snaps = new Set(snapsArg && snapsArg !== '-' ? snapsArg.split(',').map(Number) : []);
const max = maxArg ? Number(maxArg) : Infinity;
const ts = require(path.join(tsDir, 'typescript.js'));

function moduleSource(i, rev) {
  const out = [];
  for (const d of [1, 2, 5, 13]) if (i - d >= 0) out.push(`import * as m${i - d} from './mod${i - d}';`);
  const prev = i > 0 ? `m${i - 1}` : null;
  out.push(`export interface Order${i} { id: number; sku: string; qty: number; lines: Line${i}[];`);
  out.push(`  parent?: ${prev ? `${prev}.Order${i - 1}` : 'null'}; attrs: Record<string, string | number>; }`);
  out.push(`export interface Line${i} { no: number; price: number; note?: string }`);
  out.push(`export type Msg${i} =`);
  for (let k = 0; k < 5; k++) out.push(`  | { type: 'm${i}_${k}'; order: Order${i}; at: number; seq: ${k} }`);
  out.push(';');
  out.push(`export type Deep${i}<T> = { readonly [K in keyof T]: T[K] extends object ? Deep${i}<T[K]> : T[K] };`);
  out.push(`export type Pick${i}<T, U> = { [K in keyof T as T[K] extends U ? K : never]: T[K] };`);
  out.push(`export class Store${i}<T extends { id: number }> {`);
  out.push(`  private byId = new Map<number, T>();`);
  out.push(`  put(t: T): this { this.byId.set(t.id, t); return this; }`);
  out.push(`  where<K extends keyof T>(k: K, v: T[K]): T[] { return [...this.byId.values()].filter((t) => t[k] === v); }`);
  out.push(`  fold<R>(f: (acc: R, t: T) => R, z: R): R { let r = z; for (const t of this.byId.values()) r = f(r, t); return r; }`);
  out.push(`}`);
  out.push(`export function route${i}(m: Msg${i}): number {`);
  out.push(`  switch (m.type) {`);
  for (let k = 0; k < 5; k++) out.push(`    case 'm${i}_${k}': return m.order.lines.reduce((s, l) => s + l.price * m.order.qty, ${k});`);
  out.push(`  }`);
  out.push(`}`);
  out.push(`export const numeric${i}: Pick${i}<Order${i}, number> = { id: ${i}, qty: 1 };`);
  out.push(`export const frozen${i}: Deep${i}<Order${i}> = { id: ${i}, sku: 's', qty: 1, lines: [], attrs: {} };`);
  for (const d of [1, 2, 5, 13]) {
    if (i - d < 0) continue;
    const m = `m${i - d}`;
    out.push(`export function join${i}_${d}(a: Order${i}, b: ${m}.Order${i - d}, s: ${m}.Store${i - d}<${m}.Order${i - d}>): [number, string] {`);
    out.push(`  const hits = s.where('sku', a.sku).map((o) => ${m}.route${i - d}({ type: 'm${i - d}_0', order: o, at: 0, seq: 0 }));`);
    out.push(`  return [hits.reduce((x, y) => x + y, b.qty), b.sku + a.sku];`);
    out.push(`}`);
  }
  // The edited part: one more function per revision of this module.
  for (let r = 0; r < rev; r++) {
    out.push(`export function patch${i}_${r}(o: Order${i}): Order${i} { return { ...o, qty: o.qty + ${r}, attrs: { ...o.attrs, rev: ${r} } }; }`);
  }
  return out.join('\n') + '\n';
}

fs.mkdirSync(projDir, { recursive: true });
const files = [];
const revs = new Array(modules).fill(0);
for (let i = 0; i < modules; i++) {
  const f = path.join(projDir, `mod${i}.ts`);
  fs.writeFileSync(f, moduleSource(i, 0));
  files.push(f);
}
const options = {
  strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS,
  lib: ['lib.es2022.d.ts'], types: [],
};

const history = []; // the leak: every Program ever built, "for undo"
const lru = new Map(); // healthy: the last 50 diagnostics texts
const t0 = Date.now();
let program;
for (let edit = 1; edit <= max; edit++) {
  const i = (edit * 37) % modules;
  revs[i]++;
  fs.writeFileSync(files[i], moduleSource(i, revs[i]));
  program = ts.createProgram({ rootNames: files, options, oldProgram: program });
  const diags = ts.getPreEmitDiagnostics(program);
  const text = diags.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n');
  lru.set(edit, text);
  if (lru.size > 50) lru.delete(lru.keys().next().value);
  history.push({ edit, module: i, program, checker: program.getTypeChecker(), at: Date.now() });
  const used = Math.round(process.memoryUsage().heapUsed / 1048576);
  console.error(`edit ${edit} (mod${i}): ${diags.length} diagnostics, ${Date.now() - t0} ms, heap used ${used} MiB`);
  if (snaps.has(edit)) {
    const f = `${prefix}-${edit}.heapsnapshot`;
    v8.writeHeapSnapshot(f);
    console.error(`wrote ${f}`);
  }
}
