'use strict';
// A heap snapshot of a page in headless Chromium, taken over the DevTools protocol as the
// DevTools "Memory" panel takes it (HeapProfiler.takeHeapSnapshot, chunks streamed to a file):
//   node --experimental-websocket chrome-snapshot.js URL OUT.heapsnapshot
// Chromium ($CHROMIUM, default `chromium`) runs headless with a throwaway profile and
// --remote-debugging-port on 127.0.0.1 only; the page must set document.title to "ready …"
// when its heap is built (chrome-page.html does). Writes OUT.heapsnapshot and OUT.page.json
// (the page's title counts, Runtime.getHeapUsage and the browser version, at snapshot time).
// Node 20 needs --experimental-websocket for its built-in WebSocket (Node 22+ has it on).
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const [url, out] = process.argv.slice(2);
if (!url || !out) {
  console.error('usage: node --experimental-websocket chrome-snapshot.js URL OUT.heapsnapshot');
  process.exit(2);
}
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'heapscope-chrome-'));
  const chrome = spawn(process.env.CHROMIUM || 'chromium', [
    '--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
    '--disable-extensions', '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0',
    `--user-data-dir=${profile}`, url,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let chromeErr = '';
  chrome.stderr.on('data', (d) => { chromeErr += d; });
  try {
    // The port Chromium picked: first line of DevToolsActivePort in the profile.
    let port;
    for (let i = 0; i < 600 && !port; i++) {
      try { port = Number(fs.readFileSync(path.join(profile, 'DevToolsActivePort'), 'utf8').split('\n')[0]); } catch (_) { await sleep(100); }
    }
    if (!port) throw new Error('no DevToolsActivePort: ' + chromeErr.slice(-2000));
    const base = `http://127.0.0.1:${port}`;
    let page;
    for (let i = 0; i < 600 && !page; i++) {
      const list = await (await fetch(`${base}/json/list`)).json();
      page = list.find((t) => t.type === 'page' && t.url.startsWith(url.split('?')[0]));
      if (!page) await sleep(100);
    }
    if (!page) throw new Error('page target not found');
    const version = await (await fetch(`${base}/json/version`)).json();
    const cdp = await connect(page.webSocketDebuggerUrl);
    let title = '';
    const t0 = Date.now();
    while (!title.startsWith('ready')) {
      const r = await cdp.send('Runtime.evaluate', { expression: 'document.title', returnByValue: true });
      title = String(r.result.value);
      if (!title.startsWith('ready')) await sleep(500);
    }
    const built = (Date.now() - t0) / 1000;
    await cdp.send('HeapProfiler.enable');
    await cdp.send('HeapProfiler.collectGarbage');
    const usage = await cdp.send('Runtime.getHeapUsage');
    const file = fs.createWriteStream(out + '.tmp');
    let bytes = 0;
    cdp.on('HeapProfiler.addHeapSnapshotChunk', (p) => { bytes += Buffer.byteLength(p.chunk); file.write(p.chunk); });
    const t1 = Date.now();
    await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    await new Promise((res, rej) => file.end((e) => (e ? rej(e) : res())));
    fs.renameSync(out + '.tmp', out);
    const info = { url, page: JSON.parse(title.slice('ready '.length)), heap_usage: usage,
      browser: version.Browser, v8: version['V8-Version'], built_s: built,
      snapshot_s: (Date.now() - t1) / 1000, snapshot_bytes: bytes };
    fs.writeFileSync(out.replace(/\.heapsnapshot$/, '') + '.page.json', JSON.stringify(info, null, 1) + '\n');
    console.error(JSON.stringify(info));
    const browser = await connect(version.webSocketDebuggerUrl);
    await browser.send('Browser.close').catch(() => {});
    cdp.close();
    browser.close();
  } finally {
    await sleep(500);
    if (chrome.exitCode === null) chrome.kill('SIGTERM');
    await sleep(500);
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

// A minimal DevTools protocol client: send(method, params) → result; on(event, fn).
function connect(wsUrl) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl);
    let next = 1;
    const pending = new Map();
    const handlers = new Map();
    ws.onmessage = (m) => {
      const msg = JSON.parse(typeof m.data === 'string' ? m.data : Buffer.from(m.data).toString());
      if (msg.id && pending.has(msg.id)) {
        const { res, rej } = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) rej(new Error(JSON.stringify(msg.error))); else res(msg.result);
      } else if (msg.method && handlers.has(msg.method)) {
        handlers.get(msg.method)(msg.params);
      }
    };
    ws.onerror = (e) => reject(new Error('websocket: ' + (e.message || e.type)));
    ws.onopen = () => resolve({
      send(method, params = {}) {
        const id = next++;
        ws.send(JSON.stringify({ id, method, params }));
        return new Promise((res, rej) => pending.set(id, { res, rej }));
      },
      on(method, fn) { handlers.set(method, fn); },
      close() { ws.close(); },
    });
  });
}

main().catch((e) => { console.error(e); process.exit(1); });
