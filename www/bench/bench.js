// Rerank of 1,000 candidates in the browser, with a bundle without and with the deep model (neural), against
// a baseline measured in the same run: sorting the 1,000 candidates by server score in JavaScript.
// Bundles: /models/plain.bundle and /models/neural.bundle (same generated catalog; see
// scripts/browser-bench.mjs). The five measurements are interleaved round by round (so a busy machine
// slows them alike); each sample times a batch of REPEAT calls (performance.now() is coarse in a page that
// is not cross-origin isolated) and divides; each result is the median over ROUNDS samples.
import init, { Reranker } from "/pkg/recofuse.js";

const params = new URLSearchParams(location.search);
const ROUNDS = Number.parseInt(params.get("rounds") ?? "30", 10);
const REPEAT = Number.parseInt(params.get("repeat") ?? "20", 10);
const ITEMS = 20_000;
const N = 1_000;
const HISTORY = 50;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function run() {
  await init();
  let x = 42;
  const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const ids = Array.from({ length: N }, (_, i) => `item-${(i * 7919) % ITEMS}`);
  const scores = Float32Array.from(ids, () => rnd());
  const opts = { serverScores: scores };
  let sink = 0;
  let ts = 1e6;
  const rerankers = {};
  for (const name of ["plain", "neural"]) {
    const bytes = new Uint8Array(await (await fetch(`/models/${name}.bundle`)).arrayBuffer());
    rerankers[name] = await Reranker.fromBytes(bytes, { namespace: `bench-${name}`, storage: "memory" });
  }
  // Each case: [setup run once per sample, untimed; the call timed REPEAT times].
  const cases = {
    baseline: [null, () => {
      const order = ids.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
      sink += order[0];
    }],
  };
  for (const [name, r] of Object.entries(rerankers)) {
    // The profile is cached: the neural column is 1,000 dot products with the cached user vector.
    cases[`${name}Cached`] = [() => r.rerank(ids, opts), () => { sink += r.rerank(ids, opts).length; }];
    // A new event first: the profile (and the model's forward pass over the last 50 items) is rebuilt.
    cases[`${name}Rebuilt`] = [null, (i) => {
      r.record({ item: `item-${(i * 13) % ITEMS}`, kind: "view", ts: ts++ });
      sink += r.rerank(ids, opts).length;
    }];
  }
  // History: HISTORY clicks, then views up to the bound, so that every profile reads the same events.
  for (const r of Object.values(rerankers)) {
    for (let i = 0; i < HISTORY; i++) r.record({ item: `item-${(i * 31) % ITEMS}`, kind: "click", ts: ts++ });
    for (let i = 0; i < 1000; i++) r.record({ item: `item-${(i * 17) % ITEMS}`, kind: "view", ts: ts++ });
  }
  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [k, [setup, f]] of Object.entries(cases)) {
      setup?.();
      const t = performance.now();
      for (let i = 0; i < REPEAT; i++) f(i);
      samples[k].push((performance.now() - t) / REPEAT);
    }
  }
  const out = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  out.history = rerankers.neural.history().length;
  out.userAgent = navigator.userAgent;
  out.sink = sink;
  Object.values(rerankers).forEach((r) => r.free());
  document.body.dataset.result = JSON.stringify(out);
}

run().catch((e) => { document.body.dataset.error = String(e?.message ?? e); });
