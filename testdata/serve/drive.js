// Drives `heapscope serve` in headless Chromium as a person would, and prints what the pages
// showed as one JSON object on stdout; cli/tests/suite/serve.rs compares it with the server's
// JSON answers. Usage: node drive.js URL SHOTS_DIR [--query] [--over-time diff|trend]
// Every wait is bounded (playwright's timeouts); no sleeps.
'use strict';
const path = require('path');
const { chromium } = require(path.join(__dirname, 'node_modules', 'playwright-core'));

const [url, shots, ...flags] = process.argv.slice(2);
const withQuery = flags.includes('--query');
const overTime = flags.includes('--over-time') ? flags[flags.indexOf('--over-time') + 1] : null;
// Only the over-time page and the dump switch (the one-dump pages are driven by another run).
const onlyOverTime = flags.includes('--only-over-time');
const TIMEOUT = 60000;

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const out = { errors: [], pages: {} };
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
    page.setDefaultTimeout(TIMEOUT);
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') out.errors.push(`console ${m.type()}: ${m.text()} @ ${page.url()}`); });
    page.on('pageerror', (e) => out.errors.push(`page error: ${e.message} @ ${page.url()}`));
    page.on('requestfailed', (r) => out.errors.push(`request failed: ${r.url()} ${r.failure() && r.failure().errorText}`));
    page.on('request', (r) => { if (!r.url().startsWith(url)) out.errors.push(`request outside the server: ${r.url()}`); });
    const shot = (name) => page.screenshot({ path: path.join(shots, name + '.png'), fullPage: true });
    const texts = (sel) => page.$$eval(sel, (els) => els.map((e) => e.textContent.trim()));

    // The report.
    let res = await page.goto(url);
    out.pages.report = { status: res.status(), title: await page.title(), nav: await texts('nav.hs-nav a'), h1: await texts('h1') };
    await shot('report');
    // The ids in the report link to their object pages: follow the first.
    const idLinks = await page.$$eval('a.mono[href^="/object"]', (els) => els.map((e) => [e.textContent, e.getAttribute('href')]));
    out.pages.report.idLinks = idLinks;
    if (idLinks.length) {
      await page.click('a.mono[href^="/object"] >> nth=0');
      await page.waitForSelector('h1 .mono');
      out.pages.report.followed = { url: page.url(), h1: await texts('h1') };
      await page.goto(url);
    }

    if (!onlyOverTime) await oneDump(page, out, shot, texts);
    if (overTime) {
      const label = overTime === 'diff' ? 'Diff' : 'Trend';
      await page.click(`nav.hs-nav a:text-is("${label}")`);
      await page.waitForSelector('h1');
      out.pages.overTime = { url: page.url(), title: await page.title(), h1: await texts('h1'), h2: await texts('h2') };
      await shot(overTime);
      // Type names link to their instances: every link, then the first followed.
      out.pages.overTime.typeLinks = await page.$$eval('a[href^="/instances"]', (els) => els.map((e) => [e.textContent, e.getAttribute('href')]));
      out.pages.overTime.typeCells = await page.$$eval('td', (els) => els.filter((e) => !e.className && !e.querySelector('a')).map((e) => e.textContent));
      if (out.pages.overTime.typeLinks.length) {
        const back = page.url();
        await page.click('a[href^="/instances"] >> nth=0');
        await page.waitForSelector('#inst[data-state=done]');
        out.pages.overTime.followed = { url: page.url(), h1: await texts('h1'), loaded: await page.getAttribute('#inst', 'data-loaded') };
        await shot(overTime + '-instances');
        await page.goto(back);
        await page.waitForSelector('h1');
      }
      // The second dump's report through the dump switch.
      await page.click('nav.hs-nav a:text-is("#1")');
      await page.waitForSelector('h1');
      out.pages.second = { url: page.url(), title: await page.title() };
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

async function oneDump(page, out, shot, texts) {
    // The dominator tree: the top level, then the first node's children, then "N more".
    await page.click('nav.hs-nav a:text-is("Dominator tree")');
    await page.waitForSelector('#tree[data-state=done]');
    const top = await page.$$eval('#tree > li[data-id]', (els) => els.map((e) => e.getAttribute('data-id')));
    const topMore = await page.$$eval('#tree > li.more-li button', (els) => els.map((e) => e.textContent));
    const first = page.locator('#tree > li[data-id]').first();
    await first.locator('button.tg').click();
    await page.waitForSelector('#tree > li[data-id]:first-child > ul.dt[data-state=done]');
    const kids = await page.$$eval('#tree > li[data-id]:first-child > ul.dt > li[data-id]', (els) => els.map((e) => e.getAttribute('data-id')));
    // Expand the first child's first child too, when it has some (a second level).
    let grand = [];
    const second = page.locator('#tree > li[data-id]:first-child > ul.dt > li[data-id]').first();
    if (await second.count() && !(await second.locator('button.tg').first().isDisabled())) {
      await second.locator('button.tg').first().click();
      await page.waitForSelector('#tree > li[data-id]:first-child > ul.dt > li[data-id]:first-child > ul.dt[data-state=done]');
      grand = await page.$$eval('#tree > li[data-id]:first-child > ul.dt > li[data-id]:first-child > ul.dt > li[data-id]', (els) => els.map((e) => e.getAttribute('data-id')));
    }
    let afterMore = null;
    if (topMore.length) {
      await page.click('#tree > li.more-li button');
      await page.waitForSelector('#tree[data-state=done]');
      afterMore = await page.$$eval('#tree > li[data-id]', (els) => els.map((e) => e.getAttribute('data-id')));
    }
    out.pages.tree = { top, topMore, first: top[0], kids, grand, afterMore };
    await shot('tree');
    // Sorted by shallow size (a click on the header), then by children count ascending.
    await page.click('.dt-head span[data-sort=shallow]');
    await page.waitForSelector('#tree[data-state=done]');
    out.pages.tree.byShallow = await page.$$eval('#tree > li[data-id]', (els) => els.map((e) => e.getAttribute('data-id')));
    await page.click('.dt-head span[data-sort=children]');
    await page.waitForSelector('#tree[data-state=done]');
    await page.click('.dt-head span[data-sort=children]');
    await page.waitForSelector('#tree[data-state=done]');
    out.pages.tree.byChildrenAsc = await page.$$eval('#tree > li[data-id]', (els) => els.map((e) => e.getAttribute('data-id')));
    out.pages.tree.count = await page.textContent('#count');

    // The histogram: default order, sorted by count, sorted by count ascending, filtered.
    await page.click('nav.hs-nav a:text-is("Histogram")');
    await page.waitForSelector('#hist[data-state=done]');
    const histTypes = () => page.$$eval('#hist tbody tr td.type', (els) => els.map((e) => e.textContent));
    const hist = { byRetained: await histTypes() };
    await page.click('#hist th[data-sort=count]');
    await page.waitForSelector('#hist[data-state=done]');
    hist.byCount = await histTypes();
    await page.click('#hist th[data-sort=count]');
    await page.waitForSelector('#hist[data-state=done]');
    hist.byCountAsc = await histTypes();
    await page.click('#hist th[data-sort=retained]');
    await page.waitForSelector('#hist[data-state=done]');
    await page.fill('#filter', 'hash');
    await page.waitForSelector('#hist[data-state=done]');
    hist.filtered = await histTypes();
    hist.count = await page.textContent('#count');
    out.pages.histogram = hist;
    await shot('histogram');
    await page.fill('#filter', '');
    await page.waitForSelector('#hist[data-state=done]');

    // Instances of the largest type, sorted by shallow size, then one object.
    const firstType = hist.byRetained[0];
    await page.click('#hist tbody tr:first-child td.type a');
    await page.waitForSelector('#inst[data-state=done]');
    const instIds = () => page.$$eval('#inst tbody tr a.obj .id', (els) => els.map((e) => e.textContent));
    const inst = { type: firstType, h1: await texts('h1'), byRetained: await instIds() };
    await page.click('#inst th[data-sort=shallow]');
    await page.waitForSelector('#inst[data-state=done]');
    inst.byShallow = await instIds();
    inst.count = await page.textContent('#count');
    // Filtered by the last instance's id (one match at least), then cleared.
    const lastId = inst.byShallow[inst.byShallow.length - 1];
    await page.fill('#filter', lastId);
    await page.waitForSelector('#inst[data-state=done]');
    inst.filter = lastId;
    inst.filtered = await instIds();
    inst.filteredCount = await page.textContent('#count');
    await page.fill('#filter', '');
    await page.waitForSelector('#inst[data-state=done]');
    // The next page ("N more").
    inst.more = await page.$$eval('#more button', (els) => els.map((e) => e.textContent));
    if (inst.more.length) {
      await page.click('#more button');
      await page.waitForSelector('#inst[data-state=done]');
      inst.afterMore = await instIds();
    }
    await shot('instances');
    out.pages.instances = inst;

    // The object page of the largest top-level object, reached from the tree.
    await page.goto(url + 'tree');
    await page.waitForSelector('#tree[data-state=done]');
    await page.click('#tree > li[data-id]:first-child a.obj');
    await page.waitForSelector('h1');
    out.pages.object = {
      url: page.url(),
      h1: await texts('h1'),
      h2: await texts('h2'),
      kv: await texts('dl.kv dt'),
      referrers: await page.$$eval('#referrers a.obj .id', (els) => els.map((e) => e.textContent)),
      references: await page.$$eval('#references a.obj .id', (els) => els.map((e) => e.textContent)),
      fields: await page.$$eval('#fields tbody tr td:first-child', (els) => els.map((e) => e.textContent)),
      fieldValues: await page.$$eval('#fields tbody tr td:last-child', (els) => els.map((e) => e.textContent)),
      pathVias: await page.$$eval('details.path', (els) => els.map((e) => Array.from(e.querySelectorAll('li')).map((li) => { const v = li.querySelector('.via'); return v ? v.textContent : null; }))),
      children: await page.$$eval('#children a.obj .id', (els) => els.map((e) => e.textContent)),
      dominators: await page.$$eval('#dominators a.obj .id', (els) => els.map((e) => e.textContent)),
      paths: await page.$$eval('details.path', (els) => els.map((e) => Array.from(e.querySelectorAll('a.obj .id')).map((a) => a.textContent))),
    };
    await shot('object');
    // Follow the first child link: another object page.
    if (out.pages.object.children.length) {
      await page.click('#children tbody tr:first-child a.obj');
      await page.waitForSelector('h1');
      out.pages.object.next = { url: page.url(), h1: await texts('h1') };
    }

    // The query box: typed and run; an error shown inline; a shared link with ?q=; an example.
    if (withQuery) {
      const table = async () => ({
        headers: await texts('#qtable thead th'),
        rows: await page.$$eval('#qtable tbody tr', (trs) => trs.map((tr) => Array.from(tr.cells).map((c) => c.textContent))),
        info: await page.textContent('#qinfo'),
        url: page.url(),
      });
      await page.click('nav.hs-nav a:text-is("Query")');
      await page.waitForSelector('#sql');
      out.pages.query = { examples: await texts('ul.examples a') };
      await page.fill('#sql', 'SELECT type, count, shallow FROM types ORDER BY count DESC, type LIMIT 5');
      await page.click('#run');
      await page.waitForSelector('#result[data-state=done]');
      Object.assign(out.pages.query, await table());
      await shot('query');
      // Bad SQL: the message under the box. The browser logs the 400 reply itself; that one
      // message is expected and not counted as an error.
      const before = out.errors.length;
      await page.fill('#sql', 'SELECT x FROM nowhere');
      await page.click('#run');
      await page.waitForSelector('#result[data-state=failed]', { state: 'attached' });
      out.pages.query.error = { visible: await page.isVisible('#qerr'), text: await page.textContent('#qerr') };
      const extra = out.errors.splice(before);
      out.errors.push(...extra.filter((e) => !/status of 400/.test(e)));
      out.pages.query.errorLogged = extra.length;
      await shot('query-error');
      // A shared link: the box prefilled and the answer shown, no click.
      const shared = 'SELECT type, count FROM types ORDER BY count ASC, type LIMIT 3';
      await page.goto(url + 'query?d=0&q=' + encodeURIComponent(shared));
      await page.waitForSelector('#result[data-state=done]');
      out.pages.query.shared = { sql: shared, box: await page.inputValue('#sql'), ...(await table()) };
      // An example: the referrers of the largest object, ids linking to their objects.
      await page.click('ul.examples a:text-is("Who references the largest object")');
      await page.waitForSelector('#result[data-state=done]');
      out.pages.query.example = { box: await page.inputValue('#sql'), ...(await table()),
        links: await page.$$eval('#qtable tbody a', (els) => els.map((e) => e.getAttribute('href'))) };
      await shot('query-example');
    }

}

main().catch((e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); });
