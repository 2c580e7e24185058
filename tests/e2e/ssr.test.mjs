// Server-side rendering (issue 16, fault test 5): the web build of the package imported in Node.js, where
// there is no window, indexedDB or localStorage, does not throw; Reranker.fromBytes there uses memory.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";

import { ROOT } from "./harness.mjs";

test("import and fromBytes in Node.js without window, indexedDB or localStorage use memory storage", async () => {
  assert.equal(typeof globalThis.window, "undefined");
  assert.equal(typeof globalThis.indexedDB, "undefined");
  const m = await import(pathToFileURL(join(ROOT, "pkg", "recofuse.js")).href);
  m.initSync({ module: readFileSync(join(ROOT, "pkg", "recofuse_bg.wasm")) });
  const r = await m.Reranker.fromBytes(readFileSync(join(ROOT, "target", "demo", "demo.bundle")), { namespace: "ssr" });
  assert.equal(r.storageInfo().backend, "memory");
  const ids = r.bundleInfo().items > 0 ? r.recommend(3).map((x) => x.item) : [];
  assert.equal(ids.length, 3);
  assert.equal(r.record({ item: ids[0], kind: "click" }), true);
  await r.flush();
  assert.equal(r.history().length, 1);
  r.free();
  // An explicit browser backend is a coded error, not a crash.
  await assert.rejects(m.Reranker.fromBytes(readFileSync(join(ROOT, "target", "demo", "demo.bundle")), { storage: "indexeddb" }),
    (e) => e.code === "STORAGE_UNAVAILABLE");
});
