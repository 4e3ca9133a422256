'use strict';
// One process, three snapshots (memlab's baseline / target / final) for the diff and trend reports.
// Two growers:
// - `pending` (an array of PendingJob) leaks linearly: +300 jobs (~300 B each) per phase.
// - `sessionCache` (a Map of CachedSession, ~1 KB each) fills to its cap of 900 entries between
//   baseline and target, then levels off (it evicts the oldest entry once full).
// Over baseline..final the cache grows more than the linear leak; over target..final only the
// linear leak grows.
const { snapshot } = require('./_snapshot');

const [baselinePath, targetPath, finalPath] = process.argv.slice(2);
if (!finalPath) throw new Error('usage: node series.js <baseline> <target> <final>');

class PendingJob {
  constructor(n) {
    this.n = n;
    this.name = `job-${n}`;
    this.args = [n, n + 1, n + 2, n + 3];
    this.meta = { attempt: 0, queue: 'default' };
  }
}
class CachedSession {
  constructor(n) {
    this.n = n;
    this.token = `tok-${n}-${'0123456789abcdef'.repeat(4)}`;
    this.history = new Array(100).fill(n); // ~0.8 KB of elements
  }
}

const pending = [];
const sessionCache = new Map();
const CACHE_CAP = 900;
let nextSession = 0;
let nextJob = 0;

function phase(jobs, sessions) {
  for (let i = 0; i < jobs; i++) pending.push(new PendingJob(nextJob++));
  for (let i = 0; i < sessions; i++) {
    sessionCache.set(`s${nextSession}`, new CachedSession(nextSession));
    nextSession++;
    if (sessionCache.size > CACHE_CAP) sessionCache.delete(sessionCache.keys().next().value);
  }
}

globalThis.app = { pending, sessionCache };
phase(300, 100);
snapshot(baselinePath);
phase(300, 800); // cache reaches its cap
snapshot(targetPath);
phase(300, 800); // cache full: evicts as much as it adds
snapshot(finalPath);
