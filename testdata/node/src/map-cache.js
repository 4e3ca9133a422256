'use strict';
// Leak: a module-level Map used as a memo cache with no eviction, keyed by something unique per
// request, so it only grows: 4,000 entries of ~200 bytes each plus the Map's table.
const { snapshot, out } = require('./_snapshot');

const renderCache = new Map();

class RenderedPage {
  constructor(key) {
    this.key = key;
    this.html = `<html><body>page ${key}</body></html>`;
    this.headers = { 'content-type': 'text/html', etag: `"${key}"` };
  }
}

function render(url) {
  let page = renderCache.get(url);
  if (!page) {
    page = new RenderedPage(url);
    renderCache.set(url, page);
  }
  return page;
}

for (let i = 0; i < 4000; i++) render(`/item/${i}?session=${(i * 7919) % 10007}`);
snapshot(out());
