// Fault test 6 of issue 16: 10,000 reranks and 50 load/free cycles in Node.js (the web package with
// initSync, memory storage): the WebAssembly memory stops growing after warm-up. Prints the curve.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";

import { ROOT } from "./harness.mjs";

test("10,000 reranks and 50 load/free cycles: wasm memory stops growing after warm-up", async () => {
  const m = await import(pathToFileURL(join(ROOT, "pkg", "recofuse.js")).href);
  const wasm = m.initSync({ module: readFileSync(join(ROOT, "pkg", "recofuse_bg.wasm")) });
  const bytes = readFileSync(join(ROOT, "target", "demo", "demo.bundle"));
  const mem = () => wasm.memory.buffer.byteLength;
  const cycles = [];
  for (let c = 0; c < 50; c++) {
    const r = await m.Reranker.fromBytes(bytes, { storage: "memory", namespace: `mem-${c}` });
    const ids = r.recommend(50).map((x) => x.item);
    for (let i = 0; i < 200; i++) {
      if (i % 20 === 0) r.record({ item: ids[i % ids.length], kind: "click", ts: 1.7e12 + c * 1000 + i });
      r.rerank(ids);
    }
    r.free();
    cycles.push(mem());
  }
  const curve = [1, 5, 10, 20, 30, 40, 50].map((n) => `${n}:${cycles[n - 1]}`).join(" ");
  console.log(`# wasm memory (bytes) after N of 50 cycles (200 reranks each, 10,000 in all): ${curve}`);
  // After warm-up (10 cycles) the memory no longer grows.
  assert.equal(cycles[49], cycles[9], curve);
});
