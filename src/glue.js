// The JavaScript side of the facade (copied into pkg/snippets/; its callers are error.rs, convert.rs,
// options.rs and output.rs, which document each function). Comments here are downloaded: keep them short.

// error.rs
let proto = null;
export function rfError(instance, message, code, status) {
  if (proto === null) {
    proto = Object.getPrototypeOf(instance);
    Object.setPrototypeOf(proto, Error.prototype);
    Object.defineProperty(proto, "name", { value: "RecofuseError", writable: true, configurable: true });
  }
  const e = new Error(message);
  Object.setPrototypeOf(e, proto);
  e.code = code;
  if (status !== undefined) e.status = status;
  return e;
}
export function rfDescribe(v) {
  if (v !== null && typeof v === "object" && typeof v.message === "string") {
    return v.name ? `${v.name}: ${v.message}` : v.message;
  }
  try { return String(v); } catch { return "unknown JavaScript error"; }
}

// convert.rs
const rfAllowed = new Map();
export function rfUnexpectedKey(obj, allowed) {
  let ok = rfAllowed.get(allowed);
  if (!ok) rfAllowed.set(allowed, (ok = new Set(allowed.split(","))));
  return Object.keys(obj).find((k) => !ok.has(k));
}
export function rfId(v) {
  return typeof v === "string" ? v : typeof v === "number" && Number.isFinite(v) ? String(v) : undefined;
}

// options.rs
export function rfScores(v) {
  if (v instanceof Float32Array) return v;
  if (!Array.isArray(v)) return -1;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x === null || x === undefined) out[i] = NaN;
    else if (typeof x === "number") out[i] = x;
    else return i;
  }
  return out;
}

// output.rs
export function rfRankedList(src, joined, pos, scores, flags, contrib, names) {
  const n = pos.length, keys = names.split(","), s = keys.length;
  const ids = src === null ? (n === 0 ? [] : joined.split("\u0000")) : null;
  const out = new Array(n);
  for (let j = 0; j < n; j++) {
    let item;
    if (src === null) item = ids[j];
    else { const x = src[pos[j]]; item = typeof x === "string" ? x : String(x); }
    const sc = scores[j];
    const o = { item, score: sc === sc ? sc : null, pinned: (flags[j] & 1) === 1 };
    if (flags[j] & 2) {
      const c = {};
      for (let k = 0; k < s; k++) { const v = contrib[j * s + k]; c[keys[k]] = v === v ? v : null; }
      o.contributions = c;
    }
    out[j] = o;
  }
  return out;
}
export function rfJoinIds(a) {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (typeof x === "string" ? x.includes("\u0000") : !(typeof x === "number" && Number.isFinite(x))) return null;
  }
  return a.join("\u0000");
}
export function rfIdsAt(src, pos) {
  return Array.from(pos, (p) => { const x = src[p]; return typeof x === "string" ? x : String(x); });
}
export function rfTyped(order, scores) {
  return { order: order.slice(), scores: scores.slice() };
}
export function rfDetailed(ranked, filtered, excludedSeen, unknown) {
  return { ranked, filtered, excludedSeen, unknown, pending: [] };
}
export function rfScored(items, scores) {
  return items.map((item, i) => ({ item, score: scores[i] }));
}
export function rfEvents(items, kinds, ts) {
  const k = kinds.split(",");
  return items.map((item, i) => ({ item, kind: k[i], ts: ts[i] }));
}
export function rfStorageInfo(backend, lastError, lastErrorMessage, dropped, reasons, movedAside, events, capacity,
    persistedCapacity, paused) {
  return { backend, lastError, lastErrorMessage, recovered: { dropped, reasons, movedAside }, events, capacity,
    persistedCapacity, paused, shards: null };
}
export function rfBundleInfo(formatVersion, items, scorers, sha256, integrity, bytes, method, normalization, names,
    weights, infoKeys, infoValues) {
  const w = {}, info = {};
  names.split(",").forEach((n, i) => { w[n] = weights[i]; });
  infoKeys.forEach((k, i) => { info[k] = infoValues[i]; });
  return { formatVersion, items, scorers, sha256, integrity, bytes, fusion: { method, normalization, weights: w }, info };
}
export function rfHistoryExport(namespace, events, exportedAt) {
  const experiments = events.experiments;
  return JSON.stringify({ format: "recofuse-history-export", version: 1, namespace, exportedAt, events, experiments }, null, 2);
}

