// Issue 14's fair comparison, interleaved in one page: for the same candidates and the same 50-click
// history, (1) a JavaScript sort by server score, (2) the plain-JavaScript reranker a storefront developer
// would write instead of recofuse (item-to-item neighbour sums over the history + popularity + server
// score, each min-max normalised, summed, sorted), reading the same bundle's data (its neighbour lists
// and popularity, fetched once through the engine before timing), and recofuse with all the bundle's
// signals: (3) `rerank(ids)` from a fresh array, (4) `rerank(set)` from a candidate set, (5)
// `rerankTyped(set)`, (6) `rerankTyped(ids)`. Two sizes: 1,000 known candidates, and 10,000 of which
// 8,318 are unknown ids. Each sample times a batch of REPEAT calls; results are medians over ROUNDS.
// `?variants=a,b` also times other builds of the package (target/variants/<name>/, served under
// /variants/) on the same cases, interleaved with the rest: `<size>.<name>.<case>`. `?only=<case>` runs one
// case after the setup, started by `window.rfGo()` (for a CPU profile of that case alone).
import init, { Reranker } from "/pkg/recofuse.js";

const params = new URLSearchParams(location.search);
const ROUNDS = Number.parseInt(params.get("rounds") ?? "30", 10);
const REPEAT = Number.parseInt(params.get("repeat") ?? "20", 10);
const VARIANTS = (params.get("variants") ?? "").split(",").filter((v) => /^[\w.-]+$/.test(v));
const ONLY = params.get("only");
const ITEMS = 20_000;
const HISTORY = 50;
const NEIGHBOURS = 20;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// The plain-JavaScript reranker: what a developer writes with a neighbour table and a popularity table.
function plainRerank(ids, serverScores, history, neighbours, popularity) {
  const affinity = new Map();
  for (const h of history) {
    const nb = neighbours.get(h);
    if (!nb) continue;
    for (const [item, w] of nb) affinity.set(item, (affinity.get(item) ?? 0) + w);
  }
  const n = ids.length;
  const cols = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  for (let i = 0; i < n; i++) {
    cols[0][i] = affinity.get(ids[i]) ?? 0;
    cols[1][i] = popularity.get(ids[i]) ?? 0;
    cols[2][i] = serverScores[i];
  }
  const total = new Float64Array(n);
  for (const c of cols) {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < n; i++) { if (c[i] < lo) lo = c[i]; if (c[i] > hi) hi = c[i]; }
    const span = hi - lo;
    if (span > 0) for (let i = 0; i < n; i++) total[i] += (c[i] - lo) / span;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => total[b] - total[a] || a - b);
  return order.map((i) => ids[i]);
}

async function run() {
  await init();
  let x = 42;
  const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const bytes = new Uint8Array(await (await fetch("/models/plain.bundle")).arrayBuffer());
  const r = await Reranker.fromBytes(bytes, { namespace: "bench-sets", storage: "memory" });
  const history = [];
  for (let i = 0; i < HISTORY; i++) history.push(`item-${(i * 31) % ITEMS}`);
  const fill = (rr) => history.forEach((item, i) => rr.record({ item, kind: "click", ts: 1e6 + i }));
  fill(r);
  // Other builds of the package, each with its own module instance and the same history.
  const variants = [];
  for (const name of VARIANTS) {
    const mod = await import(`/variants/${name}/recofuse.js`);
    await mod.default();
    const rv = await mod.Reranker.fromBytes(bytes, { namespace: `bench-sets-${name}`, storage: "memory" });
    fill(rv);
    variants.push([name, rv]);
  }
  // The plain JavaScript's tables, from the same bundle (untimed): neighbours of every catalog item and
  // popularity (the ranking of an empty history by the popularity signal alone).
  const neighbours = new Map();
  for (let i = 0; i < ITEMS; i++) {
    const id = `item-${i}`;
    neighbours.set(id, r.similar(id, NEIGHBOURS).map((s) => [s.item, s.score]));
  }
  const cold = await Reranker.fromBytes(bytes, { namespace: "bench-sets-cold", storage: "memory" });
  const only = { itemcf: 0, seq: 0, usercf: 0, embedding: 0, content: 0, popularity: 1, server: 0, neural: 0 };
  const popularity = new Map(cold.recommend(ITEMS, { weights: only }).map((s) => [s.item, s.score ?? 0]));
  cold.free();

  const sizes = {
    n1000: Array.from({ length: 1_000 }, (_, i) => `item-${(i * 7919) % ITEMS}`),
    n10000: Array.from({ length: 10_000 }, (_, i) => (i % 6 === 0 && i / 6 < 1_682
      ? `item-${((i / 6) * 7919) % ITEMS}` : `sku-unknown-${i}`)),
  };
  let sink = 0;
  const cases = {};
  const known = {};
  for (const [size, ids] of Object.entries(sizes)) {
    known[size] = ids.filter((id) => popularity.has(id)).length;
    const scores = Float32Array.from(ids, () => rnd());
    const opts = { serverScores: scores };
    const set = r.candidates(ids);
    cases[`${size}.jsSort`] = () => {
      const order = ids.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
      sink += order[0];
    };
    cases[`${size}.plainJs`] = () => { sink += plainRerank(ids, scores, history, neighbours, popularity).length; };
    cases[`${size}.arrays`] = () => { sink += r.rerank(ids, opts).length; };
    cases[`${size}.set`] = () => { sink += r.rerank(set, opts).length; };
    cases[`${size}.setTyped`] = () => { sink += r.rerankTyped(set, opts).order.length; };
    cases[`${size}.arrayTyped`] = () => { sink += r.rerankTyped(ids, opts).order.length; };
    for (const [name, rv] of variants) {
      const vset = rv.candidates(ids);
      cases[`${size}.${name}.arrays`] = () => { sink += rv.rerank(ids, opts).length; };
      cases[`${size}.${name}.set`] = () => { sink += rv.rerank(vset, opts).length; };
      cases[`${size}.${name}.setTyped`] = () => { sink += rv.rerankTyped(vset, opts).order.length; };
      cases[`${size}.${name}.arrayTyped`] = () => { sink += rv.rerankTyped(ids, opts).order.length; };
    }
  }
  for (const f of Object.values(cases)) f(); // warm up (and build the profile once)
  if (ONLY) {
    const f = cases[ONLY];
    if (!f) throw new Error(`no case ${ONLY}`);
    await new Promise((go) => { window.rfGo = go; document.body.dataset.setup = "1"; });
    const t = performance.now();
    for (let i = 0; i < ROUNDS * REPEAT; i++) f();
    document.body.dataset.result = JSON.stringify({ only: ONLY, ms: (performance.now() - t) / (ROUNDS * REPEAT), sink });
    return;
  }
  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [k, f] of Object.entries(cases)) {
      const t = performance.now();
      for (let i = 0; i < REPEAT; i++) f();
      samples[k].push((performance.now() - t) / REPEAT);
    }
  }
  const out = { medians: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)])) };
  out.known = known;
  out.history = r.history().length;
  out.userAgent = navigator.userAgent;
  out.sink = sink;
  out.variants = VARIANTS;
  r.free();
  for (const [, rv] of variants) rv.free();
  document.body.dataset.result = JSON.stringify(out);
}

run().catch((e) => { document.body.dataset.error = String(e?.stack ?? e?.message ?? e); });
