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
  return { ranked, filtered, excludedSeen, unknown };
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
    persistedCapacity, paused };
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
