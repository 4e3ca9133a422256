// A small HTTP service instrumented with prom-client (collectDefaultMetrics: resident memory,
// heap, GC durations; plus an http_requests_total counter), in one of four memory scenarios —
// the same as service.py:
//   leak     every request pushes its 256 KiB Buffer onto a module-level array, never cleared
//   cache    every request caches a 256 KiB Buffer under one of KEYS keys (grows, then levels)
//   load     every request keeps its Buffer for HOLD seconds (memory follows the rate)
//   healthy  every request's Buffer is dropped when it returns
// Usage: node service.js SCENARIO PORT. GET /work does one request, /metrics is the exposition.
'use strict';
const http = require('http');
const client = require('prom-client');

const PAYLOAD = 256 * 1024;
const KEYS = 200;
const HOLD_MS = 3000;
const [scenario, port] = [process.argv[2], Number(process.argv[3])];

client.collectDefaultMetrics({ gcDurationBuckets: [0.001, 0.01, 0.1, 1] });
const requests = new client.Counter({
  name: 'http_requests_total',
  help: 'Requests served',
  labelNames: ['handler'],
});
const leaked = [];
const cache = new Map();
const recent = [];

function work() {
  const buf = Buffer.alloc(PAYLOAD, 1); // filled: resident, not just reserved
  const now = Date.now();
  if (scenario === 'leak') leaked.push(buf);
  else if (scenario === 'cache') cache.set(Math.floor(Math.random() * KEYS), buf);
  else if (scenario === 'load') {
    recent.push([now, buf]);
    while (recent.length && recent[0][0] < now - HOLD_MS) recent.shift();
  }
  requests.inc({ handler: '/work' });
}

http
  .createServer(async (req, res) => {
    if (req.url === '/metrics') {
      res.setHeader('Content-Type', client.register.contentType);
      res.end(await client.register.metrics());
    } else if (req.url === '/work') {
      work();
      res.end('ok\n');
    } else {
      res.statusCode = 404;
      res.end();
    }
  })
  .listen(port, '127.0.0.1');
