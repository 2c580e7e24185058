// The storefront page: renders what the engine (worker.js, or dispatch.js on the page) computes, and turns
// clicks, carts and purchases into local history events. Plain ES module, strict CSP, no inline code.
//
// URL parameters: ?bundle=/models/x.bundle&catalog=/models/x.json (another store), ?ns=name (history
// namespace), ?worker=0 (engine on the main thread). #item=ID opens a product (recorded as a view).
import { connect } from "./client.js";

const SIGNALS = ["itemcf", "seq", "usercf", "embedding", "content", "popularity", "server", "neural"];
const WHY = {
  itemcf: "similar to titles you interacted with",
  seq: "often chosen next after your latest ones",
  usercf: "liked by shoppers with tastes like yours",
  embedding: "close to your taste in the learned space",
  content: "genres or brands you seem to like",
  popularity: "popular and trending in the store",
  server: "the store's own relevance (search match)",
  neural: "what a sequence model expects next from your recent ones",
};

const params = new URLSearchParams(location.search);
const BUNDLE = params.get("bundle") ?? "/models/movielens.bundle";
const CATALOG = params.get("catalog") ?? (params.has("bundle") ? null : "/models/movielens.json");
const NAMESPACE = params.get("ns") ?? (params.has("bundle") ? `store:${BUNDLE}`.slice(0, 128) : "movielens");
const USE_WORKER = params.get("worker") !== "0";

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, children = []) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children.filter((c) => c !== null && c !== undefined));
  return e;
};

let engine;
const state = { method: "", query: "", product: null, category: null };
let seq = 0;          // request counter: only the newest answer is rendered
let shown = 0;
let renders = 0;
const lastRanks = new Map();   // shelf key -> Map(id -> rank) of the previous render
let lastPrivacy = null;

function setStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

function fail(e) {
  setStatus(`${e.code ? e.code + ": " : ""}${e.message ?? e}`, true);
}

// ---------- rendering ----------

/** A "why here?" disclosure; its rows are built when it is opened (from the card's latest item). */
function why(li) {
  const details = el("details", { className: "why" }, [el("summary", { textContent: "why here?" })]);
  details.addEventListener("toggle", () => {
    if (!details.open) return;
    details.replaceChildren(details.firstChild, ...whyRows(cardItem.get(li)));
  });
  return details;
}

const cardItem = new WeakMap();   // li -> the item it shows (kept current when a shelf keeps its order)

function whyRows(item) {
  const c = item.contributions;
  if (!c) return [el("p", { className: "muted", textContent: "no explanation for this item" })];
  const parts = SIGNALS.filter((k) => c[k] !== null && c[k] !== undefined);
  const total = parts.reduce((s, k) => s + Math.abs(c[k]), 0) || 1;
  const rows = parts.sort((a, b) => Math.abs(c[b]) - Math.abs(c[a])).map((k) => {
    const bar = el("span", { className: `bar sig-${k}` });
    bar.style.width = `${Math.max(2, (100 * Math.abs(c[k])) / total)}%`;
    return el("li", { className: "why-row" }, [
      el("span", { className: "why-name", textContent: k }),
      el("span", { className: "why-bar" }, [bar]),
      el("span", { className: "why-value", textContent: c[k].toFixed(3) }),
      el("span", { className: "why-text", textContent: WHY[k] }),
    ]);
  });
  const score = item.score === null ? "no signal" : `score ${item.score.toFixed(3)}`;
  return [
    el("p", { className: "muted", textContent: `${score}, per-signal contributions:` }),
    el("ol", {}, rows.length ? rows : [el("li", { textContent: "no signal scored this item" })]),
  ];
}

function card(item, rank, shelfKey) {
  const prev = lastRanks.get(shelfKey)?.get(item.id);
  let move = "";
  if (prev === undefined && lastRanks.has(shelfKey)) move = "new";
  else if (prev !== undefined && prev !== rank) move = prev > rank ? `↑${prev - rank}` : `↓${rank - prev}`;
  const hue = [...(item.categories[item.categories.length - 1] ?? item.id)].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 360, 7);
  const poster = el("span", { className: "poster", textContent: initials(item.title) });
  poster.style.setProperty("--hue", String(hue));
  const open = el("button", { type: "button", className: "open", title: `Open ${item.title}` }, [
    poster,
    el("span", { className: "title", textContent: item.title }),
  ]);
  open.addEventListener("click", () => openProduct(item.id));
  const meta = [item.year, item.brand, item.categories.slice(0, 3).join(" · ")].filter(Boolean).join(" · ");
  const li = el("li", { className: "card" }, [
    el("span", { className: "rank", textContent: `#${rank}` }, [
      move ? el("span", { className: `move ${move.startsWith("↑") || move === "new" ? "up" : "down"}`, textContent: ` ${move}` }) : null,
    ]),
    open,
    el("span", { className: "meta", textContent: meta }),
    item.serverRank ? el("span", { className: "meta", textContent: `server #${item.serverRank}` }) : null,
  ]);
  li.append(why(li));
  cardItem.set(li, item);
  return li;
}

