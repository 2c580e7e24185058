#!/usr/bin/env node
// Issue 14: recofuse from arrays, from candidate sets and with typed results, against a JavaScript sort
// and a plain-JavaScript reranker reading the same bundle, interleaved in one headless Chromium page
// (www/bench/sets.js). 1,000 known candidates, and 10,000 with 8,318 unknown ids; 50-click history.
// Uses target/bench/plain.bundle (written by `node scripts/browser-bench.mjs`, or here if missing) and
// pkg/ (a release build: `bash scripts/wasm-size.sh --rebuild`). Prints a Markdown table.
// Usage: node scripts/browser-bench-sets.mjs [rounds=30] [repeat=20] [--variants a,b] [--profile CASE]
//   --variants a,b   also times the builds in target/variants/a/, target/variants/b/ (wasm-pack --target
//                    web output, e.g. from scripts/wasm-variants.sh) on the same cases, interleaved;
//   --profile CASE   instead, runs one case (e.g. n1000.setTyped, or n1000.a.setTyped) rounds x repeat
//                    times under Chromium's CPU profiler (CDP Profiler) and prints the self time per
//                    function (wasm functions by name when the module keeps its name section, as the
//                    builds of scripts/wasm-variants.sh do); the raw profile goes to target/bench/CASE.cpuprofile.
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { launch, serve, ROOT, watchErrors } from "../tests/e2e/harness.mjs";

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i < 0 ? null : args.splice(i, 2)[1];
};
const variants = (flag("--variants") ?? "").split(",").filter(Boolean);
const profile = flag("--profile");
const rounds = args[0] ?? "30";
const repeat = args[1] ?? "20";
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
  const query = `rounds=${rounds}&repeat=${repeat}&variants=${variants.join(",")}` + (profile ? `&only=${profile}` : "");
  await page.goto(`${server.url}/bench/sets.html?${query}`);
  if (profile) {
    await page.waitForFunction(() => document.body.dataset.setup || document.body.dataset.error, null, { timeout: 900_000 });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 50 });
    await cdp.send("Profiler.start");
    await page.evaluate(() => window.rfGo?.());
    await page.waitForFunction(() => document.body.dataset.result || document.body.dataset.error, null, { timeout: 900_000 });
    const { profile: prof } = await cdp.send("Profiler.stop");
    const error = await page.evaluate(() => document.body.dataset.error);
    if (error || errors.length) throw new Error(error ?? errors.join("\n"));
    writeFileSync(join(dir, `${profile}.cpuprofile`), JSON.stringify(prof));
    const r = JSON.parse(await page.evaluate(() => document.body.dataset.result));
    // Self time per function: samples whose top frame is that node, by function name.
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const counts = new Map();
    for (const id of prof.samples) {
      const f = byId.get(id).callFrame;
      const name = f.functionName || `(anonymous ${f.url.split("/").pop()}:${f.lineNumber})`;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    const idle = (counts.get("(idle)") ?? 0) + (counts.get("(program)") ?? 0);
    const total = prof.samples.length - idle;
    console.log(`${profile}: ${(r.ms * 1000).toFixed(1)} µs per call (under the profiler); ${total} samples\n`);
    console.log("| self time | function |\n|---:|---|");
    for (const [name, c] of [...counts].filter(([n]) => n !== "(idle)" && n !== "(program)").sort((a, b) => b[1] - a[1]).slice(0, 30)) {
      console.log(`| ${(100 * c / total).toFixed(1)} % | \`${name.replace(/\|/g, "\\|").slice(0, 140)}\` |`);
    }
  } else {
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
      for (const v of variants) {
        rows.push([`${v}: \`rerank(ids)\``, `${v}.arrays`], [`${v}: \`rerank(set)\``, `${v}.set`],
          [`${v}: \`rerankTyped(ids)\``, `${v}.arrayTyped`], [`${v}: \`rerankTyped(set)\``, `${v}.setTyped`]);
      }
      for (const [what, k] of rows) {
        const ms = m[`${size}.${k}`];
        console.log(`| ${what} | ${(ms * 1000).toFixed(0)} | ${(ms / m[`${size}.jsSort`]).toFixed(2)} | ${(ms / m[`${size}.plainJs`]).toFixed(2)} |`);
      }
    }
    console.log(`\n10,000 typed from a set / 1,000 typed from a set: ${(m["n10000.setTyped"] / m["n1000.setTyped"]).toFixed(2)}×`);
    for (const v of variants) {
      console.log(`${v}: 10,000 / 1,000 typed from a set: ${(m[`n10000.${v}.setTyped`] / m[`n1000.${v}.setTyped`]).toFixed(2)}×`);
    }
  }
} finally {
  await chrome.close();
  server.close();
}
