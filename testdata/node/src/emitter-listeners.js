'use strict';
// Leak: every "request" subscribes to a long-lived EventEmitter and never unsubscribes.
// The listener closes over the request's session, so the emitter's `_events.configChanged`
// array retains 1,500 sessions.
const { EventEmitter } = require('events');
const { snapshot, out } = require('./_snapshot');

class ConfigBus extends EventEmitter {}
const bus = new ConfigBus();
bus.setMaxListeners(0); // the warning is what people silence right before they ship this leak

class Session {
  constructor(id) {
    this.id = id;
    this.user = `user-${id}`;
    this.scratch = new Array(64).fill(id); // 64 small ints: ~0.5 KB of elements per session
  }
}

function handleRequest(id) {
  const session = new Session(id);
  bus.on('configChanged', function onConfigChanged(cfg) {
    session.config = cfg;
  });
  return session.user.length;
}

for (let i = 0; i < 1500; i++) handleRequest(i);
bus.emit('configChanged', { level: 1 });
snapshot(out());
