// Shared helpers of the end-to-end tests: a loopback server (scripts/serve.mjs on a free port) and
// Debian's Chromium driven by playwright-core (tools/node_modules), with a fresh profile per launch.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const ARTIFACTS = join(ROOT, "target", "e2e-artifacts");
const require = createRequire(join(ROOT, "tools", "package.json"));

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** Starts scripts/serve.mjs on a free loopback port; resolves to { url, close }. */
export function serve(env = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "scripts", "serve.mjs")], {
      env: { ...process.env, PORT: "0", ...env }, stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /open (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) resolvePromise({ url: m[1], close: () => child.kill("SIGTERM") });
    });
    child.on("exit", (code) => reject(new Error(`serve.mjs exited (${code}): ${out}`)));
  });
}

/** Launches Chromium; Playwright gives every launch a fresh temporary profile (its own user-data-dir). */
export async function launch() {
  const { chromium } = require("playwright-core"); // loaded here: the server tests need no browser
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  return { browser, close: () => browser.close() };
}

/** Collects console errors and uncaught page errors of a page (and of its workers). */
export function watchErrors(page) {
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("worker", (w) => w.on("console", (m) => { if (m.type() === "error") errors.push(`worker console: ${m.text()}`); }));
  return errors;
}

/** Saves a screenshot under target/e2e-artifacts/ (PNG, or JPEG quality 70 with `{ jpeg: true }`). */
export async function shot(page, name, { jpeg = false } = {}) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.${jpeg ? "jpg" : "png"}`);
  await page.screenshot(jpeg ? { path, type: "jpeg", quality: 70 } : { path });
}

/**
 * Records what a browser context transfers: one row per finished or failed request of its pages, their
 * dedicated workers and its service workers (Playwright's context-level events), with the bytes on the
 * wire that Chromium reports (CDP `Network.loadingFinished.encodedDataLength`, split by Playwright into
 * `request.sizes()` headers + body). A page request answered by the service worker carries the worker's
 * response and is marked `viaServiceWorker`: its bytes were paid, if at all, by the worker's own fetch,
 * so `transferred` counts only the rows that reached the network or the HTTP cache.
 * Returns { rows, settle() }: `settle` waits until every recorded request has its sizes.
 */
export function wireLog(context) {
  const rows = [];
  const pending = new Set();
  const add = (request, failed) => {
    const p = (async () => {
      const response = failed ? null : await request.response().catch(() => null);
      const sizes = failed ? null : await request.sizes().catch(() => null);
      rows.push({
        url: request.url(),
        method: request.method(),
        status: response?.status() ?? 0,
        viaServiceWorker: response?.fromServiceWorker() ?? false,
        fromServiceWorkerScope: Boolean(request.serviceWorker()),
        encoding: (await response?.headerValue("content-encoding").catch(() => null)) ?? "",
        headers: sizes ? sizes.responseHeadersSize : 0,
        body: sizes ? sizes.responseBodySize : 0,
        bytes: sizes ? sizes.responseHeadersSize + sizes.responseBodySize : 0,
        failed,
      });
    })();
    pending.add(p);
    p.finally(() => pending.delete(p));
  };
  context.on("requestfinished", (r) => add(r, false));
  context.on("requestfailed", (r) => add(r, true));
  return {
    rows,
    async settle() {
      while (pending.size) await Promise.all([...pending]);
    },
  };
}

/**
 * Summary of `wireLog` rows: requests that reached the network (not answered by the service worker, not
 * failed, some bytes), bytes transferred, URLs whose body was transferred more than once, compressed
 * responses, 304s.
 */
export function summarise(rows) {
  const net = rows.filter((r) => !r.viaServiceWorker && !r.failed && r.bytes > 0);
  const counts = new Map();
  for (const r of net.filter((r) => r.body > 0)) counts.set(r.url, (counts.get(r.url) ?? 0) + 1);
  return {
    requests: net.length,
    bytes: net.reduce((s, r) => s + r.bytes, 0),
    bodies: net.reduce((s, r) => s + r.body, 0),
    twice: [...counts].filter(([, n]) => n > 1).map(([u]) => new URL(u).pathname),
    compressed: net.filter((r) => r.encoding).length,
    notModified: net.filter((r) => r.status === 304).length,
  };
}