// storage.rs: append history records atomically across tabs (read-merge-write in one IndexedDB readwrite
// transaction, or under a Web Lock for localStorage). Stored records + new ones, stable-sorted by time, newest
// `cap` kept. Unparseable stored lines are dropped, identical records kept once; a stored text with another
// header is replaced.
export function rfMerge(old, lines, times, cap, head) {
  const all = [], seen = new Set();
  const rows = typeof old === "string" ? old.split("\n") : [];
  let i = 0;
  while (i < rows.length && rows[i].trim() === "") i++;
  if (i < rows.length && rows[i].trim() === head) {
    for (i++; i < rows.length; i++) {
      const l = rows[i];
      if (l.trim() === "") continue;
      if (seen.has(l)) continue;
      try { const t = JSON.parse(l).t; if (typeof t === "number") { all.push({ t, l }); seen.add(l); } } catch { /* dropped */ }
    }
  }
  const add = lines === "" ? [] : lines.split("\n");
  add.forEach((l, j) => { if (!seen.has(l)) { seen.add(l); all.push({ t: times[j], l }); } });
  all.sort((a, b) => a.t - b.t);
  return head + "\n" + all.slice(Math.max(0, all.length - cap)).map((x) => x.l + "\n").join("");
}
export function rfAppend(target, key, lines, times, cap, head) {
  if (typeof target.transaction === "function") {
    return new Promise((resolve, reject) => {
      let out, err;
      const tx = target.transaction("kv", "readwrite"), store = tx.objectStore("kv"), r = store.get(key);
      r.onsuccess = () => {
        // A put that throws (a refusing store) aborts the transaction; it never reaches the page.
        try {
          out = rfMerge(r.result, lines, times, cap, head);
          if (lines !== "" || out !== r.result) store.put(out, key);
        } catch (e) { err = e; tx.abort(); }
      };
      tx.oncomplete = () => resolve(out);
      tx.onabort = () => reject(err || tx.error || r.error || new Error("IndexedDB transaction aborted"));
    });
  }
  const k = "recofuse:" + key;
  const run = () => {
    const old = target.getItem(k), out = rfMerge(old, lines, times, cap, head);
    if (out !== old) target.setItem(k, out);
    return out;
  };
  // Chromium copies a localStorage write to other tabs asynchronously: the lock is held 30 ms more so that
  // the next holder reads it (best effort; IndexedDB has no such gap).
  const locks = globalThis.navigator && globalThis.navigator.locks;
  return locks ? locks.request(k, () => { const out = run(); return new Promise((r) => setTimeout(() => r(out), 30)); })
    : Promise.resolve().then(run);
}

