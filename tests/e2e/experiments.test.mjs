// Issue 18: the arm draw of src/glue.js (rfArm), over many device seeds, in Node.js without a browser:
// weights are respected, a new experiment name draws independently, the draw is a function of the seed,
// namespace and name only.
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";

import { ROOT } from "./harness.mjs";

const { rfArm } = await import(pathToFileURL(join(ROOT, "src", "glue.js")).href);
const SEEDS = 20000;
// Seeds as the package draws them: uniform 32-bit numbers (here from a fixed linear congruential sequence).
const seeds = Array.from({ length: SEEDS }, (_, i) => (Math.imul(i + 1, 2654435761) ^ (i * 40503)) >>> 0);

test("arms follow their weights within 4 standard deviations", () => {
  const weights = [1, 2, 0, 5];
  const counts = [0, 0, 0, 0];
  for (const s of seeds) counts[rfArm(s, "shop", "fusion-vs-store", weights)]++;
  assert.equal(counts[2], 0, "a zero-weight arm gets nobody");
  weights.forEach((w, i) => {
    const p = w / 8, sd = Math.sqrt(SEEDS * p * (1 - p));
    assert.ok(Math.abs(counts[i] - SEEDS * p) <= 4 * sd + 1e-9, `arm ${i}: ${counts[i]} of ${SEEDS}, expected ${SEEDS * p}`);
  });
});

test("another experiment name or namespace draws independently; the same ones draw the same", () => {
  const table = [[0, 0], [0, 0]];
  let sameNs = 0;
  for (const s of seeds) {
    const a = rfArm(s, "shop", "exp-1", [1, 1]), b = rfArm(s, "shop", "exp-2", [1, 1]);
    table[a][b]++;
    assert.equal(rfArm(s, "shop", "exp-1", [1, 1]), a, "stable");
    sameNs += rfArm(s, "other-shop", "exp-1", [1, 1]) === a ? 1 : 0;
  }
  // Chi-square test of independence with 1 degree of freedom: 10.83 is its 99.9 % quantile.
  const n = SEEDS, r0 = table[0][0] + table[0][1], c0 = table[0][0] + table[1][0];
  let chi = 0;
  for (const [i, ri] of [[0, r0], [1, n - r0]]) {
    for (const [j, cj] of [[0, c0], [1, n - c0]]) {
      const e = (ri * cj) / n;
      chi += (table[i][j] - e) ** 2 / e;
    }
  }
  assert.ok(chi < 10.83, `chi-square ${chi.toFixed(2)} for ${JSON.stringify(table)}`);
  // Agreement across namespaces is chance (1/2), not identity.
  assert.ok(Math.abs(sameNs / n - 0.5) < 4 * Math.sqrt(0.25 / n), `same arm in another namespace: ${sameNs}`);
});
