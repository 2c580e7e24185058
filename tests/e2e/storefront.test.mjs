// End-to-end tests of the storefront (www/) on the MovieLens bundle, in Debian's Chromium through
// playwright-core. Run by scripts/test.sh (`node --test tests/e2e/`); needs pkg/ (build_pkg) and
// target/demo/movielens.{bundle,json} (scripts/movielens.sh). Screenshots go to target/e2e-artifacts/.
import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { ROOT, launch, serve, shot, summarise, watchErrors, wireLog } from "./harness.mjs";
import { afterRender, categoryShelves, clickCard, closeProduct, events, openPrivacy, ready, shelf } from "./store.mjs";

for (const f of ["pkg/recofuse.js", "target/demo/movielens.bundle", "target/demo/movielens.json", "target/demo/demo.bundle"]) {
  if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: run build_pkg and scripts/movielens.sh first`);
}

let server;
let chrome;
/** Egress across the whole suite: every context's requests, and the history item ids stored when it closed. */
const egress = [];
before(async () => {
  server = await serve();
  chrome = await launch();
  const newContext = chrome.browser.newContext.bind(chrome.browser);
  chrome.browser.newContext = async (options) => {
    const context = await newContext(options);
    const log = { requests: [], ids: new Set(), context };
    // Context level: the pages', their workers' and the service worker's requests.
    context.on("request", (r) => log.requests.push({ url: r.url(), body: r.postData() ?? "" }));
    const close = context.close.bind(context);
    context.close = async (...args) => { await storedIds(log); return close(...args); };
    egress.push(log);
    return context;
  };
});
after(async () => {
  await chrome?.close();
  server?.close();
});

/** A fresh context (own storage, own service workers) and page at the storefront. */
async function open(path = "/", options = {}) {
  const context = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  const errors = watchErrors(page);
  const response = await page.goto(server.url + path);
  // Strict CSP: WebAssembly allowed by 'wasm-unsafe-eval' only, no 'unsafe-eval' and no inline code.
  const csp = response.headers()["content-security-policy"];
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
  assert.doesNotMatch(csp, /'unsafe-eval'|'unsafe-inline'/);
  await ready(page);
  return { context, page, errors };
}

/** Adds the item ids of every history stored by the context's origin (IndexedDB and localStorage) to `log.ids`. */
async function storedIds(log) {
  const page = log.context.pages().find((p) => !p.isClosed() && p.url().startsWith(server.url));
  if (!page) return;
  const texts = await page.evaluate(async () => {
    const out = Object.keys(localStorage).filter((k) => k.startsWith("recofuse:")).map((k) => localStorage.getItem(k));
    const dbs = (await indexedDB.databases?.()) ?? [];
    if (dbs.some((d) => d.name === "recofuse")) {
      out.push(...await new Promise((res) => {
        const open = indexedDB.open("recofuse");
        open.onerror = () => res([]);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains("kv")) { db.close(); res([]); return; }
          const all = db.transaction("kv").objectStore("kv").getAll();
          all.onsuccess = () => { db.close(); res(all.result.filter((v) => typeof v === "string")); };
          all.onerror = () => { db.close(); res([]); };
        };
      }));
    }
    return out;
  }).catch(() => []);
  for (const text of texts) {
    for (const line of text.split("\n")) {
      try { const id = JSON.parse(line).i; if (typeof id === "string") log.ids.add(id); } catch { /* not a record */ }
    }
  }
}

/** Number of items of `genre` in the recommended shelf. */
const countGenre = (items, genre) => items.filter((x) => x.categories.includes(genre)).length;

/** The genre shelf whose genre is rarest in the cold-start recommended shelf, and that count. */
async function rareGenre(page) {
  const rec = await shelf(page, "recommended");
  const genres = await categoryShelves(page);
  assert.ok(genres.length >= 3, `expected category shelves, got ${genres}`);
  genres.sort((a, b) => countGenre(rec, a) - countGenre(rec, b));
  return genres[0];
}

/** Clicks the first `n` items of a genre shelf (each click opens the product, which is then closed). */
async function clickGenre(page, genre, n) {
  const clicked = [];
  for (let i = 0; i < n; i++) {
    const items = await shelf(page, `category:${genre}`);
    const next = items.find((x) => !clicked.includes(x.id));
    await clickCard(page, `category:${genre}`, next.id);
    clicked.push(next.id);
    await closeProduct(page);
  }
  return clicked;
}

/** Opens the category page of `genre` (chip) and clicks its first `n` items. */
async function clickCategoryPage(page, genre, n) {
  await afterRender(page, () => page.click(`#chips button[data-category="${genre}"]`));
  const clicked = [];
  for (let i = 0; i < n; i++) {
    const next = (await shelf(page, "category-page")).find((x) => !clicked.includes(x.id));
    assert.ok(next.categories.includes(genre));
    await clickCard(page, "category-page", next.id);
    clicked.push(next.id);
    await closeProduct(page);
  }
  return clicked;
}