function decorate(li, item, rank) {
  li.dataset.id = item.id;
  li.dataset.rank = String(rank);
  li.dataset.categories = JSON.stringify(item.categories);
  return li;
}

function shelf(section, key, title, note, items) {
  const prev = lastRanks.get(key);
  const cards = section.dataset.shelf === key ? section.querySelectorAll("ol.cards > li.card") : [];
  if (prev && cards.length === items.length && items.every((it, i) => prev.get(it.id) === i + 1)
    && section.querySelector("h2")?.textContent === title) {
    // Same order as before: keep the DOM (and any open "why"), refresh what the cards explain.
    items.forEach((it, i) => cardItem.set(cards[i], it));
    for (const m of section.querySelectorAll(".move")) m.remove();
    return;
  }
  section.dataset.shelf = key;
  // The heading, note and list elements are kept (and so is the list's scroll position): no layout read.
  let [h2, p, ol] = [section.querySelector(":scope > h2"), section.querySelector(":scope > p.note"), section.querySelector(":scope > ol.cards")];
  if (!h2 || !p || !ol) {
    h2 = el("h2");
    p = el("p", { className: "muted note" });
    ol = el("ol", { className: "cards" });
    section.replaceChildren(h2, p, ol);
  }
  h2.textContent = title;
  p.textContent = note ?? "";
  p.hidden = !note;
  ol.replaceChildren(...items.map((it, i) => decorate(card(it, i + 1, key), it, i + 1)));
  lastRanks.set(key, new Map(items.map((it, i) => [it.id, i + 1])));
}

function initials(title) {
  return (title.match(/[\p{L}\p{N}]+/gu) ?? ["?"]).slice(0, 2).map((w) => w[0].toUpperCase()).join("");
}

function render(view) {
  performance.mark("rf:render");
  const shelves = $("shelves");
  const existing = new Map([...shelves.children].map((s) => [s.dataset.shelf, s]));
  const sections = view.shelves.map((s) => {
    const section = existing.get(s.key) ?? el("section", { className: "shelf" });
    shelf(section, s.key, s.title, s.note, s.items);
    return section;
  });
  shelves.replaceChildren(...sections);

  const results = $("results");
  if (view.search) {
    results.hidden = false;
    const note = view.search.candidates
      ? `${view.search.candidates} matches from the "server" (text match), reranked for you; server order shown per title.`
      : "No title matches.";
    shelf(results, "search", `Results for “${view.search.query}”`, note, view.search.items);
  } else if (view.page) {
    results.hidden = false;
    shelf(results, "category-page", view.page.category,
      `The store's ${view.page.candidates} ${view.page.category} titles, best first for you.`, view.page.items);
  } else {
    results.hidden = true;
    results.replaceChildren();
  }
  for (const chip of $("chips").children) chip.setAttribute("aria-pressed", String(chip.dataset.category === state.category));

  const product = $("product");
  if (view.detail) {
    const d = view.detail;
    product.hidden = false;
    const buttons = el("div", { className: "buttons" }, [
      el("button", { type: "button", id: "cart", textContent: "Add to cart", onclick: () => interact(d.item.id, "cart") }),
      el("button", { type: "button", id: "buy", textContent: "Buy now", onclick: () => interact(d.item.id, "purchase") }),
      el("button", { type: "button", id: "close", textContent: "Close", onclick: () => closeProduct() }),
    ]);
    const similar = el("section", { className: "shelf" });
    shelf(similar, "similar", "Similar items", "Neighbours of this title, reranked for you.", d.similar);
    const parts = [
      el("h2", { textContent: d.item.title }),
      el("p", { className: "meta", textContent: [d.item.year, d.item.brand, d.item.categories.join(" · ")].filter(Boolean).join(" · ") }),
      buttons, similar,
    ];
    if (d.because && d.because.items.length) {
      const because = el("section", { className: "shelf" });
      shelf(because, "product-because", `Because you viewed ${d.because.title}`, "", d.because.items);
      parts.push(because);
    }
    product.dataset.id = d.item.id;
    product.replaceChildren(...parts);
  } else {
    product.hidden = true;
    delete product.dataset.id;
    product.replaceChildren();
  }
  renderPrivacy(view.privacy);
  renders++;
  document.body.dataset.renders = String(renders);
  document.body.dataset.events = String(view.privacy.count);
  document.body.dataset.wasmBytes = String(view.privacy.wasmBytes);
  performance.measure("rf:render", "rf:render");
  // The engine's own time for this view (in the worker, or on the page with ?worker=0).
  performance.measure("rf:engine", { start: Math.max(0, performance.now() - view.ms), duration: view.ms });
}

