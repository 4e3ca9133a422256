'use strict';
// Control: the same kinds of work as the leaking scenarios, done right. Listeners are removed,
// the cache is bounded (LRU of 100), the log is trimmed, the stream is drained. What is left at
// the snapshot is a small, bounded working set.
const { EventEmitter } = require('events');
const { PassThrough } = require('stream');
const { snapshot, out } = require('./_snapshot');

const bus = new EventEmitter();
const cache = new Map();
const CACHE_LIMIT = 100;
const recent = [];
const RECENT_LIMIT = 50;

function handleRequest(id) {
  const session = { id, user: `user-${id}` };
  const onConfig = (cfg) => {
    session.config = cfg;
  };
  bus.on('configChanged', onConfig);
  try {
    const key = `/item/${id % 300}`;
    let page = cache.get(key);
    if (page) {
      cache.delete(key); // refresh recency
    } else {
      page = { key, html: `<p>${key}</p>` };
    }
    cache.set(key, page);
    if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value);
    recent.push({ id, at: id * 1000 });
    if (recent.length > RECENT_LIMIT) recent.shift();
    return page.html.length;
  } finally {
    bus.off('configChanged', onConfig);
  }
}

async function main() {
  for (let i = 0; i < 5000; i++) handleRequest(i);
  const pipe = new PassThrough();
  let seen = 0;
  pipe.on('data', (chunk) => {
    seen += chunk.length;
  });
  for (let i = 0; i < 1000; i++) pipe.write(Buffer.alloc(512, i % 256));
  pipe.end();
  await new Promise((resolve) => pipe.on('end', resolve));
  globalThis.healthy = { bus, cache, recent, seen };
  snapshot(out());
}

main();