// lazy.rs: a bundle in pieces (format 2). The head is read with Range requests (its length comes from its
// 8-byte prefix and JSON header), or is the whole response when the server sends a head file ("files": shard s
// is `<url>.<s>`) or ignores Range on a single file ("whole"). Verified heads and shards are kept in Cache
// Storage under `<url>?recofuse=<sha256>` (never fetched: a cache key), so an offline reload finds them.
const RF_CACHE = "recofuse-shards";
function rfCache() {
  return globalThis.caches ? globalThis.caches.open(RF_CACHE).catch(() => null) : Promise.resolve(null);
}
function rfKey(url, tag) {
  return new URL(url, globalThis.location ? globalThis.location.href : undefined).href + "?recofuse=" + tag;
}
function rfHeadLen(b) {
  if (b.length < 8) return 8;
  const n = Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true));
  if (b.length < 8 + n) return 8 + n;
  const header = JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n)));
  let end = 0;
  for (const k in header) if (k !== "__metadata__") end = Math.max(end, header[k].data_offsets[1]);
  return 8 + n + end;
}
async function rfGet(url, range) {
  const res = await fetch(url, range ? { headers: { Range: range } } : undefined);
  if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
  return res;
}
export async function rfFetchHead(url) {
  const cache = await rfCache();
  let bytes, mode;
  try {
    const res = await rfGet(url, "bytes=0-65535");
    bytes = new Uint8Array(await res.arrayBuffer());
    if (res.status === 206) {
      let need = rfHeadLen(bytes);
      while (need > bytes.length) {
        const more = new Uint8Array(await (await rfGet(url, `bytes=${bytes.length}-${need - 1}`)).arrayBuffer());
        const all = new Uint8Array(bytes.length + more.length);
        all.set(bytes);
        all.set(more, bytes.length);
        bytes = all;
        need = rfHeadLen(bytes);
      }
      bytes = bytes.slice(0, need);
      // A head file (layout "files") is a whole file of exactly the head's length.
      const total = /\/(\d+)/.exec(res.headers.get("content-range") || "");
      mode = total && Number(total[1]) === need ? "files" : "range";
    } else {
      mode = rfHeadLen(bytes) === bytes.length ? "files" : "whole";
    }
  } catch (e) {
    // Offline: the head kept by the last visit.
    const hit = cache && await cache.match(rfKey(url, "head"));
    if (!hit) throw e;
    bytes = new Uint8Array(await hit.arrayBuffer());
    mode = hit.headers.get("x-recofuse-mode") || "range";
  }
  if (cache && mode !== "whole") {
    cache.put(rfKey(url, "head"), new Response(bytes, { headers: { "x-recofuse-mode": mode } })).catch(() => {});
  }
  return [bytes, mode];
}
// Parts of a 206 response: one range (Content-Range) or multipart/byteranges; [{ start, bytes }].
async function rfParts(res) {
  const body = new Uint8Array(await res.arrayBuffer());
  const type = res.headers.get("content-type") || "";
  const m = /multipart\/byteranges;\s*boundary="?([^";]+)"?/i.exec(type);
  if (!m) {
    const cr = /bytes (\d+)-(\d+)/.exec(res.headers.get("content-range") || "");
    return [{ start: res.status === 206 && cr ? Number(cr[1]) : 0, bytes: body }];
  }
  const parts = [], text = new TextDecoder("latin1").decode(body), sep = "--" + m[1];
  let at = text.indexOf(sep);
  while (at >= 0) {
    const headEnd = text.indexOf("\r\n\r\n", at);
    if (headEnd < 0) break;
    const cr = /content-range:\s*bytes (\d+)-(\d+)/i.exec(text.slice(at, headEnd));
    if (!cr) break;
    const start = Number(cr[1]), len = Number(cr[2]) - start + 1;
    parts.push({ start, bytes: body.subarray(headEnd + 4, headEnd + 4 + len) });
    at = text.indexOf(sep, headEnd + 4 + len);
  }
  return parts;
}
// Shards idx[i] at [starts[i], starts[i] + lens[i]) with SHA-256 hexes[i]: from Cache Storage, else fetched
// (mode "files": one request per shard; "range": the ranges batched into at most 16 requests, one range per
// shard). Returns one Uint8Array per shard, or an error message where it could not be had.
export async function rfFetchShards(url, mode, idx, starts, lens, hexes) {
  const hex = hexes.split(","), out = new Array(idx.length), miss = [];
  const cache = await rfCache();
  await Promise.all(Array.from(idx, async (_, i) => {
    const hit = cache && await cache.match(rfKey(url, hex[i])).catch(() => null);
    if (hit) out[i] = new Uint8Array(await hit.arrayBuffer());
    else miss.push(i);
  }));
  miss.sort((a, b) => starts[a] - starts[b]);
  const fail = (list, e) => list.forEach((i) => { out[i] = String(e && e.message || e); });
  if (mode === "files") {
    await Promise.all(miss.map(async (i) => {
      try { out[i] = new Uint8Array(await (await rfGet(url + "." + idx[i])).arrayBuffer()); } catch (e) { fail([i], e); }
    }));
    return out;
  }
  const per = Math.max(1, Math.ceil(miss.length / 16));
  const batches = [];
  for (let b = 0; b < miss.length; b += per) batches.push(miss.slice(b, b + per));
  await Promise.all(batches.map(async (list) => {
    try {
      const ranges = list.map((i) => `${starts[i]}-${starts[i] + lens[i] - 1}`).join(",");
      const res = await rfGet(url, "bytes=" + ranges);
      if (res.status !== 206) throw new Error(`HTTP ${res.status}: no Range support (use the per-shard files)`);
      const parts = await rfParts(res);
      for (const i of list) {
        const p = parts.find((x) => x.start <= starts[i] && x.start + x.bytes.length >= starts[i] + lens[i]);
        out[i] = p ? p.bytes.slice(starts[i] - p.start, starts[i] - p.start + lens[i]) : "missing from the response";
      }
    } catch (e) { fail(list, e); }
  }));
  return out;
}
export function rfStoreShard(url, hex, bytes) {
  rfCache().then((c) => c && c.put(rfKey(url, hex), new Response(bytes.slice()))).catch(() => {});
}
// freed.rs: once per class, every method and getter of the prototype checks the pointer that free() zeroes;
// a second free() does nothing.
export function rfGuard(obj, message, code) {
  const p = Object.getPrototypeOf(obj);
  if (p === null || Object.prototype.hasOwnProperty.call(p, "__rfGuarded")) return;
  Object.defineProperty(p, "__rfGuarded", { value: true });
  const wrap = (f, name) => function (...a) {
    if (!this.__wbg_ptr) { if (name === "free") return; throw rfError(null, message, code); }
    return f.apply(this, a);
  };
  for (const name of Object.getOwnPropertyNames(p)) {
    if (name === "constructor" || name.startsWith("__")) continue;
    const d = Object.getOwnPropertyDescriptor(p, name);
    if (typeof d.value === "function") d.value = wrap(d.value, name);
    else if (d.get) d.get = wrap(d.get, name);
    else continue;
    Object.defineProperty(p, name, d);
  }
}