function renderPrivacy(p) {
  lastPrivacy = p;
  const s = p.storage;
  const recovered = s.recovered.dropped || s.recovered.movedAside
    ? `${s.recovered.dropped} corrupt record(s) dropped${s.recovered.movedAside ? `, unreadable copy moved to ${s.recovered.movedAside}` : ""}`
    : "nothing to repair";
  const facts = [
    ["Stored in", `${s.backend} (this browser only), namespace “${NAMESPACE}”`],
    ["Events", `${p.count} of at most ${s.capacity}`],
    ["Recording", p.paused ? "paused" : "on"],
    ["A/B bucket", `${p.bucket} (drawn on this device, stored with the history)`],
    ["On load", recovered],
    ["Storage problem", s.lastError ? `${s.lastError}: ${s.lastErrorMessage}` : "none"],
    ["Model", `${p.bundle.items} items, ${(p.bundle.bytes / 1024).toFixed(0)} KB, signals ${p.bundle.scorers.join(", ")}, default fusion ${p.bundle.method}`],
  ];
  $("facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", { textContent: k }), el("dd", { textContent: v })]));
  $("facts").dataset.bucket = String(p.bucket);
  $("facts").dataset.dropped = String(s.recovered.dropped);
  $("event-count").textContent = `(${p.count})`;
  $("history").replaceChildren(...p.events.map((e) =>
    el("li", { textContent: `${e.kind} · ${e.title} · ${new Date(e.ts).toLocaleString()}` })));
  $("pause").textContent = p.paused ? "Resume recording" : "Pause recording";
  document.body.dataset.paused = String(p.paused);
  renderExperiment(p.experiment);
}

let reports = 0;
/** The A/B panel: experiment, arm, counters on this device and the exact report a store would collect. */
function renderExperiment(x) {
  const c = x.counters;
  const positions = c && Object.keys(c.clickPositions).length
    ? Object.entries(c.clickPositions).map(([p, n]) => `#${p}: ${n}`).join(", ") : "none";
  const facts = [
    ["Experiment", x.name],
    ["Arm", x.arm ?? "none"],
    ["Counted here", c ? `${c.impressions} shown, ${c.clicks} clicks, ${c.carts} carts, ${c.purchases} purchases` : "nothing yet"],
    ["Clicks by position", positions],
  ];
  $("ab-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", { textContent: k }), el("dd", { textContent: v })]));
  $("ab-facts").dataset.arm = x.arm ?? "";
  $("ab-facts").dataset.clicks = String(c?.clicks ?? 0);
  $("ab-report").textContent = JSON.stringify(x.report, null, 2);
  $("ab-report").dataset.generation = String(++reports);
}

// ---------- actions ----------

async function refresh() {
  const my = ++seq;
  try {
    const view = await engine.call("view", { ...state });
    if (my < shown) return;
    shown = my;
    render(view);
  } catch (e) {
    fail(e);
  }
}

/** Records an interaction and renders the reranked shelves from the same engine call. */
async function interact(item, kind) {
  performance.mark("rf:interaction");
  const my = ++seq;
  try {
    const { recorded, view } = await engine.call("record", { item, kind, state: { ...state } });
    if (my >= shown) {
      shown = my;
      render(view);
    }
    performance.measure("rf:interaction-to-shelf", "rf:interaction");
    // And to the next frame painted with it (a task after the frame's animation callbacks runs after paint).
    requestAnimationFrame(() => setTimeout(() => performance.measure("rf:interaction-to-paint", "rf:interaction")));
    setStatus(recorded ? `Recorded ${kind === "purchase" ? "a purchase" : `a ${kind}`} of “${titleOf(view, item)}”; shelves reranked in ${view.ms.toFixed(1)} ms on this device.`
      : "Recording is paused: nothing was recorded.");
  } catch (e) {
    fail(e);
  }
}

