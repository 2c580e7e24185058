// The demo storefront: loads the demo bundle through the recofuse package, shows a "server" page of
// products and the same products reranked in the browser, with per-signal contributions.
// Plain ES modules, no build step; served by scripts/serve.mjs under a strict CSP (no inline code).
import init, { Reranker } from "../pkg/recofuse.js";

const SIGNALS = ["itemcf", "seq", "usercf", "embedding", "content", "popularity", "server", "neural"];
// Display labels of the generated demo catalog (recofuse_core::demo): item i is in category i % 8.
const CATEGORIES = ["Shoes", "Bags", "Jackets", "Watches", "Hats", "Scarves", "Shirts", "Belts"];
const PAGE = 24;

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, children = []) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};

let reranker;
let itemCount = 0;
let page = [];      // candidate ids in server order
let serverScores;   // Float32Array, one per candidate

function describe(id) {
  const m = /^item-(\d+)$/.exec(id);
  return m ? CATEGORIES[Number(m[1]) % CATEGORIES.length] : "unknown item";
}

function newPage() {
  const ids = new Set();
  while (ids.size < Math.min(PAGE, itemCount)) ids.add(`item-${Math.floor(Math.random() * itemCount)}`);
  page = [...ids];
  // The server's own relevance: decreasing along its order, with noise.
  serverScores = Float32Array.from(page, (_, i) => 1 - i / page.length + Math.random() * 0.1);
}

function setStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

function record(item, kind) {
  let message;
  try {
    message = reranker.record({ item, kind }) ? `Recorded ${kind} on ${item}.` : "Recording is paused: nothing recorded.";
  } catch (e) {
    setStatus(`${e.code}: ${e.message}`, true);
    return;
  }
  render();
  setStatus(`${message} ${$("status").textContent}`);
}

function renderServer() {
  const list = $("server-list");
  list.replaceChildren(...page.map((id, i) => {
    const actions = el("span", { className: "actions" }, ["view", "click", "cart", "purchase"].map((kind) =>
      el("button", { type: "button", textContent: kind === "purchase" ? "buy" : kind, title: `record ${kind}`,
        onclick: () => record(id, kind) })));
    return el("li", {}, [
      el("span", { className: "rank", textContent: String(i + 1) }),
      el("span", {}, [el("span", { className: "name", textContent: id }), " ",
        el("span", { className: "meta", textContent: describe(id) })]),
      actions,
    ]);
  }));
}

function renderRanked() {
  const method = $("method").value || undefined;
  const options = {
    serverScores, explain: true, method,
    inStockOnly: $("in-stock").checked,
    diversity: $("diversity").checked ? 0.7 : undefined,
  };
  let result;
  const t0 = performance.now();
  try {
    result = reranker.rerankDetailed(page, options);
  } catch (e) {
    setStatus(`${e.code}: ${e.message}`, true);
    return;
  }
  const ms = performance.now() - t0;
  const list = $("ranked-list");
  list.replaceChildren(...result.ranked.map((r, i) => {
    const c = r.contributions ?? {};
    const total = SIGNALS.reduce((s, k) => s + Math.max(0, c[k] ?? 0), 0) || 1;
    const bars = el("span", { className: "bars" }, SIGNALS.filter((k) => (c[k] ?? 0) > 0).map((k) => {
      const b = el("span", { className: `sig-${k}`, title: `${k}: ${c[k].toFixed(4)}` });
      b.style.width = `${(100 * c[k]) / total}%`;
      return b;
    }));
    return el("li", {}, [
      el("span", { className: "rank", textContent: String(i + 1) }),
      el("span", {}, [el("span", { className: "name", textContent: r.item }), " ",
        el("span", { className: "meta", textContent: describe(r.item) }),
        r.pinned ? el("span", { className: "pinned", textContent: " pinned" }) : ""]),
      el("span", { className: "score", textContent: r.score === null ? "–" : r.score.toFixed(3) }),
      bars,
    ]);
  }));
  const removed = result.filtered.length ? ` ${result.filtered.length} out of stock removed.` : "";
  setStatus(`Reranked ${page.length} products in ${ms.toFixed(2)} ms.${removed}`);
}

function renderHistory() {
  const events = reranker.history();
  $("history").replaceChildren(...events.slice(-30).reverse().map((e) =>
    el("li", { textContent: `${e.kind} ${e.item} · ${new Date(e.ts).toLocaleTimeString()}` })));
  $("pause").textContent = reranker.isPaused() ? "Resume" : "Pause";
  $("storage").textContent = JSON.stringify(reranker.storageInfo(), null, 1);
}

function render() {
  renderServer();
  renderRanked();
  renderHistory();
}

async function main() {
  await init();
  reranker = await Reranker.fromUrl("/models/demo.bundle", { namespace: "demo" });
  const info = reranker.bundleInfo();
  itemCount = info.items;
  $("bundle").textContent = JSON.stringify(
    { items: info.items, scorers: info.scorers, bytes: info.bytes, integrity: info.integrity, fusion: info.fusion.method },
    null, 1);
  $("legend").replaceChildren(...SIGNALS.map((k) => el("span", {}, [el("i", { className: `sig-${k}` }), k])));
  newPage();
  $("shuffle").onclick = () => { newPage(); render(); };
  for (const id of ["method", "in-stock", "diversity"]) $(id).onchange = renderRanked;
  $("pause").onclick = () => { reranker.isPaused() ? reranker.resume() : reranker.pause(); renderHistory(); };
  $("clear").onclick = async () => { await reranker.clearHistory(); render(); };
  $("export").onclick = () => {
    const url = URL.createObjectURL(new Blob([reranker.exportHistory()], { type: "application/json" }));
    el("a", { href: url, download: "recofuse-history.json" }).click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  render();
  setStatus(`Loaded ${info.items} products (bundle ${info.bytes.toLocaleString()} bytes, ` +
    `history in ${reranker.storageInfo().backend}).`);
}

main().catch((e) => setStatus(`Could not start: ${e.code ?? ""} ${e.message ?? e}`, true));
