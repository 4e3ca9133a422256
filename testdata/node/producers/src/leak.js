// One leak, written so that Node, Deno and Bun run it unchanged (no Node-only module is needed to
// build the state): a module-level Map `sessionCache` that a request handler fills and nothing ever
// evicts. 3,000 `SessionRecord`s, each with a 64-number `history` array and a 40-char `token`
// string, are kept; 2,000 `RequestLog` objects are created and dropped (garbage, for contrast).
// Everything is reachable from `globalThis.__app`. Then one heap snapshot in V8's format:
//   Node:  v8.writeHeapSnapshot(file)            (full GC first)
//   Deno:  node:v8 writeHeapSnapshot(file)       (Deno runs V8)
//   Bun:   Bun.generateHeapSnapshot("v8")        (JavaScriptCore, V8's format on request)
// Usage: <runtime> leak.js OUT.heapsnapshot
class SessionRecord {
  constructor(i) {
    this.id = i;
    this.token = ('session-' + i).padEnd(40, '#');
    this.history = new Array(64).fill(i);
  }
}
class RequestLog {
  constructor(i) { this.line = 'GET /item/' + i; }
}

const sessionCache = new Map();
function handle(i) {
  const log = new RequestLog(i); // dropped when handle returns
  if (!sessionCache.has(i)) sessionCache.set(i, new SessionRecord(i));
  return log.line.length;
}
let total = 0;
for (let i = 0; i < 3000; i++) total += handle(i);
for (let i = 0; i < 2000; i++) total += handle(i); // hits: no new records
globalThis.__app = { sessionCache, total };

async function main() {
  const file = (typeof Deno !== 'undefined') ? Deno.args[0] : process.argv[2];
  if (typeof Bun !== 'undefined') {
    Bun.gc(true);
    const snap = Bun.generateHeapSnapshot('v8');
    await Bun.write(file, typeof snap === 'string' ? snap : JSON.stringify(snap));
    console.log(`bun ${Bun.version} wrote ${file} with Bun.generateHeapSnapshot("v8")`);
  } else {
    const v8 = await import('node:v8');
    v8.writeHeapSnapshot(file);
    const who = (typeof Deno !== 'undefined') ? `deno ${Deno.version.deno} (V8 ${Deno.version.v8})` : `node ${process.version}`;
    console.log(`${who} wrote ${file} with v8.writeHeapSnapshot`);
  }
}
main();
