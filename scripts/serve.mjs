#!/usr/bin/env node
// Tiny static server for the demo: 127.0.0.1 only, port $PORT (default 8080; 0 = any free port, printed).
//   /            -> $RECOFUSE_WWW (default www/, the storefront)
//   /pkg/...     -> pkg/ (wasm-pack --target web output)
//   /variants/...-> target/variants/ (other builds of the package, for scripts/browser-bench-sets.mjs)
//   /models/...  -> $RECOFUSE_MODELS (default target/demo/: movielens.bundle and movielens.json written by
//                   scripts/movielens.sh, demo.bundle, or any bundle and catalog you put there)
// It serves files the way the README ("Serving the package and its bundles") asks a store to:
//   - compression by Accept-Encoding: brotli or gzip for text, JSON, wasm and bundles, computed once per
//     file version and kept in memory; `Vary: Accept-Encoding` on every response of such a file;
//   - a strong ETag per representation (SHA-256 of the bytes sent) and `304 Not Modified` on a matching
//     If-None-Match;
//   - Cache-Control: `public, max-age=31536000, immutable` for content-addressed paths (a build hash in
//     the path: the package's snippets/<name>-<hash>/), `no-cache` (store, revalidate by ETag) otherwise,
//     so a rebuilt package or bundle is picked up at once and an unchanged one costs a 304;
//   - HTTP Range (`Accept-Ranges: bytes`; one range -> 206 with Content-Range, several -> 206
//     multipart/byteranges, unsatisfiable -> 416; If-Range honoured), on the identity bytes;
//   - a strict Content-Security-Policy (WebAssembly allowed by 'wasm-unsafe-eval', no 'unsafe-eval', no
//     inline scripts or styles).
// RECOFUSE_ACCESS_LOG=1 prints one JSON line per response on stderr (method, path, status, encoding, bytes).
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { brotliCompressSync, constants as zlib, gzipSync } from "node:zlib";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const port = Number.parseInt(process.env.PORT ?? "8080", 10);
const host = "127.0.0.1";
const www = resolve(root, process.env.RECOFUSE_WWW ?? "www");
const models = resolve(root, process.env.RECOFUSE_MODELS ?? join("target", "demo"));

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".ts": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".webmanifest": "application/manifest+json",
  ".bundle": "application/octet-stream",
};

const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const HEADERS = {
  "Content-Security-Policy": CSP,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Opener-Policy": "same-origin",
};

/** Types worth compressing (images here are already compressed formats or tiny). */
const COMPRESSIBLE = new Set([".html", ".js", ".mjs", ".css", ".json", ".wasm", ".ts", ".svg", ".txt", ".webmanifest", ".bundle"]);

/** A build hash in the path (wasm-pack's `snippets/<crate>-<16 hex>/`, or `name.<8+ hex>.ext`). */
const CONTENT_ADDRESSED = /(?:-[0-9a-f]{16}\/|\.[0-9a-f]{8,}\.[a-z0-9]+$)/;

const ACCESS_LOG = process.env.RECOFUSE_ACCESS_LOG === "1";

/** Maps a URL path to a file inside an allowed directory, or null. */
function resolvePath(pathname) {
  let base = www;
  let rest = pathname;
  for (const [prefix, dir] of [["/pkg/", join(root, "pkg")], ["/variants/", join(root, "target", "variants")], ["/models/", models]]) {
    if (pathname.startsWith(prefix)) {
      base = dir;
      rest = pathname.slice(prefix.length - 1);
    }
  }
  if (rest.endsWith("/")) rest += "index.html";
  const file = resolve(base, "." + rest);
  return file === base || file.startsWith(base + sep) ? file : null;
}

function send(res, status, text) {
  res.writeHead(status, { ...HEADERS, "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" });
  res.end(text + "\n");
}

const etagOf = (bytes, suffix = "") => `"${createHash("sha256").update(bytes).digest("base64url").slice(0, 27)}${suffix}"`;

