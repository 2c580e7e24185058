#!/usr/bin/env node
// Checks that two builds of the package (target/variants/<a>/ and <b>/, from scripts/wasm-variants.sh)
// give bit-identical results in Node.js: rerankTyped of 1,000 candidates from a set (order and scores)
// and rerankDetailed with contributions, on target/bench/plain.bundle with a 50-click history.
// Usage: node scripts/compare-variants.mjs base z-simd   (exits 1 on a difference)
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "../tests/e2e/harness.mjs";

const names = process.argv.slice(2, 4);
const bytes = readFileSync(join(ROOT, "target", "bench", "plain.bundle"));
const out = [];
for (const v of names) {
  const dir = join(ROOT, "target", "variants", v);
  const m = await import(pathToFileURL(join(dir, "recofuse.js")).href);
  m.initSync({ module: readFileSync(join(dir, "recofuse_bg.wasm")) });
  const r = await m.Reranker.fromBytes(bytes, { storage: "memory" });
  for (let i = 0; i < 50; i++) r.record({ item: `item-${(i * 31) % 20000}`, kind: "click", ts: 1e6 + i });
  const ids = Array.from({ length: 1000 }, (_, i) => `item-${(i * 7919) % 20000}`);
  const t = r.rerankTyped(r.candidates(ids));
  out.push(JSON.stringify([Array.from(t.order), Array.from(t.scores), r.rerankDetailed(ids.slice(0, 40), { explain: true })]));
}
const same = out[0] === out[1];
console.log(`${names.join(" vs ")}: ${same ? "identical results" : "DIFFERENT results"}`);
process.exit(same ? 0 : 1);
