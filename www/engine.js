// The storefront's engine side: loads the wasm package, the model bundle and the display catalog, plays
// the store's server (text search over titles, category pages) and asks recofuse to rerank every shelf
// from the shopper's local history. It runs inside a module Web Worker (worker.js) so that typing and
// scrolling never wait for it; `?worker=0` runs it on the page instead (for comparison).
// Nothing here sends anything anywhere: the only requests are the package, the bundle and the catalog.
import init, { Reranker } from "../pkg/recofuse.js";

/** Shelf sizes. */
const SHELF = 12;
const RECOMMENDED = 24;
const SEARCH_CANDIDATES = 60;
const CATEGORY_SHELVES = 6;
const CATEGORY_CHIPS = 24;
/** MMR lambda of the cold-start "recommended" shelf: popular, but not ten sequels of one film. */
const COLD_START_DIVERSITY = 0.6;

/** Lowercase words of a text, accents folded. */
export function words(text) {
  return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * The "server" of a search: a plain text match of the query's words against titles (and categories and
 * brand). A word matching a whole title word scores 1, a prefix 0.6, a category or brand 0.3; the server
 * score is the mean over the query's words plus 0.1 when the whole query is a substring of the title.
 * Returns up to `limit` candidates, best first (ties in catalog order).
 */
export function searchCatalog(index, query, limit = SEARCH_CANDIDATES) {
  const q = words(query);
  if (q.length === 0) return { ids: [], scores: [] };
  const phrase = q.join(" ");
  const hits = [];
  for (let i = 0; i < index.length; i++) {
    const it = index[i];
    let sum = 0;
    for (const w of q) {
      let best = 0;
      for (const t of it.words) {
        if (t === w) { best = 1; break; }
        if (best < 0.6 && t.startsWith(w)) best = 0.6;
      }
      if (best === 0 && it.extra.some((t) => t.startsWith(w))) best = 0.3;
      sum += best;
    }
    if (sum === 0) continue;
    const score = sum / q.length + (it.text.includes(phrase) ? 0.1 : 0);
    hits.push({ i, score });
  }
  hits.sort((a, b) => b.score - a.score || a.i - b.i);
  const top = hits.slice(0, limit);
  return { ids: top.map((h) => index[h.i].id), scores: top.map((h) => h.score) };
}

/** The categories worth a shelf: the most frequent ones, skipping catch-alls (on 60 % or more of items). */
export function pickCategories(items, n = CATEGORY_SHELVES) {
  const counts = new Map();
  for (const it of items) for (const c of it.categories ?? []) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts].filter(([c, k]) => k >= 4 && k < 0.6 * items.length && c !== "unknown")
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n).map(([c]) => c);
}

/**
 * The demo's A/B test (issue 18): half the devices get the shelves as fused, half a more varied order.
 * The arm is drawn on this device; what it did in the arm is counted here; the report a store would
 * collect is shown in the privacy panel and never sent.
 */
const EXPERIMENT = {
  name: "shelf-diversity",
  arms: [{ name: "relevance", weight: 1 }, { name: "varied", weight: 1, options: { diversity: 0.8 } }],
};

export class Store {
  /** Loads the package, the bundle (as bytes, kept to reopen the history) and the catalog. */
  static async open({ bundleUrl, catalogUrl, namespace }) {
    const [wasm, bundle, catalog] = await Promise.all([
      init(),
      fetch(bundleUrl).then((r) => {
        if (!r.ok) throw new Error(`the bundle ${bundleUrl} could not be loaded (HTTP ${r.status})`);
        return r.arrayBuffer();
      }),
      catalogUrl
        ? fetch(catalogUrl).then((r) => (r.ok ? r.json() : null)).catch(() => null)
        : Promise.resolve(null),
    ]);
    const bytes = new Uint8Array(bundle);
    const reranker = await Reranker.fromBytes(bytes, { namespace });
    reranker.experiment(EXPERIMENT);
    const store = new Store(bytes, namespace, reranker, catalog);
    store.memory = wasm.memory;
    return store;
  }

  constructor(bytes, namespace, reranker, catalog) {
    this.bytes = bytes;
    this.namespace = namespace;
    this.reranker = reranker;
    const info = reranker.bundleInfo();
    this.info = info;
    // Without a catalog (or for ids it lacks) the page shows ids; the ranking still works.
    const byId = new Map();
    for (const it of catalog?.items ?? []) if (it && typeof it.id === "string") byId.set(it.id, it);
    this.byId = byId;
    const items = [...byId.values()];
    this.items = items;
    this.index = items.map((it) => ({
      id: it.id,
      text: words(it.title ?? it.id).join(" "),
      words: words(it.title ?? it.id),
      extra: words([...(it.categories ?? []), it.brand ?? ""].join(" ")),
    }));
    this.allCategories = pickCategories(items, CATEGORY_CHIPS);
    this.categories = this.allCategories.slice(0, CATEGORY_SHELVES);
    this.byCategory = new Map(this.allCategories.map((c) => [c, items.filter((it) => it.categories?.includes(c)).map((it) => it.id)]));
    this.resolveSets();
  }

  /**
   * The category lists as candidate sets of the current reranker: resolved once here, reranked after
   * every click without crossing, decoding and looking up their ids again (the same results as arrays).
   */
  resolveSets() {
    for (const set of this.sets?.values() ?? []) set.free();
    this.sets = new Map([...this.byCategory].map(([c, ids]) => [c, this.reranker.candidates(ids)]));
  }