/**
 * The representations of a file, computed once per version (path, size, mtime) and kept: identity,
 * and for a compressible type gzip -9 and brotli (quality 11 up to 1 MiB, 9 above, where 11 costs
 * seconds), each kept only when smaller than identity.
 */
const cache = new Map();
async function representations(file, info) {
  const version = `${info.size}:${info.mtimeMs}`;
  const hit = cache.get(file);
  if (hit?.version === version) return hit;
  const raw = await readFile(file);
  const ext = extname(file).toLowerCase();
  const entry = { version, ext, identity: { bytes: raw, etag: etagOf(raw) }, variants: new Map() };
  if (COMPRESSIBLE.has(ext) && raw.length > 0) {
    const br = brotliCompressSync(raw, {
      params: {
        [zlib.BROTLI_PARAM_QUALITY]: raw.length <= 1 << 20 ? 11 : 9,
        [zlib.BROTLI_PARAM_SIZE_HINT]: raw.length,
        [zlib.BROTLI_PARAM_MODE]: ext === ".wasm" || ext === ".bundle" ? zlib.BROTLI_MODE_GENERIC : zlib.BROTLI_MODE_TEXT,
      },
    });
    const gz = gzipSync(raw, { level: 9 });
    for (const [name, bytes] of [["br", br], ["gzip", gz]]) {
      if (bytes.length < raw.length) entry.variants.set(name, { bytes, etag: etagOf(raw, `-${name}`) });
    }
  }
  cache.set(file, entry);
  return entry;
}

/** The codings the client accepts (q > 0), from an Accept-Encoding header. */
function accepted(header) {
  const out = new Map();
  for (const part of (header ?? "").split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (!name) continue;
    const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p)).find(Boolean);
    out.set(name, q ? Number(q[1]) : 1);
  }
  const ok = (c) => (out.get(c) ?? out.get("*") ?? 0) > 0;
  return ok;
}