test("loads without console errors; clicking one genre raises it in the recommended shelf", async () => {
  const { context, page, errors } = await open();
  await shot(page, "01-cold-start");
  const cold = await shelf(page, "recommended");
  assert.equal(cold.length, 24, "cold start gives a full shelf, not an empty one");
  assert.ok(new Set(cold.map((x) => x.categories[0])).size >= 4, "cold start is varied");
  // Animation: a genre with a taste of its own in MovieLens (broad ones such as Comedy are liked by everyone).
  const genre = "Animation";
  const best = (xs) => Math.min(...xs.filter((x) => x.categories.includes(genre)).map((x) => x.rank), 99);
  await clickCategoryPage(page, genre, 5);
  await afterRender(page, () => page.click(`#chips button[data-category="${genre}"]`));   // back home
  const warm = await shelf(page, "recommended");
  const before = countGenre(cold, genre);
  const afterCount = countGenre(warm, genre);
  assert.ok(afterCount >= before + 3, `${genre}: ${before} of 24 before, ${afterCount} after 5 clicks`);
  assert.ok(best(warm) < best(cold), `best ${genre} rank ${best(cold)} -> ${best(warm)}`);
  await shot(page, "02-after-clicks");
  await page.click("[data-shelf='recommended'] li.card:first-child details.why summary");
  await shot(page, "03-why");
  await page.setViewportSize({ width: 1100, height: 720 });
  await shot(page, "storefront", { jpeg: true });   // the README's picture (docs/storefront.jpg)
  assert.deepEqual(errors, []);
  await context.close();
});

test("the fusion switch changes the order", async () => {
  const { context, page, errors } = await open();
  const genre = await rareGenre(page);
  await clickGenre(page, genre, 4);
  const orders = new Map();
  for (const method of ["simple", "weighted", "rrf", "stacking"]) {
    await afterRender(page, () => page.selectOption("#method", method));
    orders.set(method, (await shelf(page, "recommended")).map((x) => x.id).join(","));
  }
  assert.ok(new Set(orders.values()).size > 1, "at least two methods order the shelf differently");
  assert.deepEqual(errors, []);
  await context.close();
});

test("reload keeps the history; pause stops recording; clear empties it and resets the shelves", async () => {
  const { context, page, errors } = await open();
  const cold = (await shelf(page, "recommended")).map((x) => x.id);
  const genre = await rareGenre(page);
  await clickGenre(page, genre, 3);
  assert.equal(await events(page), 3);
  const warm = (await shelf(page, "recommended")).map((x) => x.id);
  assert.notDeepEqual(warm, cold);

  await page.reload();
  await ready(page);
  assert.equal(await events(page), 3, "the history survives a reload");
  assert.notDeepEqual((await shelf(page, "recommended")).map((x) => x.id), cold, "still personalised after reload");

  await openPrivacy(page);
  await shot(page, "04-privacy");
  assert.equal(await page.locator("#history li").count(), 3);
  await afterRender(page, () => page.click("#pause"));
  assert.equal(await page.getAttribute("body", "data-paused"), "true");
  const ids = await shelf(page, `category:${genre}`);
  await clickCard(page, `category:${genre}`, ids[ids.length - 1].id);
  assert.equal(await events(page), 3, "nothing recorded while paused");
  assert.match(await page.textContent("#status"), /paused/);
  await closeProduct(page);
  await page.reload();
  await ready(page);
  assert.equal(await page.getAttribute("body", "data-paused"), "true", "pause is remembered");
  await openPrivacy(page);
  await afterRender(page, () => page.click("#pause"));
  assert.equal(await page.getAttribute("body", "data-paused"), "false");

  await afterRender(page, () => page.click("#clear"));
  assert.equal(await events(page), 0);
  assert.equal(await page.locator("#history li").count(), 0);
  assert.deepEqual((await shelf(page, "recommended")).map((x) => x.id), cold, "shelves back to cold start");
  await page.reload();
  await ready(page);
  assert.equal(await events(page), 0, "cleared in storage too");
  assert.deepEqual(errors, []);
  await context.close();
});

