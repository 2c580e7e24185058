#!/usr/bin/env node
// Times the npm package's JS API in Node.js (V8, no browser), as ratios to a baseline measured in the
// same run (sorting the candidates by server score in JavaScript): rerank of 1,000 candidates of a
// generated 20,000-item catalog with a cached profile, returning all of them or k = 24, with and
// without `explain`. Needs pkg/ (`bash scripts/wasm-size.sh --rebuild`) and writes
// target/bench/plain.bundle if missing (as scripts/browser-bench.mjs does).
// Usage: node scripts/node-bench.mjs [samples=15] [repeat=200]
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const samples = Number(process.argv[2] ?? 15);
const repeat = Number(process.argv[3] ?? 200);
const bundle = join(ROOT, "target", "bench", "plain.bundle");
if (!existsSync(bundle)) {
  execFileSync("cargo", ["run", "--quiet", "--release", "-p", "recofuse-train", "--", "demo-bundle",
    "--out", bundle, "--items", "20000"], { cwd: ROOT, stdio: "inherit" });
}
const { initSync, Reranker } = await import(join(ROOT, "pkg", "recofuse.js"));
initSync({ module: readFileSync(join(ROOT, "pkg", "recofuse_bg.wasm")) });
const r = await Reranker.fromBytes(new Uint8Array(readFileSync(bundle)), { namespace: "bench", storage: "memory" });

const ITEMS = 20000, N = 1000;
let x = 42;
const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
const ids = Array.from({ length: N }, (_, i) => `item-${(i * 7919) % ITEMS}`);
const scores = Float32Array.from(ids, () => rnd());
let ts = 1e6;
for (let i = 0; i < 50; i++) r.record({ item: `item-${(i * 31) % ITEMS}`, kind: "click", ts: ts++ });

let sink = 0;
const cases = {
  "baseline: sort 1,000 by server score in JS": () => {
    sink += ids.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b)[0];
  },
  "rerank 1,000, all returned": () => { sink += r.rerank(ids, { serverScores: scores }).length; },
  "rerank 1,000, all returned, explain": () => { sink += r.rerank(ids, { serverScores: scores, explain: true }).length; },
  "rerank 1,000, k = 24": () => { sink += r.rerank(ids, { serverScores: scores, k: 24 }).length; },
  "rerank 1,000, k = 24, explain": () => { sink += r.rerank(ids, { serverScores: scores, k: 24, explain: true }).length; },
};
// Interleaved: every sample times each case once, so that load changes hit all of them alike.
const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (const f of Object.values(cases)) for (let i = 0; i < 20; i++) f();
for (let s = 0; s < samples; s++) {
  for (const [name, f] of Object.entries(cases)) {
    const t0 = performance.now();
    for (let i = 0; i < repeat; i++) f();
    times[name].push(((performance.now() - t0) / repeat) * 1000);
  }
}
const median = (v) => v.sort((a, b) => a - b)[v.length >> 1];
const base = median(times["baseline: sort 1,000 by server score in JS"]);
console.log(`Node.js ${process.version}; medians of ${samples} interleaved samples of ${repeat} calls (sink ${sink > 0})\n`);
console.log("| in Node.js | µs per call | × baseline |\n|---|---:|---:|");
for (const [name, v] of Object.entries(times)) {
  const m = median(v);
  console.log(`| ${name} | ${m.toFixed(0)} | ${(m / base).toFixed(2)} |`);
}
r.free();
