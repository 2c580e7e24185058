// The Vite example (examples/vite/) built by `vite build` against the wasm-pack package: its built page,
// served from dist/ with the same strict CSP, loads recofuse as an npm import and reranks.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { ROOT, launch, serve, shot, watchErrors } from "./harness.mjs";

const DIST = join(ROOT, "examples", "vite", "dist");
let server;
let chrome;
before(async () => {
  if (!existsSync(join(DIST, "index.html"))) throw new Error("examples/vite/dist is missing: run `npm ci && npm run build` there");
  server = await serve({ RECOFUSE_WWW: DIST });
  chrome = await launch();
});
after(async () => {
  await chrome?.close();
  server?.close();
});

test("the Vite-built page imports the package and reranks after a click", async () => {
  const context = await chrome.browser.newContext();
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(server.url + "/");
  await page.waitForSelector("body[data-done]", { timeout: 60_000 });
  assert.equal(await page.getAttribute("body", "data-done"), "1", await page.textContent("#status"));
  const before = (await page.getAttribute("body", "data-before")).split(",");
  const afterIds = (await page.getAttribute("body", "data-after")).split(",");
  assert.equal(before.length, 20);
  assert.deepEqual([...afterIds].sort(), [...before].sort(), "the same candidates come back");
  assert.notDeepEqual(afterIds, before, "one click reorders the candidates");
  assert.equal(await page.locator("#list li").count(), 20);
  await shot(page, "07-vite-example");
  assert.deepEqual(errors, []);
  await context.close();
});