// experiment.rs: A/B experiments (issue 18). The arm comes from the device's A/B seed, the namespace and the
// experiment name; outcomes are rows appended like the history (rfAppend, key <ns>/outcomes); reports pass
// each bit through randomised response. Errors are returned as strings (BAD_ARGUMENT on the Rust side).
const OUT_HEAD = "recofuse-outcomes 1", OUT_CAP = 4000, outMem = new Map(), KINDS = ["view", "click", "cart", "purchase"];
export function rfHash(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193); }
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
  return h >>> 0;
}
// Index of the arm for this seed: u in [0, 1) from the hash, split by the weights.
export function rfArm(seed, ns, name, weights) {
  const total = weights.reduce((a, b) => a + b, 0);
  let u = (rfHash(`${seed >>> 0}\u0000${ns}\u0000${name}`) / 4294967296) * total, last = 0;
  for (let i = 0; i < weights.length; i++) {
    if (weights[i] > 0) { last = i; if (u < weights[i]) return i; }
    u -= weights[i];
  }
  return last;
}
const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const extra = (o, keys) => Object.keys(o).find((k) => !keys.includes(k));
// A validated experiment { name, arms: [{ name, weight, options }] } or an error string.
export function rfExperimentSpec(spec) {
  if (!isObj(spec)) return "experiment() takes { name, arms }";
  const bad = extra(spec, ["name", "arms"]);
  if (bad !== undefined) return `experiment: unknown key "${bad}"`;
  const { name, arms } = spec;
  if (typeof name !== "string" || name === "" || name.length > 100) return "experiment.name must be a string of 1 to 100 characters";
  if (!Array.isArray(arms) || arms.length < 1 || arms.length > 16) return `experiment "${name}": arms must be an array of 1 to 16 arms`;
  const out = [], seen = new Set();
  for (const a of arms) {
    if (!isObj(a)) return `experiment "${name}": each arm is { name, weight?, options? }`;
    const b = extra(a, ["name", "weight", "options"]);
    if (b !== undefined) return `experiment "${name}": unknown arm key "${b}"`;
    if (typeof a.name !== "string" || a.name === "" || a.name.length > 100 || seen.has(a.name)) return `experiment "${name}": arm names must be distinct strings of 1 to 100 characters`;
    seen.add(a.name);
    const w = a.weight === undefined ? 1 : a.weight;
    if (typeof w !== "number" || !Number.isFinite(w) || w < 0) return `experiment "${name}": arm "${a.name}" weight must be a finite number >= 0`;
    const o = a.options === undefined ? {} : a.options;
    if (!isObj(o)) return `experiment "${name}": arm "${a.name}" options must be an object`;
    const k = ["serverScores", "k", "pins"].find((x) => x in o);
    if (k !== undefined) return `experiment "${name}": arm "${a.name}" options cannot set ${k} (the page's call does)`;
    out.push({ name: a.name, weight: w, options: o });
  }
  if (!out.some((a) => a.weight > 0)) return `experiment "${name}": at least one arm needs a weight > 0`;
  return { name, arms: out };
}
// The experiments of a bundle's fusion config (`fusion.experiments`), read from its safetensors header.
export function rfBundleExperiments(bytes) {
  try {
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
    if (n > bytes.length - 8) return [];
    const meta = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))).__metadata__;
    const exps = JSON.parse(meta.fusion).experiments;
    return Array.isArray(exps) ? exps : [];
  } catch { return []; }
}
const day = (t) => new Date(t).toISOString().slice(0, 10);
export class RfLab {
  constructor(ns, stored, bundle, target) {
    this.ns = ns; this.key = ns + "/outcomes"; this.bundle = bundle; this.on = new Map(); this.cur = null;
    this.rows = rfRows(target === null ? outMem.get(this.key) : stored); this.pending = []; this.last = new Map(); this.busy = null; this.gen = 0;
    // Rows carry `u` = this lab's random tag + a sequence number: the cross-tab merge keeps identical lines
    // once, and two clicks in the same millisecond (from two tabs, or on two items shown in no impression)
    // are two outcomes, not one.
    this.tag = rfTag(); this.seq = 0;
  }
  // [assignment, ...every arm's options] or an error string; enter(assignment) makes it current.
  define(spec, seed) {
    if (isObj(spec) && spec.arms === undefined && typeof spec.name === "string") {
      const b = this.bundle.find((e) => isObj(e) && e.name === spec.name);
      if (b === undefined) return `experiment "${spec.name}" has no arms and the bundle defines no experiment of that name`;
      spec = { ...b, ...spec, arms: b.arms };
    }
    const e = rfExperimentSpec(spec);
    if (typeof e === "string") return e;
    const arm = e.arms[rfArm(seed, this.ns, e.name, e.arms.map((a) => a.weight))];
    return [{ experiment: e.name, arm: arm.name, options: arm.options }, ...e.arms.map((a) => a.options)];
  }
  enter(got) { this.on.set(got.experiment, got); this.cur = got; }
  // The call's options with the current arm's on top (weights merged signal by signal).
  options(o) {
    const c = this.cur;
    if (c === null || (o !== undefined && o !== null && !isObj(o))) return o;
    const base = isObj(o) ? o : {}, a = c.options, out = { ...base, ...a };
    if (isObj(a.weights) && isObj(base.weights)) out.weights = { ...base.weights, ...a.weights };
    return out;
  }
  add(row) { row.u = this.tag + (this.seq++).toString(36); this.rows.push(row); this.pending.push(row); if (this.rows.length > OUT_CAP) this.rows.shift(); }
  // Counts `ids` shown for each experiment of this page; the number of experiments, or an error string.
  impression(ids, t) {
    if (!Array.isArray(ids)) return "impression() takes an array of item ids";
    const list = ids.map(rfId);
    if (list.includes(undefined)) return "impression(): ids must be strings or finite numbers";
    for (const e of this.on.values()) { this.last.set(e.experiment, list); this.add({ t, x: e.experiment, a: e.arm, k: "impression", n: list.length }); }
    return this.on.size;
  }
  event(item, kind, t) {
    const k = KINDS[kind];
    if (k === "view") return;
    for (const e of this.on.values()) {
      const row = { t, x: e.experiment, a: e.arm, k };
      const p = k === "click" ? (this.last.get(e.experiment) || []).indexOf(item) : -1;
      if (p >= 0) row.p = p + 1;
      this.add(row);
    }
  }
  // Appends the pending rows to storage (null: the page-wide memory map); writes run one after the other.
  save(target) {
    if (this.pending.length === 0) return this.busy || Promise.resolve();
    const gen = this.gen;
    const run = async () => {
      if (this.pending.length === 0) return;
      const rows = this.pending;
      this.pending = [];
      const lines = rows.map((r) => JSON.stringify(r)).join("\n"), times = rows.map((r) => r.t);
      let text;
      if (target === null || target === undefined) { text = rfMerge(outMem.get(this.key), lines, times, OUT_CAP, OUT_HEAD); outMem.set(this.key, text); }
      else text = await rfAppend(target, this.key, lines, times, OUT_CAP, OUT_HEAD);
      if (gen === this.gen) this.rows = rfRows(text).concat(this.pending).slice(-OUT_CAP);
    };
    this.busy = (this.busy || Promise.resolve()).then(run).catch((e) => { this.error = rfDescribe(e); });
    return this.busy;
  }
  flush(target, history) { return Promise.all([history, this.save(target)]).then(() => undefined); }
  clear(target, history) { return Promise.all([history, this.wipe(target)]).then(() => undefined); }
  wipe(target) {
    this.gen++; this.rows = []; this.pending = []; this.last.clear();
    const key = this.key;
    return (this.busy || Promise.resolve()).then(() => {
      if (target === null || target === undefined) return void outMem.delete(key);
      if (typeof target.transaction !== "function") return target.removeItem("recofuse:" + key);
      return new Promise((resolve, reject) => {
        const tx = target.transaction("kv", "readwrite");
        tx.objectStore("kv").delete(key);
        tx.oncomplete = () => resolve();
        tx.onabort = () => reject(tx.error || new Error("IndexedDB transaction aborted"));
      });
    });
  }
  // Counters per experiment and arm, from the stored and new rows.
  counters() {
    const by = new Map();
    for (const r of this.rows) {
      const id = r.x + "\u0000" + r.a;
      let c = by.get(id);
      if (c === undefined) {
        c = { experiment: r.x, arm: r.a, current: this.on.get(r.x)?.arm === r.a, since: r.t, impressions: 0, clicks: 0, carts: 0, purchases: 0, clickPositions: {} };
        by.set(id, c);
      }
      if (r.k === "impression") c.impressions += r.n;
      else if (r.k === "click") { c.clicks++; if (r.p) c.clickPositions[r.p] = (c.clickPositions[r.p] || 0) + 1; }
      else if (r.k === "cart") c.carts++;
      else if (r.k === "purchase") c.purchases++;
    }
    for (const e of this.on.values()) {
      if (!by.has(e.experiment + "\u0000" + e.arm)) by.set(e.experiment + "\u0000" + e.arm, { experiment: e.experiment, arm: e.arm, current: true, since: null, impressions: 0, clicks: 0, carts: 0, purchases: 0, clickPositions: {} });
    }
    return [...by.values()];
  }
  attach(list) { list.experiments = this.counters(); }
  // The report of experiment `name`: the arm, the period and one randomised-response bit per metric.
  report(name, opts, now) {
    const e = this.on.get(name);
    if (e === undefined) return `experimentReport: experiment "${name}" is not running on this page (call experiment() first)`;
    if (opts !== undefined && opts !== null) {
      if (!isObj(opts) || extra(opts, ["epsilon"]) !== undefined) return "experimentReport options are { epsilon? }";
    }
    const eps = opts?.epsilon ?? 1;
    if (typeof eps !== "number" || !(eps > 0 && eps <= 20)) return "experimentReport: epsilon must be a number in (0, 20]";
    const c = this.counters().find((x) => x.experiment === name && x.arm === e.arm);
    const p = 1 / (1 + Math.exp(-eps)), r = new Uint32Array(3);
    crypto.getRandomValues(r);
    const rr = (bit, i) => (r[i] / 4294967296 < p ? bit : !bit);
    return {
      format: "recofuse-ab-report", version: 1, experiment: name, arm: e.arm, epsilon: eps,
      period: { from: day(c.since ?? now), to: day(now) },
      clicked: rr(c.clicks > 0, 0), carted: rr(c.carts > 0, 1), purchased: rr(c.purchases > 0, 2),
    };
  }
}
// Eight base-36 characters of randomness (crypto where there is one; a lab without it still counts).
function rfTag() {
  const r = new Uint32Array(2);
  if (typeof crypto === "object" && crypto !== null && typeof crypto.getRandomValues === "function") crypto.getRandomValues(r);
  else { r[0] = Math.random() * 4294967296; r[1] = Math.random() * 4294967296; }
  return (r[0].toString(36) + r[1].toString(36)).slice(0, 8) + ".";
}
function rfRows(text) {
  const out = [];
  if (typeof text !== "string") return out;
  const rows = text.split("\n");
  if (rows[0].trim() !== OUT_HEAD) return out;
  for (const l of rows.slice(1)) {
    if (l.trim() === "") continue;
    try {
      const r = JSON.parse(l);
      if (typeof r.t === "number" && typeof r.x === "string" && typeof r.a === "string" && typeof r.k === "string") out.push(r);
    } catch { /* dropped */ }
  }
  return out;
}
