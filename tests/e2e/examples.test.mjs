// The example apps built against the wasm-pack packages: examples/vite (Vite, --target web package in
// pkg/) and examples/webpack (webpack 5 with asyncWebAssembly, --target bundler package in pkg-bundler/).
// Each built page, served from its dist/ under the storefront's strict CSP, imports recofuse as an npm
// package, reranks after a click, and catches a RecofuseError from a bad call (their shared page is
// examples/shared/page.js).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { ROOT, launch, serve, shot, watchErrors } from "./harness.mjs";

let chrome;
before(async () => {
  chrome = await launch();
});
after(async () => {
  await chrome?.close();
});

for (const [name, screenshot] of [["vite", "07-vite-example"], ["webpack", "08-webpack-example"]]) {
  test(`the ${name}-built page imports the package, reranks after a click and throws RecofuseErrors`, async () => {
    const dist = join(ROOT, "examples", name, "dist");
    if (!existsSync(join(dist, "index.html"))) {
      throw new Error(`examples/${name}/dist is missing: run \`npm ci && npm run build\` there`);
    }
    const server = await serve({ RECOFUSE_WWW: dist });
    try {
      const context = await chrome.browser.newContext();
      const page = await context.newPage();
      const errors = watchErrors(page);
      await page.goto(server.url + "/");
      await page.waitForSelector("body[data-done]", { timeout: 60_000 });
      assert.equal(await page.getAttribute("body", "data-done"), "1", await page.textContent("#status"));
      const beforeIds = (await page.getAttribute("body", "data-before")).split(",");
      const afterIds = (await page.getAttribute("body", "data-after")).split(",");
      assert.equal(beforeIds.length, 20);
      assert.deepEqual([...afterIds].sort(), [...beforeIds].sort(), "the same candidates come back");
      assert.notDeepEqual(afterIds, beforeIds, "one click reorders the candidates");
      assert.equal(await page.locator("#list li").count(), 20);
      // instanceof RecofuseError, instanceof Error, name, code of recommend(5, { k: 3 }).
      assert.equal(await page.getAttribute("body", "data-error"), "true true RecofuseError BAD_ARGUMENT");
      await shot(page, screenshot);
      assert.deepEqual(errors, []);
      await context.close();
    } finally {
      server.close();
    }
  });
}
