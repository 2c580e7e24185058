// Bundles in pieces (issue 15.3): the `pieces` build of the package (pkg-pieces/, build_pkg_pieces) in
// Node.js against scripts/serve.mjs (HTTP Range, multipart/byteranges). `fromUrl(url, { lazy: true })`
// fetches only the head; before `prepare` the candidates are `pending`; after it the ranking equals the
// one of the whole file loaded with `fromBytes`, in both layouts (Range into one file, one file per
// shard); a corrupt shard is a typed error from `prepare` and `storageInfo().shards`, never a throw from
// `rerank`. Node has no Cache Storage: caching and offline are not tested here.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, test } from "node:test";

import { ROOT, serve } from "./harness.mjs";

const PKG = join(ROOT, "pkg-pieces");
let server, dir, m;
const ITEMS = 3000, SHARDS = 64;

before(async () => {
  if (!existsSync(join(PKG, "recofuse_bg.wasm"))) return;
  dir = mkdtempSync(join(tmpdir(), "recofuse-pieces-"));
  const bundle = (out, layout) => execFileSync("cargo", ["run", "--quiet", "--release", "-p", "recofuse-train", "--",
    "demo-bundle", "--items", String(ITEMS), "--out", join(dir, out), "--shards", String(SHARDS), "--layout", layout],
  { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  bundle("one.bundle", "single");
  bundle("files.bundle", "files");
  server = await serve({ RECOFUSE_MODELS: dir });
  m = await import(pathToFileURL(join(PKG, "recofuse.js")).href);
  m.initSync({ module: readFileSync(join(PKG, "recofuse_bg.wasm")) });
});
after(() => {
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Counts the requests the page's fetch makes (Node's global fetch), with their Range headers. */
function countFetches() {
  const log = [];
  const real = globalThis.fetch;
  globalThis.fetch = (url, init) => {
    log.push({ url: String(url), range: init?.headers?.Range ?? null });
    return real(url, init);
  };
  return { log, restore: () => { globalThis.fetch = real; } };
}

const ids = Array.from({ length: 200 }, (_, i) => `item-${(i * 37) % ITEMS}`);
const key = (list) => list.map((x) => `${x.item}:${x.score}`);

for (const layout of ["one", "files"]) {
  test(`lazy ${layout}: head only, pending before prepare, then the whole file's ranking`, async (t) => {
    if (!m) return t.skip("pkg-pieces/ absent: run `source scripts/env.sh && build_pkg_pieces`");
    const url = `${server.url}/models/${layout}.bundle`;
    const whole = await m.Reranker.fromBytes(readFileSync(join(dir, "one.bundle")), { namespace: `w-${layout}`, storage: "memory" });
    const f = countFetches();
    try {
      const r = await m.Reranker.fromUrl(url, { lazy: true, namespace: `l-${layout}`, storage: "memory" });
      assert.equal(f.log.length, 1, "one request for the head");
      const info = r.storageInfo().shards;
      assert.equal(info.total, SHARDS);
      assert.equal(info.present, 0);
      assert.ok(info.bytes < 16_000, `head ${info.bytes} B`);
      assert.equal(r.bundleInfo().items, ITEMS);
      assert.equal(r.bundleInfo().formatVersion, 2);
      // Before prepare: nothing known, every candidate pending, nothing thrown.
      const before = r.rerankDetailed(ids);
      assert.equal(before.ranked.length, ids.length);
      assert.equal(before.pending.length, ids.length);
      // prepare: one batch; Range mode in at most 16 requests, files mode one request per shard.
      const n0 = f.log.length;
      const got = await r.prepare(ids);
      const shardsNeeded = r.storageInfo().shards.present;
      assert.equal(got, shardsNeeded);
      const requests = f.log.length - n0;
      if (layout === "one") assert.ok(requests <= 16, `${requests} requests`);
      else assert.equal(requests, shardsNeeded);
      assert.equal(await r.prepare(ids), 0, "nothing fetched twice");
      assert.equal(f.log.length - n0, requests);
      for (const [i, events] of [[0, []], [1, ["item-37", "item-74"]]]) {
        for (const e of events) { r.record({ item: e, kind: "click", ts: 1000 * i }); whole.record({ item: e, kind: "click", ts: 1000 * i }); }
        const after = r.rerankDetailed(ids);
        assert.deepEqual(after.pending, []);
        assert.deepEqual(key(after.ranked), key(whole.rerank(ids)), `round ${i}`);
      }
      r.free();
    } finally {
      f.restore();
      whole.free();
    }
  });
}

test("a corrupt shard: prepare rejects with BUNDLE_CHECKSUM, rerank still ranks what is present", async (t) => {
  if (!m) return t.skip("pkg-pieces/ absent: run `source scripts/env.sh && build_pkg_pieces`");
  const r0 = await m.Reranker.fromUrl(`${server.url}/models/files.bundle`, { lazy: true, namespace: "c0", storage: "memory" });
  r0.free();
  // Corrupt every shard file but keep the head: any prepare hits a corrupt shard.
  for (let s = 0; s < SHARDS; s++) {
    const p = join(dir, `files.bundle.${s}`);
    const b = readFileSync(p);
    b[b.length >> 1] ^= 0x55;
    writeFileSync(p, b);
  }
  const r = await m.Reranker.fromUrl(`${server.url}/models/files.bundle`, { lazy: true, namespace: "c1", storage: "memory" });
  await assert.rejects(r.prepare(ids.slice(0, 5)), (e) => e instanceof m.RecofuseError && e.code === "BUNDLE_CHECKSUM");
  const info = r.storageInfo().shards;
  assert.equal(info.lastError, "BUNDLE_CHECKSUM");
  assert.equal(info.present, 0);
  const res = r.rerankDetailed(ids.slice(0, 5));
  assert.equal(res.ranked.length, 5);
  assert.equal(res.pending.length, 5);
  r.free();
});
