// FREED (issue 16): every method of a Reranker or CandidateSet called after its free() throws a
// RecofuseError with code FREED (not wasm-bindgen's bare Error("null pointer passed to rust")), in Node.js
// with the web package (initSync, memory storage). A second free() does nothing.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";

import { ROOT } from "./harness.mjs";

test("a method called after free() throws a RecofuseError with code FREED", async () => {
  const m = await import(pathToFileURL(join(ROOT, "pkg", "recofuse.js")).href);
  m.initSync({ module: readFileSync(join(ROOT, "pkg", "recofuse_bg.wasm")) });
  const bytes = readFileSync(join(ROOT, "target", "demo", "demo.bundle"));
  const r = await m.Reranker.fromBytes(bytes, { storage: "memory", namespace: "freed" });
  const ids = r.recommend(5).map((x) => x.item);
  const set = r.candidates(ids);
  assert.equal(set.length, 5);
  const other = await m.Reranker.fromBytes(bytes, { storage: "memory", namespace: "freed-2" });
  r.free();
  r.free();
  const calls = {
    record: () => r.record({ item: ids[0], kind: "click" }),
    rerank: () => r.rerank(ids),
    rerankTyped: () => r.rerankTyped(ids),
    rerankDetailed: () => r.rerankDetailed(ids),
    recommend: () => r.recommend(3),
    similar: () => r.similar(ids[0], 3),
    candidates: () => r.candidates(ids),
    history: () => r.history(),
    exportHistory: () => r.exportHistory(),
    clearHistory: () => r.clearHistory(),
    pause: () => r.pause(),
    resume: () => r.resume(),
    isPaused: () => r.isPaused(),
    abBucket: () => r.abBucket(),
    storageInfo: () => r.storageInfo(),
    flush: () => r.flush(),
    bundleInfo: () => r.bundleInfo(),
    prepare: () => r.prepare(ids),
    experiment: () => r.experiment({ name: "e", arms: [{ name: "a" }, { name: "b" }] }),
    experiments: () => r.experiments(),
    experimentReport: () => r.experimentReport("e"),
    impression: () => r.impression(ids),
  };
  // Every method of the class is in the list above (a new one is checked too, or this fails).
  const methods = Object.getOwnPropertyNames(m.Reranker.prototype)
    .filter((n) => n !== "constructor" && n !== "free" && !n.startsWith("__") && typeof r[n] === "function");
  assert.deepEqual(methods.sort(), Object.keys(calls).sort());
  for (const [name, call] of Object.entries(calls)) {
    assert.throws(call, (e) => e instanceof m.RecofuseError && e instanceof Error && e.code === "FREED"
      && /free\(\)/.test(e.message), name);
  }
  // The set: its getter, and a freed set passed to a live reranker.
  set.free();
  assert.throws(() => set.length, (e) => e instanceof m.RecofuseError && e.code === "FREED");
  assert.throws(() => other.rerank(set), (e) => e instanceof m.RecofuseError && e.code === "FREED");
  // The other instance is unaffected.
  assert.equal(other.rerank(ids).length, 5);
  other.free();
});