test("a corrupt stored history record is dropped without an error on the page", async () => {
  const { context, page, errors } = await open();
  const genre = await rareGenre(page);
  await clickGenre(page, genre, 3);
  // Wait until all three events are in IndexedDB, then append a broken record to the stored text.
  const stored = () => page.evaluate(() => new Promise((resolve, reject) => {
    const req = indexedDB.open("recofuse");
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const get = req.result.transaction("kv").objectStore("kv").get("movielens/history");
      get.onsuccess = () => { req.result.close(); resolve(get.result ?? ""); };
      get.onerror = () => reject(get.error);
    };
  }));
  await page.waitForFunction(() => true);
  for (let i = 0; i < 100 && (await stored()).trim().split("\n").length < 4; i++) await page.waitForTimeout(50);
  const text = await stored();
  assert.equal(text.trim().split("\n").length, 4, `header + 3 records expected, got ${JSON.stringify(text)}`);
  await page.evaluate((value) => new Promise((resolve, reject) => {
    const req = indexedDB.open("recofuse");
    req.onsuccess = () => {
      const tx = req.result.transaction("kv", "readwrite");
      tx.objectStore("kv").put(value, "movielens/history");
      tx.oncomplete = () => { req.result.close(); resolve(); };
      tx.onerror = () => reject(tx.error);
    };
  }), text.trimEnd() + "\n{\"item\": 17, broken\n");
  await page.reload();
  await ready(page);
  assert.equal(await events(page), 3, "the valid records are kept");
  await openPrivacy(page);
  assert.equal(await page.getAttribute("#facts", "data-dropped"), "1");
  assert.match(await page.textContent("#facts"), /1 corrupt record\(s\) dropped/);
  assert.equal((await shelf(page, "recommended")).length, 24);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a first visit transfers each URL once, compressed; offline afterwards the page reloads and still reranks", async () => {
  const context = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const wire = wireLog(context);
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(server.url + "/");
  await ready(page);
  await page.waitForSelector("body[data-offline='ready']", { timeout: 30_000 });
  await wire.settle();
  // Each byte once: the service worker fills its cache from the HTTP cache, not from the network.
  const first = summarise(wire.rows);
  assert.deepEqual(first.twice, [], "no URL is transferred twice on a first visit");
  const paths = wire.rows.filter((r) => !r.viaServiceWorker && r.status === 200).map((r) => new URL(r.url).pathname);
  for (const must of ["/", "/pkg/recofuse_bg.wasm", "/models/movielens.bundle", "/models/movielens.json", "/sw.js"]) {
    assert.ok(paths.includes(must), `${must} was loaded (${paths.join(" ")})`);
  }
  // Compressed: every response of the page's own files (HTML, JS, CSS, JSON, wasm, bundle) that went
  // over the network carries a Content-Encoding, and the bundle costs well under its raw size.
  const plain = wire.rows.filter((r) => !r.viaServiceWorker && r.status === 200 && r.body > 0 && !r.encoding);
  assert.deepEqual(plain.map((r) => r.url), [], "uncompressed responses");
  const bundle = wire.rows.find((r) => r.url.endsWith("/models/movielens.bundle") && !r.viaServiceWorker && r.body > 0);
  const rawBundle = statSync(join(ROOT, "target/demo/movielens.bundle")).size;
  assert.ok(bundle.body < 0.8 * rawBundle, `bundle: ${bundle.body} B on the wire for ${rawBundle} B`);
  wire.rows.length = 0;
  await context.setOffline(true);
  await page.reload();
  await ready(page);
  assert.match(await page.textContent("#engine-mode"), /Web Worker/);
  const cold = (await shelf(page, "recommended")).map((x) => x.id);
  const genre = await rareGenre(page);
  await clickGenre(page, genre, 3);
  assert.notDeepEqual((await shelf(page, "recommended")).map((x) => x.id), cold, "reranked while offline");
  await wire.settle();
  assert.equal(summarise(wire.rows).bytes, 0, "offline: nothing came over the network");
  await shot(page, "05-offline");
  assert.deepEqual(errors, []);
  await context.close();
});

