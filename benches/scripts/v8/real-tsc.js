// A real program holding a big heap (issue 17 breadth, not our own heap generator): the TypeScript
// compiler, unmodified, type-checks a generated project in-process and keeps the Program (ASTs,
// symbol tables, the checker's type caches), then one heap snapshot is written.
//   node real-tsc.js TYPESCRIPT_LIB_DIR PROJECT_DIR OUT.heapsnapshot MODULES
// The project is MODULES .ts files (generated here, deterministic): each module exports interfaces,
// a discriminated union, a generic class hierarchy, mapped and conditional types and functions that
// use the previous modules' exports, so the checker instantiates many generic types across files.
// Diagnostics are counted (expected 0) and printed; the heap is snapshotted while the Program and
// its checker are still reachable from a module-level variable.
'use strict';
const fs = require('fs');
const path = require('path');
const v8 = require('v8');

const [tsDir, projDir, out, modulesArg] = process.argv.slice(2);
const modules = Number(modulesArg || 1500);
const ts = require(path.join(tsDir, 'typescript.js'));

function moduleSource(i) {
  const imports = [];
  for (const d of [1, 2, 3, 7, 31]) {
    if (i - d >= 0) imports.push(`import * as m${i - d} from './mod${i - d}';`);
  }
  const prev = i > 0 ? `m${i - 1}` : null;
  const lines = [...imports, ''];
  lines.push(`export interface Entity${i} { id: number; name: string; tags: readonly string[];`);
  lines.push(`  created: Date; owner${i}?: ${prev ? `${prev}.Entity${i - 1}` : 'null'}; meta: Record<string, number>; }`);
  lines.push(`export type Event${i} =`);
  for (let k = 0; k < 6; k++) {
    lines.push(`  | { kind: 'e${i}_${k}'; at: number; payload${k}: Entity${i}[]; seq: ${k} }`);
  }
  lines.push(';');
  lines.push(`export type Partialize${i}<T> = { [K in keyof T]?: T[K] extends object ? Partialize${i}<T[K]> : T[K] };`);
  lines.push(`export type Keys${i} = keyof Entity${i};`);
  lines.push(`export type Unwrap${i}<T> = T extends Promise<infer U> ? U : T extends Array<infer V> ? V : T;`);
  lines.push(`export abstract class Repo${i}<T extends { id: number }> {`);
  lines.push(`  protected items = new Map<number, T>();`);
  lines.push(`  abstract validate(item: T): item is T;`);
  lines.push(`  add(item: T): this { if (this.validate(item)) this.items.set(item.id, item); return this; }`);
  lines.push(`  find(pred: (t: T) => boolean): T | undefined { for (const v of this.items.values()) if (pred(v)) return v; return undefined; }`);
  lines.push(`  map<U>(f: (t: T, i: number) => U): U[] { return [...this.items.values()].map(f); }`);
  lines.push(`  async load(src: () => Promise<T[]>): Promise<Unwrap${i}<Promise<T[]>>> { const xs = await src(); xs.forEach((x) => this.add(x)); return xs; }`);
  lines.push(`}`);
  lines.push(`export class EntityRepo${i} extends Repo${i}<Entity${i}> {`);
  lines.push(`  validate(item: Entity${i}): item is Entity${i} { return item.name.length > 0 && item.tags.every((t) => typeof t === 'string'); }`);
  lines.push(`  byTag(tag: string): Entity${i}[] { return this.map((e) => e).filter((e) => e.tags.includes(tag)); }`);
  lines.push(`}`);
  lines.push(`export function handle${i}(e: Event${i}): string {`);
  lines.push(`  switch (e.kind) {`);
  for (let k = 0; k < 6; k++) {
    lines.push(`    case 'e${i}_${k}': return e.payload${k}.map((p) => p.name + ':' + e.seq).join(',');`);
  }
  lines.push(`  }`);
  lines.push(`}`);
  lines.push(`export function patch${i}(e: Entity${i}, p: Partialize${i}<Entity${i}>): Entity${i} {`);
  lines.push(`  const keys = Object.keys(p) as Keys${i}[];`);
  lines.push(`  return keys.reduce((acc, k) => ({ ...acc, [k]: p[k] ?? acc[k] }), e);`);
  lines.push(`}`);
  if (prev) {
    lines.push(`export function bridge${i}(a: ${prev}.Entity${i - 1}, r: ${prev}.EntityRepo${i - 1}): Entity${i} {`);
    lines.push(`  const found = r.find((x) => x.id === a.id) ?? a;`);
    lines.push(`  const evs: ${prev}.Event${i - 1}[] = [];`);
    lines.push(`  const names = evs.map(${prev}.handle${i - 1});`);
    lines.push(`  return { id: found.id, name: found.name + names.join(''), tags: [...found.tags], created: found.created, owner${i}: found, meta: { ...found.meta } };`);
    lines.push(`}`);
  }
  for (const d of [2, 3, 7, 31]) {
    if (i - d < 0) continue;
    const m = `m${i - d}`;
    lines.push(`export const table${i}_${d}: { [K in ${m}.Keys${i - d}]: (v: ${m}.Entity${i - d}[K]) => string } = {`);
    lines.push(`  id: (v) => String(v), name: (v) => v, tags: (v) => v.join('|'), created: (v) => v.toISOString(),`);
    lines.push(`  owner${i - d}: (v) => JSON.stringify(v ?? null), meta: (v) => Object.keys(v).join(','),`);
    lines.push(`};`);
    lines.push(`export const repo${i}_${d} = new ${m}.EntityRepo${i - d}().add({ id: ${i}, name: 'n${i}', tags: ['t'], created: new Date(0), meta: {} });`);
  }
  return lines.join('\n') + '\n';
}

fs.mkdirSync(projDir, { recursive: true });
const files = [];
for (let i = 0; i < modules; i++) {
  const f = path.join(projDir, `mod${i}.ts`);
  fs.writeFileSync(f, moduleSource(i));
  files.push(f);
}

const t0 = Date.now();
const program = ts.createProgram(files, {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  lib: ['lib.es2022.d.ts'],
  types: [],
});
const diags = ts.getPreEmitDiagnostics(program);
for (const d of diags.slice(0, 5)) {
  console.error(ts.flattenDiagnosticMessageText(d.messageText, '\n'), d.file && d.file.fileName);
}
const checker = program.getTypeChecker();
console.error(
  `typescript ${ts.version}: ${files.length} modules checked in ${Date.now() - t0} ms, ` +
    `${diags.length} diagnostics, ${checker.getTypeCount()} types, ${checker.getSymbolCount()} symbols, ` +
    `heap used ${Math.round(process.memoryUsage().heapUsed / 1048576)} MiB`
);
// Kept reachable (the compiler's state is what the snapshot is of).
globalThis.__program = program;
globalThis.__checker = checker;
v8.writeHeapSnapshot(out);
