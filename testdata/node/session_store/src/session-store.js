'use strict';
// A session store that is never pruned on logout (issue 14), three heap snapshots of ONE process:
// memlab's baseline, target and final.
//
// login() puts a Session in the module-level `sessionStore` (a Map). logout() releases what the
// session held (its cart, LOGIN_BYTES of it) and marks it logged out, but forgets
// `sessionStore.delete(id)`: every Session and its small user record stay in the Map forever.
//
//   warm-up  WARM_LOGINS logins, all logged out again               → baseline
//   phase 1  PHASE1_LOGINS logins (users stay logged in)            → target
//   phase 2  PHASE1_LOGOUTS of those log out, PHASE2_LOGINS log in  → final
//
// In bytes the store grows in phase 1 and hardly at all in phase 2 (the carts freed by the
// logouts offset the new logins): its series levels off, the shape of a cache. But every Session
// allocated in phase 1 is still alive in final, under `sessionStore > Map > table`: that is the
// leak. A store that deleted the session on logout would keep none of the logged-out ones.
const v8 = require('v8');

const [baselinePath, targetPath, finalPath] = process.argv.slice(2);
if (!finalPath) throw new Error('usage: node session-store.js <baseline> <target> <final>');

const WARM_LOGINS = 200;
const PHASE1_LOGINS = 1200;
const PHASE1_LOGOUTS = 500;
const PHASE2_LOGINS = 500;
const CART_ITEMS = 12;

class UserRecord {
  constructor(n) {
    this.name = `user-${n}`;
    this.roles = ['reader'];
  }
}

class CartItem {
  constructor(n, i) {
    this.sku = `sku-${n}-${i}`;
    this.qty = 1 + (i % 3);
  }
}

class Session {
  constructor(id, n) {
    this.id = id;
    this.user = new UserRecord(n);
    this.cart = Array.from({ length: CART_ITEMS }, (_, i) => new CartItem(n, i));
    this.loggedIn = true;
  }
}

const sessionStore = new Map();
let next = 0;

function login() {
  const n = next++;
  const id = `sid-${n.toString(16).padStart(8, '0')}`;
  sessionStore.set(id, new Session(id, n));
  return id;
}

function logout(id) {
  const s = sessionStore.get(id);
  if (!s) return;
  s.cart = null; // what the session held is released ...
  s.loggedIn = false;
  // ... but the bug: no sessionStore.delete(id)
}

function snapshot(path) {
  process.stdout.write(`wrote ${v8.writeHeapSnapshot(path)} (${sessionStore.size} sessions)\n`);
}

// The module keeps the store reachable from its closure, as a service module would.
globalThis.service = { login, logout, size: () => sessionStore.size };

const warm = [];
for (let i = 0; i < WARM_LOGINS; i++) warm.push(login());
for (const id of warm) logout(id);
snapshot(baselinePath);

const phase1 = [];
for (let i = 0; i < PHASE1_LOGINS; i++) phase1.push(login());
snapshot(targetPath);

for (const id of phase1.slice(0, PHASE1_LOGOUTS)) logout(id);
for (let i = 0; i < PHASE2_LOGINS; i++) login();
snapshot(finalPath);
