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
export function rfUnexpectedKey(obj, allowed) {
  const ok = allowed.split(",");
  return Object.keys(obj).find((k) => !ok.includes(k));
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
  return JSON.stringify({ format: "recofuse-history-export", version: 1, namespace, exportedAt, events }, null, 2);
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