/** True when an If-None-Match header matches `etag` (weak comparison, `*` matches anything). */
function matches(header, etag) {
  if (!header) return false;
  const bare = etag.replace(/^W\//, "");
  return header.split(",").some((t) => {
    const x = t.trim();
    return x === "*" || x.replace(/^W\//, "") === bare;
  });
}

/**
 * Parses a Range header against a size: null when absent or not `bytes=` (serve the whole file),
 * [] when unsatisfiable, else the [start, end] (inclusive) ranges in the order asked. Overlapping
 * ranges are kept as asked; more than 64 ranges count as an abuse and are refused as unsatisfiable.
 */
function parseRange(header, size) {
  const m = /^\s*bytes\s*=\s*(.+)$/i.exec(header ?? "");
  if (!m) return null;
  const out = [];
  const specs = m[1].split(",");
  if (specs.length > 64) return [];
  for (const spec of specs) {
    const r = /^\s*(\d*)\s*-\s*(\d*)\s*$/.exec(spec);
    if (!r || (r[1] === "" && r[2] === "")) return null; // malformed: ignore the header (RFC 9110 14.2)
    let start;
    let end;
    if (r[1] === "") {
      const n = Number(r[2]);
      if (n === 0) continue;
      start = Math.max(0, size - n);
      end = size - 1;
    } else {
      start = Number(r[1]);
      end = r[2] === "" ? size - 1 : Math.min(Number(r[2]), size - 1);
      if (r[2] !== "" && Number(r[2]) < start) return null;
    }
    if (start < size && start <= end) out.push([start, end]);
  }
  return out;
}

function logAccess(req, status, encoding, bytes) {
  if (ACCESS_LOG) {
    process.stderr.write(JSON.stringify({ method: req.method, path: req.url, status, encoding, bytes,
      range: req.headers.range ?? null }) + "\n");
  }
}

const server = createServer(async (req, res) => {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("Allow", "GET, HEAD");
    return send(res, 405, "method not allowed");
  }
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
  } catch {
    return send(res, 400, "bad request");
  }
  const file = pathname.includes("\0") ? null : resolvePath(pathname);
  if (!file) return send(res, 404, "not found");
  let info;
  try {
    info = await stat(file);
  } catch {
    const hint = pathname.startsWith("/models/") ? " (run scripts/demo.sh to write the demo bundles)" : "";
    return send(res, 404, `not found${hint}`);
  }
  if (!info.isFile()) return send(res, 404, "not found");
  let rep;
  try {
    rep = await representations(file, info);
  } catch {
    return send(res, 500, "cannot read the file");
  }
  const size = rep.identity.bytes.length;
  const headers = {
    ...HEADERS,
    "Content-Type": MIME[rep.ext] ?? "application/octet-stream",
    "Cache-Control": CONTENT_ADDRESSED.test(pathname) ? "public, max-age=31536000, immutable" : "no-cache",
    "Accept-Ranges": "bytes",
  };
  if (COMPRESSIBLE.has(rep.ext)) headers.Vary = "Accept-Encoding";

  // Range requests are served from the identity bytes (a range of a compressed stream is useless to a
  // client that wants rows of the bundle); If-Range with a stale validator gets the whole file.
  const ranges = req.headers.range && (!req.headers["if-range"] || req.headers["if-range"] === rep.identity.etag)
    ? parseRange(req.headers.range, size)
    : null;
  if (ranges) {
    headers.ETag = rep.identity.etag;
    if (matches(req.headers["if-none-match"], rep.identity.etag)) {
      res.writeHead(304, headers);
      logAccess(req, 304, "", 0);
      return res.end();
    }
    if (ranges.length === 0) {
      res.writeHead(416, { ...headers, "Content-Range": `bytes */${size}`, "Content-Type": "text/plain; charset=utf-8" });
      logAccess(req, 416, "", 0);
      return res.end();
    }
    const bytes = rep.identity.bytes;
    if (ranges.length === 1) {
      const [a, b] = ranges[0];
      res.writeHead(206, { ...headers, "Content-Range": `bytes ${a}-${b}/${size}`, "Content-Length": b - a + 1 });
      logAccess(req, 206, "", b - a + 1);
      return res.end(req.method === "HEAD" ? undefined : bytes.subarray(a, b + 1));
    }
    const boundary = `recofuse-${randomBytes(12).toString("hex")}`;
    const parts = [];
    for (const [a, b] of ranges) {
      parts.push(Buffer.from(`\r\n--${boundary}\r\nContent-Type: ${headers["Content-Type"]}\r\n` +
        `Content-Range: bytes ${a}-${b}/${size}\r\n\r\n`));
      parts.push(bytes.subarray(a, b + 1));
    }
    parts.push(Buffer.from(`\r\n--${boundary}--\r\n`));
    const body = Buffer.concat(parts);
    res.writeHead(206, { ...headers, "Content-Type": `multipart/byteranges; boundary=${boundary}`, "Content-Length": body.length });
    logAccess(req, 206, "", body.length);
    return res.end(req.method === "HEAD" ? undefined : body);
  }

  const ok = accepted(req.headers["accept-encoding"]);
  const coding = ["br", "gzip"].find((c) => rep.variants.has(c) && ok(c));
  const chosen = coding ? rep.variants.get(coding) : rep.identity;
  headers.ETag = chosen.etag;
  if (coding) headers["Content-Encoding"] = coding;
  if (matches(req.headers["if-none-match"], chosen.etag)) {
    delete headers["Content-Encoding"];
    res.writeHead(304, headers);
    logAccess(req, 304, "", 0);
    return res.end();
  }
  res.writeHead(200, { ...headers, "Content-Length": chosen.bytes.length });
  logAccess(req, 200, coding ?? "", chosen.bytes.length);
  res.end(req.method === "HEAD" ? undefined : chosen.bytes);
});

server.on("error", (e) => {
  console.error(`serve: ${e.message}`);
  process.exit(1);
});
server.listen(port, host, () => {
  const { port: actual } = server.address();
  console.log(`recofuse demo: open http://${host}:${actual}/  (Ctrl-C to stop)`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
