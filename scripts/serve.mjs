#!/usr/bin/env node
// Tiny static server for the demo: 127.0.0.1 only, port $PORT (default 8080; 0 = any free port, printed).
//   /            -> $RECOFUSE_WWW (default www/, the storefront)
//   /pkg/...     -> pkg/ (wasm-pack --target web output)
//   /models/...  -> $RECOFUSE_MODELS (default target/demo/: movielens.bundle and movielens.json written by
//                   scripts/movielens.sh, demo.bundle, or any bundle and catalog you put there)
// Every response carries a strict Content-Security-Policy (WebAssembly allowed by 'wasm-unsafe-eval', no
// 'unsafe-eval', no inline scripts or styles) and no-store caching so a rebuilt package is picked up (the
// storefront's service worker keeps its own offline copy).
import { createServer } from "node:http";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
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
  "Cache-Control": "no-store",
};

/** Maps a URL path to a file inside an allowed directory, or null. */
function resolvePath(pathname) {
  let base = www;
  let rest = pathname;
  for (const [prefix, dir] of [["/pkg/", join(root, "pkg")], ["/models/", models]]) {
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
  res.writeHead(status, { ...HEADERS, "Content-Type": "text/plain; charset=utf-8" });
  res.end(text + "\n");
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
  res.writeHead(200, {
    ...HEADERS,
    "Content-Type": MIME[extname(file).toLowerCase()] ?? "application/octet-stream",
    "Content-Length": info.size,
  });
  if (req.method === "HEAD") return res.end();
  createReadStream(file).on("error", () => res.destroy()).pipe(res);
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
