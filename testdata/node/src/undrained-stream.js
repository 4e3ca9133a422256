'use strict';
// Leak: two streams whose buffers only grow.
// - A Readable that a producer keeps pushing into although nobody reads it (push() returning
//   false is ignored): the chunks pile up in its ReadableState buffer.
// - A Writable whose sink is stuck (the write callback never runs) while the producer ignores
//   write() returning false: the chunks pile up in its WritableState buffered list.
const { Readable, Writable } = require('stream');
const { snapshot, out } = require('./_snapshot');

const incoming = new Readable({ read() {} });
const outgoing = new Writable({
  highWaterMark: 1024,
  write(_chunk, _encoding, _callback) {
    // stuck sink: never calls _callback
  },
});

for (let i = 0; i < 1000; i++) {
  incoming.push(Buffer.alloc(512, i % 256)); // 512 KB total, held by incoming's state
  outgoing.write(`line ${i} ${'.'.repeat(200)}\n`); // ~200 KB of strings, held by outgoing's state
}
globalThis.streams = { incoming, outgoing };
snapshot(out());
