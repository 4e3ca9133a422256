'use strict';
// A plain object that names an application's state, as a module's `state = {…}` or a
// `globalThis.app = {…}` does: `globalThis.appState = {sessions, meta, detached, pending}`.
//   sessions: a Map of N Session objects (a nested user, a Set of tags, two closures, a typed
//             array), never pruned                                    — the biggest field;
//   detached: an Array of N/250 detached DOM-like trees of 250 FakeElement nodes (children
//             arrays, parent back pointers, attribute Maps, listener closures), never released
//                                                                     — the second field;
//   meta:     a WeakMap keyed by the sessions, one small record each: a WeakMap value is
//             dominated by the common dominator of the table and its key, so the N records sit
//             directly below appState;
//   pending:  N/5 pending Promises whose resolvers are kept by sessions: each promise is held
//             by the array and by its session's resolver, so it sits directly below appState too.
// Neither field keeps 70% of appState; together they keep most of it. The holders a developer
// edits are `appState.sessions` and `appState.detached`, whatever N is.
//   node holder.js OUT.heapsnapshot [N]   (N defaults to 2000)
const { snapshot } = require('../../src/_snapshot.js');
const [out, nArg] = process.argv.slice(2);
const n = Number(nArg || 2000);

class User { constructor(i) { this.name = 'user-' + i; this.email = 'u' + i + '@example.org'; } }
class Session {
  constructor(i) {
    this.id = 'sess-' + i.toString(36);
    this.user = new User(i);
    this.tags = new Set(['t' + (i % 50), 'seen-' + i]);
    this.onMessage = (msg) => this.id + msg.length;
    this.buf = new Uint8Array(32);
  }
}
class FakeElement {
  constructor(tag, parent) {
    this.tagName = tag; this.parentNode = parent; this.children = [];
    this.attributes = new Map([['class', 'c' + (parent ? parent.children.length : 0)]]);
    this.listeners = [() => this.tagName];
    if (parent) parent.children.push(this);
  }
}

// Built in a function that has returned when the snapshot is written: no frame holds a field.
function build() {
  const appState = {};
  const sessions = new Map();
  const meta = new WeakMap();
  for (let i = 0; i < n; i++) {
    const s = new Session(i);
    sessions.set(s.id, s);
    meta.set(s, { lastSeen: i, hits: [i, i + 1] });
  }
  const detached = [];
  const tags = ['div', 'span', 'li', 'ul'];
  for (let t = 0; t < n / 250; t++) {
    const nodes = [new FakeElement('body', null)];
    for (let k = 1; k < 250; k++) nodes.push(new FakeElement(tags[k % tags.length], nodes[(k - 1) >> 2]));
    detached.push(nodes[0]);
  }
  const pending = [];
  let j = 0;
  for (const s of sessions.values()) {
    if (j++ % 5 === 0) pending.push(new Promise((resolve) => { s.resolve = resolve; }));
  }
  Object.assign(appState, { sessions, meta, detached, pending });
  globalThis.appState = appState;
}

build();
snapshot(out);