test("request interception: no request carries a history item id; interactions make no request", async () => {
  // Service workers blocked so that every request of the page and of its worker reaches the route.
  const context = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: "block" });
  const requests = [];
  await context.route("**/*", (route) => {
    const r = route.request();
    requests.push({ url: r.url(), body: r.postData() ?? "" });
    return route.continue();
  });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(server.url + "/");
  await ready(page);
  const loaded = requests.length;
  assert.ok(requests.some((r) => r.url.endsWith("/models/movielens.bundle")), "the route sees the worker's requests");
  const genre = await rareGenre(page);
  const clicked = await clickGenre(page, genre, 3);
  await afterRender(page, () => page.fill("#search", "star"));
  const hits = await shelf(page, "search");
  assert.ok(hits.length > 0, "the search finds titles");
  await clickCard(page, "search", hits[0].id);
  await afterRender(page, () => page.click("#product #cart"));
  await afterRender(page, () => page.click("#product #buy"));
  await shot(page, "06-product");
  assert.equal(await events(page), 6);
  // Back twice: home, then the product clicked before (arriving on a product page records a view).
  await afterRender(page, () => page.goBack());
  assert.equal(await page.isHidden("#product"), true);
  await afterRender(page, () => page.goBack());
  assert.equal(await page.getAttribute("#product", "data-id"), clicked[2]);
  assert.equal(await events(page), 7);
  await openPrivacy(page);
  assert.match(await page.textContent("#history li:first-child"), /^view · /);
  assert.deepEqual(requests.slice(loaded), [], "no request while browsing, searching, buying and going back");
  // A reload fetches the page, package, bundle and catalog again: none of them carries a history id.
  await page.reload();
  await ready(page);
  assert.ok(requests.length > loaded);
  const ids = [...clicked, hits[0].id];
  for (const { url, body } of requests) {
    const tokens = new Set(`${decodeURIComponent(url)} ${body}`.split(/[^\p{L}\p{N}_-]+/u));
    for (const id of ids) assert.ok(!tokens.has(id), `request ${url} carries history item ${id}`);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test("a second tab sees the first tab's events", async () => {
  const { context, page, errors } = await open();
  const second = await context.newPage();
  const errors2 = watchErrors(second);
  await second.goto(server.url + "/");
  await ready(second);
  const cold = (await shelf(second, "recommended")).map((x) => x.id);
  const genre = await rareGenre(page);
  await clickGenre(page, genre, 2);
  await second.waitForFunction(() => document.body.dataset.events === "2", null, { timeout: 15_000 });
  assert.notDeepEqual((await shelf(second, "recommended")).map((x) => x.id), cold, "the second tab reranked");
  await openPrivacy(page);
  await afterRender(second, () => page.click("#clear"));
  await second.waitForFunction(() => document.body.dataset.events === "0", null, { timeout: 15_000 });
  assert.deepEqual([...errors, ...errors2], []);
  await context.close();
});

test("another store's bundle loads by URL (?bundle=, no catalog: ids shown) and reranks", async () => {
  const { context, page, errors } = await open("/?bundle=/models/demo.bundle");
  assert.match(await page.textContent("#status"), /500 titles ready/);
  const cold = await shelf(page, "recommended");
  assert.equal(cold.length, 24);
  assert.ok(cold.every((x) => /^item-\d+$/.test(x.id)), "the generated catalog's ids");
  await clickCard(page, "recommended", cold[23].id);
  await closeProduct(page);
  assert.notDeepEqual((await shelf(page, "recommended")).map((x) => x.id), cold.map((x) => x.id));
  assert.equal(await events(page), 1);
  // Its history is its own namespace: the MovieLens store still starts cold.
  await page.goto(server.url + "/");
  await ready(page);
  assert.equal(await events(page), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test("the privacy panel shows the A/B arm, the counters and the exact report, which is never sent (issue 18)", async () => {
  const { context, page, errors } = await open();
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  await openPrivacy(page);
  const arm = await page.getAttribute("#ab-facts", "data-arm");
  assert.ok(["relevance", "varied"].includes(arm), `arm ${arm}`);
  const report = async () => JSON.parse(await page.textContent("#ab-report"));
  const first = await report();
  assert.deepEqual(Object.keys(first), ["format", "version", "experiment", "arm", "epsilon", "period", "clicked", "carted", "purchased"]);
  assert.equal(first.experiment, "shelf-diversity");
  assert.equal(first.arm, arm);
  assert.equal(first.epsilon, 1);
  // A click on the recommended shelf is counted with its position on that shelf.
  const rec = await shelf(page, "recommended");
  await clickCard(page, "recommended", rec[2].id);
  await closeProduct(page);
  assert.equal(await page.getAttribute("#ab-facts", "data-clicks"), "1");
  assert.match(await page.textContent("#ab-facts"), /#3: 1/);
  assert.match(await page.textContent("#ab-facts"), /\d+ shown, 1 clicks, 0 carts, 0 purchases/);
  // The report names no item and no count; regenerating draws new noise and sends nothing.
  const shown = await report();
  const strings = [shown.format, shown.experiment, shown.arm, shown.period.from, shown.period.to];
  for (const x of rec) assert.ok(!strings.includes(x.id), `report names ${x.id}`);
  assert.deepEqual([typeof shown.clicked, typeof shown.carted, typeof shown.purchased], ["boolean", "boolean", "boolean"]);
  const generation = Number(await page.getAttribute("#ab-report", "data-generation"));
  const before = requests.length;
  await page.click("#ab-regenerate");
  await page.waitForFunction((g) => Number(document.querySelector("#ab-report").dataset.generation) > g, generation);
  assert.equal((await report()).arm, arm);
  assert.deepEqual(requests.slice(before), [], "regenerating the report makes no request");
  await shot(page, "05-ab-test");
  // The arm is kept across reloads; the counters too.
  await page.reload();
  await ready(page);
  await openPrivacy(page);
  assert.equal(await page.getAttribute("#ab-facts", "data-arm"), arm);
  assert.equal(await page.getAttribute("#ab-facts", "data-clicks"), "1");
  assert.deepEqual(errors, []);
  await context.close();
});

test("egress across the whole suite: no request of any test carries an item id of that context's stored history", async () => {
  for (const log of egress) if (!log.context.pages().every((p) => p.isClosed())) await storedIds(log);
  const ids = egress.reduce((n, l) => n + l.ids.size, 0);
  const requests = egress.reduce((n, l) => n + l.requests.length, 0);
  console.log(`# egress: ${egress.length} contexts, ${requests} requests, ${ids} stored history ids checked`);
  assert.ok(ids > 0 && requests > 0, "the suite stored histories and made requests");
  for (const { requests, ids } of egress) {
    for (const { url, body } of requests) {
      // Path, query and body (the origin's digits, 127.0.0.1 and the port, are not the page's to choose).
      const u = new URL(url);
      const sent = u.origin === server.url ? decodeURIComponent(u.pathname + u.search + u.hash) : decodeURIComponent(url);
      const tokens = new Set(`${sent} ${body}`.split(/[^\p{L}\p{N}_-]+/u));
      for (const id of ids) assert.ok(!tokens.has(id), `request ${url} carries history item ${id}`);
    }
  }
});
