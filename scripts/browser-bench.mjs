#!/usr/bin/env node
// What the deep model adds to one rerank of 1,000 candidates in headless Chromium (issue 5), as a ratio
// to a baseline measured in the same run (sorting the 1,000 candidates by server score in JavaScript).
// Writes two bundles of the same generated 20,000-item catalog into target/bench/ if they are missing
// (`recofuse demo-bundle`, the second with `--neural`: a deep model of the trainer's default size with
// random weights, whose cost is the real one), serves www/bench/ with them, and prints a Markdown table.
// Needs pkg/ (a release build: `bash scripts/wasm-size.sh --rebuild`).
// Usage: node scripts/browser-bench.mjs [rounds=30] [repeat=20]
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { launch, serve, ROOT, watchErrors } from "../tests/e2e/harness.mjs";

const rounds = process.argv[2] ?? "30";
const repeat = process.argv[3] ?? "20";
const dir = join(ROOT, "target", "bench");
for (const [name, extra] of [["plain", []], ["neural", ["--neural"]]]) {
  const out = join(dir, `${name}.bundle`);
  if (!existsSync(out)) {
    execFileSync("cargo", ["run", "--quiet", "--release", "-p", "recofuse-train", "--", "demo-bundle",
      "--out", out, "--items", "20000", ...extra], { cwd: ROOT, stdio: "inherit" });
  }
}
const server = await serve({ RECOFUSE_MODELS: dir });
const chrome = await launch();
try {
  const page = await (await chrome.browser.newContext()).newPage();
  const errors = watchErrors(page);
  await page.goto(`${server.url}/bench/?rounds=${rounds}&repeat=${repeat}`);
  await page.waitForFunction(() => document.body.dataset.result || document.body.dataset.error, null,
    { timeout: 600_000 });
  const error = await page.evaluate(() => document.body.dataset.error);
  if (error || errors.length) throw new Error(error ?? errors.join("\n"));
  const r = JSON.parse(await page.evaluate(() => document.body.dataset.result));
  const row = (what, ms) => `| ${what} | ${(ms * 1000).toFixed(0)} | ${(ms / r.baseline).toFixed(2)} |`;
  console.log(`${r.userAgent}; medians of ${rounds} interleaved samples of ${repeat} calls; history ${r.history} events\n`);
  console.log(`| in headless Chromium | µs per call | × baseline |`);
  console.log(`|---|---:|---:|`);
  console.log(row("baseline: sort 1,000 by server score in JS", r.baseline));
  console.log(row("rerank 1,000, cached profile, bundle without the model", r.plainCached));
  console.log(row("rerank 1,000, cached profile, bundle with the model", r.neuralCached));
  console.log(row("record + rerank 1,000 (profile rebuilt), without the model", r.plainRebuilt));
  console.log(row("record + rerank 1,000 (profile rebuilt), with the model", r.neuralRebuilt));
  const us = (ms) => (ms * 1000).toFixed(0);
  console.log(`\nThe model adds ${us(r.neuralCached - r.plainCached)} µs (${((r.neuralCached - r.plainCached) / r.baseline).toFixed(2)} ` +
    `× baseline) to a rerank with a cached profile and ${us(r.neuralRebuilt - r.plainRebuilt)} µs ` +
    `(${((r.neuralRebuilt - r.plainRebuilt) / r.baseline).toFixed(2)} × baseline) when the profile is rebuilt.`);
} finally {
  await chrome.close();
  server.close();
}
