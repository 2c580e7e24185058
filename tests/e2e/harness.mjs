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
const { chromium } = require("playwright-core");

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
