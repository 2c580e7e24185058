#!/usr/bin/env node
// Issue 14: recofuse from arrays, from candidate sets and with typed results, against a JavaScript sort
// and a plain-JavaScript reranker reading the same bundle, interleaved in one headless Chromium page
// (www/bench/sets.js). 1,000 known candidates, and 10,000 with 8,318 unknown ids; 50-click history.
// Uses target/bench/plain.bundle (written by `node scripts/browser-bench.mjs`, or here if missing) and
// pkg/ (a release build: `bash scripts/wasm-size.sh --rebuild`). Prints a Markdown table.
// Usage: node scripts/browser-bench-sets.mjs [rounds=30] [repeat=20]
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { launch, serve, ROOT, watchErrors } from "../tests/e2e/harness.mjs";

const rounds = process.argv[2] ?? "30";
const repeat = process.argv[3] ?? "20";
const dir = join(ROOT, "target", "bench");
const bundle = join(dir, "plain.bundle");
if (!existsSync(bundle)) {
  execFileSync("cargo", ["run", "--quiet", "--release", "-p", "recofuse-train", "--", "demo-bundle",
    "--out", bundle, "--items", "20000"], { cwd: ROOT, stdio: "inherit" });
}
const server = await serve({ RECOFUSE_MODELS: dir });
const chrome = await launch();
try {
  const page = await (await chrome.browser.newContext()).newPage();
  const errors = watchErrors(page);
  await page.goto(`${server.url}/bench/sets.html?rounds=${rounds}&repeat=${repeat}`);
  await page.waitForFunction(() => document.body.dataset.result || document.body.dataset.error, null,
    { timeout: 900_000 });
  const error = await page.evaluate(() => document.body.dataset.error);
  if (error || errors.length) throw new Error(error ?? errors.join("\n"));
  const r = JSON.parse(await page.evaluate(() => document.body.dataset.result));
  const m = r.medians;
  console.log(`${r.userAgent}; medians of ${rounds} interleaved samples of ${repeat} calls; history ${r.history} events\n`);
  for (const size of ["n1000", "n10000"]) {
    const n = size === "n1000" ? "1,000" : "10,000";
    console.log(`\n| ${n} candidates (${r.known[size]} known), headless Chromium | µs per call | × JS sort | × plain JS |`);
    console.log(`|---|---:|---:|---:|`);
    const rows = [["JS sort by server score", "jsSort"], ["plain-JS reranker (3 signals)", "plainJs"],
      ["recofuse `rerank(ids)`, all signals", "arrays"], ["recofuse `rerank(set)`", "set"],
      ["recofuse `rerankTyped(ids)`", "arrayTyped"], ["recofuse `rerankTyped(set)`", "setTyped"]];
    for (const [what, k] of rows) {
      const ms = m[`${size}.${k}`];
      console.log(`| ${what} | ${(ms * 1000).toFixed(0)} | ${(ms / m[`${size}.jsSort`]).toFixed(2)} | ${(ms / m[`${size}.plainJs`]).toFixed(2)} |`);
    }
  }
  console.log(`\n10,000 typed from a set / 1,000 typed from a set: ${(m["n10000.setTyped"] / m["n1000.setTyped"]).toFixed(2)}×`);
} finally {
  await chrome.close();
  server.close();
}
