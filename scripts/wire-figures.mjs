#!/usr/bin/env node
// Bytes on the wire of the storefront (www/) as Chromium counts them (CDP encodedDataLength per request,
// through tests/e2e/harness.mjs `wireLog`: the pages', the dedicated worker's and the service worker's
// requests): a first visit (fresh profile, service worker allowed, until the page says it works offline)
// and a return visit (same profile, a new page). For each visit: requests that reached the network, bytes
// transferred (headers + bodies), URLs transferred more than once, responses compressed; and the files of
// the page (every distinct URL of the first visit) raw and gzip -9, the yardstick of issue 15
// ("first visit <= 1.1x the gzip size of its files"). A revalidated response (304 on the wire) shows as
// its headers' bytes: Chromium reports it with the cached status 200.
// Usage: node scripts/wire-figures.mjs [--json]   (needs pkg/ and target/demo/movielens.*, i.e. a prior
// `bash scripts/demo.sh` or `bash scripts/test.sh`). Prints a Markdown table (or JSON).
import { gzipSync } from "node:zlib";
import { launch, serve, summarise, wireLog } from "../tests/e2e/harness.mjs";

const server = await serve();
const chrome = await launch();
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

const context = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
const log = wireLog(context);
const page = await context.newPage();
await page.goto(server.url + "/");
await page.waitForSelector("body[data-ready='1']", { timeout: 60_000 });
await page.waitForSelector("body[data-offline='ready']", { timeout: 60_000 });
await page.waitForTimeout(500);
await log.settle();
const first = log.rows.splice(0);
await page.close();
const again = await context.newPage();
await again.goto(server.url + "/");
await again.waitForSelector("body[data-ready='1']", { timeout: 60_000 });
await again.waitForTimeout(500);
await log.settle();
const second = log.rows.splice(0);
await context.close();

// The files of the page: every distinct URL of the first visit, fetched once more outside the browser.
const urls = [...new Set(first.filter((r) => r.method === "GET" && r.status === 200).map((r) => r.url))];
let raw = 0;
let gz = 0;
for (const u of urls) {
  const body = Buffer.from(await (await fetch(u)).arrayBuffer());
  raw += body.length;
  gz += gzipSync(body, { level: 9 }).length;
}
await chrome.close();
server.close();

const a = summarise(first);
const b = summarise(second);
if (process.argv.includes("--json")) {
  console.log(JSON.stringify({ files: urls.length, raw, gzip: gz, first: a, return: b }, null, 2));
} else {
  console.log(`## Bytes on the wire (node scripts/wire-figures.mjs; MovieLens-100K storefront, Chromium ${chrome.browser.version()})\n`);
  console.log(`Files of the page: ${urls.length} URLs, ${raw.toLocaleString("en")} B raw, ${gz.toLocaleString("en")} B gzip -9.\n`);
  console.log("| visit | requests on the network | transferred (headers + bodies) | ÷ gzip -9 of the files | URLs transferred twice | compressed responses |");
  console.log("|---|---:|---:|---:|---|---:|");
  for (const [name, s] of [["first", a], ["return", b]]) {
    console.log(`| ${name} | ${s.requests} | ${s.bytes.toLocaleString("en")} B (${kb(s.bytes)}) | ${(s.bytes / gz).toFixed(3)}× | ` +
      `${s.twice.length ? s.twice.join(", ") : "none"} | ${s.compressed} |`);
  }
}