function titleOf(view, id) {
  if (view.detail?.item.id === id) return view.detail.item.title;
  for (const s of view.shelves) for (const it of s.items) if (it.id === id) return it.title;
  return id;
}

function openProduct(id) {
  state.product = id;
  history.pushState(null, "", `#item=${encodeURIComponent(id)}`);
  interact(id, "click");
  window.scrollTo({ top: 0 });
}

function closeProduct() {
  state.product = null;
  history.pushState(null, "", location.pathname + location.search);
  refresh();
}

function productFromHash() {
  const m = /^#item=(.+)$/.exec(location.hash);
  return m ? decodeURIComponent(m[1]) : null;
}

/** Back/forward: arriving on a product page is a view. */
function onHash() {
  const id = productFromHash();
  state.product = id;
  if (id) interact(id, "view");
  else refresh();
}

async function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  try {
    await navigator.serviceWorker.register("/sw.js", { scope: "/" });
    const reg = await navigator.serviceWorker.ready;
    const urls = [BUNDLE, CATALOG].filter(Boolean).map((u) => new URL(u, location.href).href);
    await new Promise((resolve, reject) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = (e) => (e.data.ok ? resolve() : reject(new Error(e.data.error)));
      reg.active.postMessage({ type: "cache", urls }, [ch.port2]);
    });
    $("offline").textContent = "Works offline after this visit.";
    document.body.dataset.offline = "ready";
  } catch (e) {
    $("offline").textContent = `Offline mode unavailable (${e.message ?? e}).`;
  }
}

async function main() {
  engine = await connect({ worker: USE_WORKER, onChange: () => refresh() });
  const opened = await engine.call("open", { bundleUrl: BUNDLE, catalogUrl: CATALOG, namespace: NAMESPACE });
  $("engine-mode").textContent = engine.mode === "worker" ? "Engine in a Web Worker." : "Engine on the main thread.";

  $("chips").replaceChildren(...opened.categories.map((c) => el("button", {
    type: "button", className: "chip", textContent: c,
    onclick: () => { state.category = state.category === c ? null : c; state.query = ""; $("search").value = ""; refresh(); },
  })));
  opened.categories.forEach((c, i) => { $("chips").children[i].dataset.category = c; });
  $("search").addEventListener("input", () => { state.query = $("search").value; state.category = null; refresh(); });
  $("method").addEventListener("change", () => { state.method = $("method").value; refresh(); });
  $("home").addEventListener("click", (e) => { e.preventDefault(); $("search").value = ""; state.query = ""; state.category = null; closeProduct(); });
  $("privacy-toggle").addEventListener("click", () => {
    const panel = $("privacy");
    panel.hidden = !panel.hidden;
    $("privacy-toggle").setAttribute("aria-expanded", String(!panel.hidden));
  });
  $("pause").addEventListener("click", async () => {
    try { render(await engine.call("pause", { on: !lastPrivacy?.paused, state: { ...state } })); } catch (e) { fail(e); }
  });
  $("clear").addEventListener("click", async () => {
    try {
      render(await engine.call("clear", { state: { ...state } }));
      setStatus("History cleared: the shelves are back to popular picks.");
    } catch (e) { fail(e); }
  });
  $("ab-regenerate").addEventListener("click", async () => {
    try { renderExperiment(await engine.call("experiment")); } catch (e) { fail(e); }
  });
  $("export").addEventListener("click", async () => {
    const text = await engine.call("exportHistory");
    const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
    el("a", { href: url, download: "recofuse-history.json" }).click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });
  window.addEventListener("popstate", onHash);

  state.product = productFromHash();
  if (state.product) await interact(state.product, "view");
  else await refresh();
  const missing = CATALOG ? "" : " (no catalog given: ids shown instead of titles)";
  setStatus(`${opened.bundle.toLocaleString()} titles ready${missing}. Click anything: the shelves rerank at once, in this browser.`);
  document.body.dataset.ready = "1";
  registerServiceWorker();
}

main().catch(fail);
