// The demo server's HTTP behaviour (scripts/serve.mjs), the one the README asks a store to copy:
// compression by Accept-Encoding with Vary, ETag and 304, Cache-Control, HTTP Range (single, multiple,
// unsatisfiable, If-Range). Plain node:http requests (no decompression behind the test's back) against
// files of a temporary directory served as /models/.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { brotliDecompressSync, gunzipSync } from "node:zlib";

import { serve } from "./harness.mjs";

let server;
let dir;
// A compressible "bundle": 64 KiB of a repeating pattern with some noise.
const BUNDLE = Buffer.alloc(65_536, 0);
for (let i = 0; i < BUNDLE.length; i++) BUNDLE[i] = (i * 7 + (i >> 9)) & 0xff;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "recofuse-serve-"));
  writeFileSync(join(dir, "t.bundle"), BUNDLE);
  writeFileSync(join(dir, "empty.json"), "");
  server = await serve({ RECOFUSE_MODELS: dir });
});
after(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** GET (or `method`) with headers; resolves to { status, headers, body: Buffer } as sent. */
function get(path, headers = {}, method = "GET") {
  return new Promise((resolve, reject) => {
    const req = request(server.url + path, { method, headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("compression follows Accept-Encoding, with Vary and one ETag per representation", async () => {
  const br = await get("/models/t.bundle", { "accept-encoding": "gzip, deflate, br" });
  assert.equal(br.status, 200);
  assert.equal(br.headers["content-encoding"], "br");
  assert.equal(br.headers.vary, "Accept-Encoding");
  assert.ok(br.body.length < BUNDLE.length / 4, `brotli ${br.body.length} B`);
  assert.deepEqual(brotliDecompressSync(br.body), BUNDLE);
  const gz = await get("/models/t.bundle", { "accept-encoding": "gzip;q=1, br;q=0" });
  assert.equal(gz.headers["content-encoding"], "gzip");
  assert.deepEqual(gunzipSync(gz.body), BUNDLE);
  const plain = await get("/models/t.bundle");
  assert.equal(plain.headers["content-encoding"], undefined);
  assert.deepEqual(plain.body, BUNDLE);
  const etags = new Set([br, gz, plain].map((r) => r.headers.etag));
  assert.equal(etags.size, 3, "each representation has its own strong ETag");
  for (const r of [br, gz, plain]) assert.match(r.headers.etag, /^"[^"]+"$/);
  // An empty file and HEAD: no body, no error.
  const empty = await get("/models/empty.json", { "accept-encoding": "br" });
  assert.equal(empty.status, 200);
  assert.equal(empty.body.length, 0);
  const head = await get("/models/t.bundle", { "accept-encoding": "br" }, "HEAD");
  assert.equal(head.body.length, 0);
  assert.equal(Number(head.headers["content-length"]), br.body.length);
});

test("If-None-Match gives 304 for the same representation only; Cache-Control revalidates", async () => {
  const first = await get("/models/t.bundle", { "accept-encoding": "br" });
  assert.equal(first.headers["cache-control"], "no-cache");
  const again = await get("/models/t.bundle", { "accept-encoding": "br", "if-none-match": first.headers.etag });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  assert.equal(again.headers.etag, first.headers.etag);
  const other = await get("/models/t.bundle", { "accept-encoding": "gzip", "if-none-match": first.headers.etag });
  assert.equal(other.status, 200, "a gzip client does not get a 304 for the brotli ETag");
  const star = await get("/models/t.bundle", { "if-none-match": "*" });
  assert.equal(star.status, 304);
});

test("content-addressed paths are immutable; others revalidate", async () => {
  const page = await get("/", { "accept-encoding": "gzip" });
  assert.equal(page.status, 200);
  assert.equal(page.headers["cache-control"], "no-cache");
  assert.equal(page.headers["content-encoding"], "gzip");
  assert.match(page.headers["content-security-policy"], /script-src 'self' 'wasm-unsafe-eval'/);
  const glue = (await get("/pkg/recofuse.js")).body.toString();
  const snippet = /["']\.\/(snippets\/[^"']+\.js)["']/.exec(glue);
  if (snippet) {
    const s = await get(`/pkg/${snippet[1]}`);
    assert.equal(s.status, 200);
    assert.equal(s.headers["cache-control"], "public, max-age=31536000, immutable");
  }
  const missing = await get("/models/none.bundle");
  assert.equal(missing.status, 404);
  assert.equal(missing.headers["cache-control"], "no-store");
});

test("Range: one range, several ranges (multipart/byteranges), suffix, unsatisfiable, If-Range", async () => {
  const one = await get("/models/t.bundle", { range: "bytes=100-199", "accept-encoding": "br" });
  assert.equal(one.status, 206);
  assert.equal(one.headers["content-range"], `bytes 100-199/${BUNDLE.length}`);
  assert.equal(one.headers["content-encoding"], undefined, "ranges are of the identity bytes");
  assert.deepEqual(one.body, BUNDLE.subarray(100, 200));
  const suffix = await get("/models/t.bundle", { range: "bytes=-10" });
  assert.deepEqual(suffix.body, BUNDLE.subarray(BUNDLE.length - 10));
  const open = await get("/models/t.bundle", { range: "bytes=65530-" });
  assert.equal(open.headers["content-range"], `bytes 65530-65535/${BUNDLE.length}`);

  const multi = await get("/models/t.bundle", { range: "bytes=0-3, 1000-1009,65535-70000" });
  assert.equal(multi.status, 206);
  const m = /^multipart\/byteranges; boundary=(\S+)$/.exec(multi.headers["content-type"]);
  assert.ok(m, multi.headers["content-type"]);
  const parts = multi.body.toString("latin1").split(`--${m[1]}`).slice(1, -1);
  assert.equal(parts.length, 3);
  const expected = [[0, 3], [1000, 1009], [65535, 65535]];
  parts.forEach((p, i) => {
    const [a, b] = expected[i];
    const [head, ...rest] = p.split("\r\n\r\n");
    assert.match(head, new RegExp(`Content-Range: bytes ${a}-${b}/${BUNDLE.length}`));
    const body = Buffer.from(rest.join("\r\n\r\n").replace(/\r\n$/, ""), "latin1");
    assert.deepEqual(body, BUNDLE.subarray(a, b + 1));
  });

  const bad = await get("/models/t.bundle", { range: "bytes=70000-80000" });
  assert.equal(bad.status, 416);
  assert.equal(bad.headers["content-range"], `bytes */${BUNDLE.length}`);
  const malformed = await get("/models/t.bundle", { range: "bytes=abc" });
  assert.equal(malformed.status, 200, "a malformed Range is ignored");
  assert.equal(malformed.body.length, BUNDLE.length);

  const etag = (await get("/models/t.bundle")).headers.etag;
  const fresh = await get("/models/t.bundle", { range: "bytes=0-9", "if-range": etag });
  assert.equal(fresh.status, 206);
  const stale = await get("/models/t.bundle", { range: "bytes=0-9", "if-range": "\"stale\"" });
  assert.equal(stale.status, 200, "a stale If-Range gets the whole file");
  assert.equal(stale.body.length, BUNDLE.length);
});
