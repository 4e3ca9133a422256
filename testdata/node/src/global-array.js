'use strict';
// Leak: an audit log kept in a global array that nothing ever trims: 5,000 LogEntry objects.
const { snapshot, out } = require('./_snapshot');

class LogEntry {
  constructor(seq) {
    this.seq = seq;
    this.at = 1700000000000 + seq * 1000;
    this.message = `request ${seq} served`;
    this.tags = ['http', seq % 2 ? 'get' : 'post'];
  }
}

globalThis.auditLog = [];
for (let i = 0; i < 5000; i++) globalThis.auditLog.push(new LogEntry(i));
snapshot(out());
