#!/usr/bin/env node
// Figures of the storefront for docs/benchmarks.md, measured in Debian's Chromium (playwright-core):
//   1. time from an interaction (a click on a card, or add-to-cart) to the reranked shelves in the DOM:
//      median and p95 of the page's `rf:interaction-to-shelf` performance measures, with the engine's own
//      time (`rf:engine`) and the main thread's render time (`rf:render`), engine in the Web Worker and
//      on the main thread (`?worker=0`);
//   2. first-load bytes, raw and gzip -9, of what the page fetches (page, JS, wasm, bundle, catalog);
//   3. memory after 1,000 interactions: the page's JS heap (CDP Runtime.getHeapUsage after a GC) and the
//      engine's wasm linear memory.
// Usage: node scripts/demo-figures.mjs [interactions=1000]   (needs pkg/ and target/demo/movielens.*,
// i.e. a prior `bash scripts/demo.sh` or `bash scripts/test.sh`). Prints a Markdown table.
import { gzipSync } from "node:zlib";
import { launch, serve } from "../tests/e2e/harness.mjs";

const N = Number.parseInt(process.argv[2] ?? "1000", 10);
const server = await serve();
const chrome = await launch();

const q = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
};
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

async function firstLoad() {
  const context = await chrome.browser.newContext({ serviceWorkers: "block" });
  const page = await context.newPage();
  const bodies = [];
  page.on("response", async (r) => {
    if (r.request().method() === "GET" && r.ok()) bodies.push({ url: r.url(), body: await r.body().catch(() => null) });
  });
  await page.goto(server.url + "/");
  await page.waitForSelector("body[data-ready='1']", { timeout: 60_000 });
  await page.waitForTimeout(500);
  const groups = new Map();
  for (const { url, body } of bodies) {
    if (!body) continue;
    const path = new URL(url).pathname;
    const kind = path.endsWith(".wasm") ? "wasm" : path.endsWith(".bundle") ? "bundle"
      : path.endsWith(".json") ? "catalog (JSON)" : path.endsWith(".js") ? "JavaScript" : "page (HTML, CSS)";
    const g = groups.get(kind) ?? { files: 0, raw: 0, gzip: 0 };
    g.files++;
    g.raw += body.length;
    g.gzip += gzipSync(body, { level: 9 }).length;
    groups.set(kind, g);
  }
  await context.close();
  return groups;
}

async function session(worker) {
  const context = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/${worker ? "" : "?worker=0"}`);
  await page.waitForSelector("body[data-ready='1']", { timeout: 60_000 });
  await page.evaluate(() => performance.clearMeasures());
  // N interactions through the UI: click a card of the recommended shelf (records a click and opens the
  // product); every fourth time also add it to the cart. Each waits for the next render.
  await page.evaluate(async (n) => {
    // Next render, then idle like a person: the frame painted and its tasks done before the next action.
    const settle = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(() => setTimeout(resolve, 20))));
    const rendered = (before) => new Promise((resolve) => {
      const check = () => (Number(document.body.dataset.renders) > before ? settle().then(resolve) : requestAnimationFrame(check));
      check();
    });
    for (let i = 0; i < n; i++) {
      let before = Number(document.body.dataset.renders);
      const cards = document.querySelectorAll("[data-shelf='recommended'] button.open");
      cards[i % cards.length].click();
      await rendered(before);
      if (i % 4 === 3) {
        before = Number(document.body.dataset.renders);
        document.getElementById("cart").click();
        await rendered(before);
      }
    }
  }, N);
  const m = await page.evaluate(() => Object.fromEntries(["rf:interaction-to-shelf", "rf:interaction-to-paint", "rf:engine", "rf:render"]
    .map((k) => [k, performance.getEntriesByName(k, "measure").map((e) => e.duration)])));
  const cdp = await context.newCDPSession(page);
  await cdp.send("HeapProfiler.enable");
  await cdp.send("HeapProfiler.collectGarbage");
  const heap = await cdp.send("Runtime.getHeapUsage");
  const wasm = Number(await page.getAttribute("body", "data-wasm-bytes"));
  const events = Number(await page.getAttribute("body", "data-events"));
  await context.close();
  return { m, heap, wasm, events };
}

const load = await firstLoad();
const runs = { worker: await session(true), page: await session(false) };
await chrome.close();
server.close();

console.log(`## Storefront figures (node scripts/demo-figures.mjs ${N}; MovieLens-100K bundle, Chromium ${chrome.browser.version()})\n`);
console.log("| first load | files | raw | gzip -9 |\n|---|---:|---:|---:|");
let tr = 0;
let tg = 0;
for (const [k, g] of load) {
  tr += g.raw;
  tg += g.gzip;
  console.log(`| ${k} | ${g.files} | ${kb(g.raw)} | ${kb(g.gzip)} |`);
}
console.log(`| total | | ${kb(tr)} | ${kb(tg)} |\n`);
console.log("| engine | interactions | interaction → reranked shelves in the DOM, median (p95) | → painted, median (p95) | engine per view, median | main-thread render, median | JS heap of the page after | wasm memory after | events stored |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const [mode, r] of Object.entries(runs)) {
  const t = r.m["rf:interaction-to-shelf"];
  const p = r.m["rf:interaction-to-paint"];
  console.log(`| ${mode === "worker" ? "Web Worker" : "main thread (?worker=0)"} | ${t.length} | ${q(t, 0.5).toFixed(1)} ms (${q(t, 0.95).toFixed(1)} ms) | ` +
    `${q(p, 0.5).toFixed(1)} ms (${q(p, 0.95).toFixed(1)} ms) | ` +
    `${q(r.m["rf:engine"], 0.5).toFixed(1)} ms | ${q(r.m["rf:render"], 0.5).toFixed(1)} ms | ` +
    `${(r.heap.usedSize / 1048576).toFixed(1)} MB | ${(r.wasm / 1048576).toFixed(1)} MB | ${r.events} |`);
}