  /** Re-reads the stored history (after another tab changed it): a new Reranker on the same bytes. */
  async reopen() {
    const next = await Reranker.fromBytes(this.bytes, { namespace: this.namespace });
    next.experiment(EXPERIMENT);
    const old = this.reranker;
    this.reranker = next;
    this.resolveSets();
    old.free();
  }

  describe(id) {
    const it = this.byId.get(id);
    return {
      id,
      title: it?.title ?? id,
      year: it?.year ?? null,
      categories: it?.categories ?? [],
      brand: it?.brand ?? null,
    };
  }

  /** RankedItem[] -> display items. */
  present(ranked, serverRank) {
    return ranked.map((r) => ({
      ...this.describe(r.item),
      score: r.score,
      contributions: r.contributions ?? null,
      serverRank: serverRank?.get(r.item) ?? null,
    }));
  }

  /** The most recent history item other than `except`. */
  lastItem(events, except) {
    for (let i = events.length - 1; i >= 0; i--) if (events[i].item !== except) return events[i].item;
    return null;
  }

  /** Items similar to `id`, reranked for this shopper with the similarity as the server's score. */
  becauseOf(id, method, k) {
    let sims;
    try {
      sims = this.reranker.similar(id, 40);
    } catch {
      return [];   // an id of another bundle version: no neighbours
    }
    if (sims.length === 0) return [];
    const ids = sims.map((s) => s.item);
    const ranked = this.reranker.rerank(ids, {
      serverScores: sims.map((s) => s.score), method, explain: true, k, excludeSeen: true,
    });
    return this.present(ranked);
  }

  /**
   * Everything the page shows, in one call: the shelves (recommended, because you viewed, categories),
   * the search results, the open product, the history and the privacy facts.
   * `state` = { method, query, product, category }.
   */
  view({ method, query, product, category }) {
    const t0 = performance.now();
    const m = method || undefined;
    const r = this.reranker;
    const events = r.history();
    const cold = events.length === 0;
    const shelves = [];
    const recommended = r.recommend(RECOMMENDED, {
      method: m, explain: true, diversity: cold ? COLD_START_DIVERSITY : undefined,
    });
    // The A/B test counts this shelf as shown (a click's position is read from it).
    r.impression(recommended.map((x) => x.item));
    shelves.push({
      key: "recommended",
      title: cold ? "Popular picks for you" : "Recommended for you",
      note: cold ? "No history yet: popular and varied titles. Click anything and this shelf follows you."
        : `From your ${events.length} interaction${events.length === 1 ? "" : "s"}, over the whole catalog.`,
      items: this.present(recommended),
    });
    const last = this.lastItem(events, null);
    if (last !== null) {
      const items = this.becauseOf(last, m, SHELF);
      if (items.length) {
        shelves.push({ key: "because", title: `Because you viewed ${this.describe(last).title}`, note: "", items });
      }
    }
    for (const c of this.categories) {
      shelves.push({
        key: `category:${c}`, title: c, note: "",
        items: this.present(r.rerank(this.sets.get(c), { method: m, explain: true, k: SHELF })),
      });
    }
    let search = null;
    if (query && query.trim()) {
      const { ids, scores } = searchCatalog(this.index, query);
      const serverRank = new Map(ids.map((id, i) => [id, i + 1]));
      search = {
        query,
        candidates: ids.length,
        items: ids.length
          ? this.present(r.rerank(ids, { serverScores: scores, method: m, explain: true, k: 24 }), serverRank)
          : [],
      };
    }
    let page = null;
    const members = category ? this.byCategory.get(category) : null;
    if (members) {
      // The store's category page: every item of the category, ordered for this shopper.
      const set = this.sets.get(category);
      page = { category, candidates: members.length, items: this.present(r.rerank(set, { method: m, explain: true, k: 24 })) };
    }
    let detail = null;
    if (product) {
      const prev = this.lastItem(events, product);
      detail = {
        item: this.describe(product),
        similar: this.becauseOf(product, m, SHELF),
        because: prev === null ? null : { title: this.describe(prev).title, items: this.becauseOf(prev, m, 8) },
      };
    }
    const ms = performance.now() - t0;
    return { shelves, search, page, detail, privacy: this.privacy(events), ms };
  }

  privacy(events = this.reranker.history()) {
    const r = this.reranker;
    return {
      events: events.slice(-100).reverse().map((e) => ({ ...e, title: this.describe(e.item).title })),
      count: events.length,
      storage: r.storageInfo(),
      paused: r.isPaused(),
      bucket: r.abBucket(),
      experiment: this.experiment(),
      wasmBytes: this.memory?.buffer.byteLength ?? null,
      bundle: {
        items: this.info.items, bytes: this.info.bytes, scorers: this.info.scorers,
        method: this.info.fusion.method, info: this.info.info,
      },
    };
  }

  /** The A/B test as this device sees it: its arm, its counters and a fresh report (never sent). */
  experiment() {
    const r = this.reranker;
    const counters = r.experiments().find((c) => c.experiment === EXPERIMENT.name && c.current);
    return { name: EXPERIMENT.name, arm: counters?.arm ?? null, counters, report: r.experimentReport(EXPERIMENT.name) };
  }

  /** Records an interaction; true if recorded (false while paused). Storage is written in the background. */
  record(item, kind) {
    return this.reranker.record({ item, kind });
  }

  flush() { return this.reranker.flush(); }
  clear() { return this.reranker.clearHistory(); }
  pause(on) { if (on) this.reranker.pause(); else this.reranker.resume(); return this.reranker.flush(); }
  exportHistory() { return this.reranker.exportHistory(); }
}
