//! Rust -> JS conversions of the API's results, in one place: rankings, scored items, events, the
//! history export, `storageInfo()` and `bundleInfo()` (plain objects and arrays, built once per call), and
//! the one-string crossing of candidate lists; the JavaScript side of rankings and of that crossing is the
//! inline snippet below.

use js_sys::{Array, Object, Reflect};
use recofuse_core::{Engine, Event, Ranking, Signal};
use wasm_bindgen::prelude::*;

use crate::load::BundleMeta;
use crate::persist::Status;

/// Sets `obj[key] = value` on a fresh plain object (cannot fail on such an object; ignored if it did).
pub fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

// Building a result object by object from Rust costs a few boundary crossings per field, and every
// string (each key, each id) goes through a `TextDecoder`: returning 1,000 ranked candidates cost 14×
// sorting them in JavaScript (`node scripts/node-bench.mjs`, V8). These two small JavaScript functions instead take the whole result as typed-array views of wasm
// memory (read during the call, not kept) and build the objects on the JavaScript side, reusing the
// caller's own id strings; candidate lists cross in one string. docs/benchmarks.md has the figures.
#[wasm_bindgen(inline_js = r#"
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
"#)]
extern "C" {
    #[wasm_bindgen(js_name = rfRankedList)]
    fn js_ranked_list(
        src: &JsValue,
        joined: &str,
        pos: &[u32],
        scores: &[f32],
        flags: &[u8],
        contrib: &[f32],
        names: &str,
    ) -> Array;
    #[wasm_bindgen(js_name = rfJoinIds)]
    fn js_join_ids(a: &Array) -> JsValue;
}

/// The candidate ids of `arr` in one crossing when every element is a string without U+0000 or a
/// finite number (numbers as JavaScript writes them, as [`crate::convert::item_id`] does); `None`
/// otherwise (the caller converts element by element, with its precise errors).
pub fn joined_ids(arr: &Array) -> Option<Vec<String>> {
    let joined = js_join_ids(arr).as_string()?;
    if arr.length() == 0 {
        return Some(Vec::new());
    }
    Some(joined.split('\0').map(str::to_string).collect())
}

/// The ranked list as an array of `{ item, score, pinned, contributions? }`. `src` is the caller's
/// candidate array that the positions refer to (its elements become the `item`s), or `None` for a
/// list of catalog items (`recommend`).
pub fn ranked_list(ranking: &Ranking, src: Option<&Array>, engine: &Engine) -> Array {
    let n = ranking.items.len();
    let mut pos = Vec::with_capacity(n);
    let mut scores = Vec::with_capacity(n);
    let mut flags = Vec::with_capacity(n);
    let mut contrib = Vec::new();
    let mut joined = String::new();
    for (j, r) in ranking.items.iter().enumerate() {
        pos.push(u32::try_from(r.position).unwrap_or(u32::MAX));
        scores.push(r.score.unwrap_or(f32::NAN));
        flags.push(u8::from(r.pinned) | if r.contributions.is_some() { 2 } else { 0 });
        if let Some(c) = &r.contributions {
            contrib.resize(j * Signal::COUNT, f32::NAN);
            contrib.extend(Signal::ALL.iter().map(|&s| c[s].unwrap_or(f32::NAN)));
        }
        if src.is_none() {
            if j > 0 {
                joined.push('\0');
            }
            joined.push_str(r.item.and_then(|i| engine.item_id(i)).unwrap_or(""));
        }
    }
    let names: Vec<&str> = Signal::ALL.iter().map(|s| s.name()).collect();
    let src = src.map_or(JsValue::NULL, |a| JsValue::from(a.clone()));
    js_ranked_list(&src, &joined, &pos, &scores, &flags, &contrib, &names.join(","))
}

/// Ids at the given input positions.
pub fn ids_at(positions: &[usize], ids: &[String]) -> Array {
    positions.iter().filter_map(|&p| ids.get(p)).map(|s| JsValue::from_str(s)).collect()
}

/// `{ ranked, filtered, excludedSeen, unknown }`.
pub fn detailed(ranking: &Ranking, src: &Array, ids: &[String], engine: &Engine) -> Object {
    let obj = Object::new();
    set(&obj, "ranked", &ranked_list(ranking, Some(src), engine));
    set(&obj, "filtered", &ids_at(&ranking.filtered, ids));
    set(&obj, "excludedSeen", &ids_at(&ranking.excluded_seen, ids));
    set(&obj, "unknown", &ids_at(&ranking.unknown, ids));
    obj
}

/// `[{ item, score }]` from item indices and scores.
pub fn scored(items: &[(u32, f32)], engine: &Engine) -> Array {
    items
        .iter()
        .filter_map(|&(i, s)| {
            let id = engine.item_id(i)?;
            let obj = Object::new();
            set(&obj, "item", &JsValue::from_str(id));
            set(&obj, "score", &JsValue::from_f64(f64::from(s)));
            Some(JsValue::from(obj))
        })
        .collect()
}

/// `{ item, kind, ts }`.
pub fn event(e: &Event) -> Object {
    let obj = Object::new();
    set(&obj, "item", &JsValue::from_str(&e.item));
    set(&obj, "kind", &JsValue::from_str(e.kind.name()));
    set(&obj, "ts", &JsValue::from_f64(e.ts_ms));
    obj
}

/// A list of strings.
pub fn strings<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Array {
    items.into_iter().map(|s| JsValue::from_str(s.as_ref())).collect()
}

/// A number (counts and sizes cross as JS numbers).
fn num(x: usize) -> JsValue {
    JsValue::from_f64(x as f64)
}

/// The `HistoryExport` document around `events` (an array of [`event`]s).
pub fn history_export(namespace: &str, events: &JsValue, exported_at: f64) -> Object {
    let doc = Object::new();
    set(&doc, "format", &JsValue::from_str("recofuse-history-export"));
    set(&doc, "version", &JsValue::from(1));
    set(&doc, "namespace", &JsValue::from_str(namespace));
    set(&doc, "exportedAt", &JsValue::from_f64(exported_at));
    set(&doc, "events", events);
    doc
}

/// `StorageInfo`.
pub fn storage_info(s: &Status) -> Object {
    let obj = Object::new();
    set(&obj, "backend", &JsValue::from_str(s.backend));
    let (code, message) = match &s.last_error {
        Some((c, m)) => (JsValue::from_str(c), JsValue::from_str(m)),
        None => (JsValue::NULL, JsValue::NULL),
    };
    set(&obj, "lastError", &code);
    set(&obj, "lastErrorMessage", &message);
    let rec = Object::new();
    set(&rec, "dropped", &num(s.recovered.dropped));
    set(&rec, "reasons", &strings(&s.recovered.reasons));
    set(&rec, "movedAside", &s.moved_aside.as_deref().map_or(JsValue::NULL, JsValue::from_str));
    set(&obj, "recovered", &rec);
    set(&obj, "events", &num(s.events));
    set(&obj, "capacity", &num(s.capacity));
    set(&obj, "persistedCapacity", &num(s.persisted_capacity));
    set(&obj, "paused", &JsValue::from_bool(s.paused));
    obj
}

/// `BundleInfo`: the header facts and the engine's default fusion.
pub fn bundle_info(m: &BundleMeta, engine: &Engine) -> Object {
    let obj = Object::new();
    set(&obj, "formatVersion", &JsValue::from(m.format_version));
    set(&obj, "items", &num(m.items));
    set(&obj, "scorers", &strings(&m.scorers));
    set(&obj, "sha256", &JsValue::from_str(&m.sha256));
    set(&obj, "integrity", &JsValue::from_str(&m.integrity));
    set(&obj, "bytes", &num(m.bytes));
    let fusion_cfg = &engine.model().fusion;
    let fusion = Object::new();
    set(&fusion, "method", &JsValue::from_str(fusion_cfg.method.name()));
    set(&fusion, "normalization", &JsValue::from_str(fusion_cfg.normalization.name()));
    let weights = Object::new();
    for s in Signal::ALL {
        set(&weights, s.name(), &JsValue::from_f64(f64::from(fusion_cfg.weight(s))));
    }
    set(&fusion, "weights", &weights);
    set(&obj, "fusion", &fusion);
    let info = Object::new();
    for (k, v) in &m.info {
        set(&info, k, &JsValue::from_str(v));
    }
    set(&obj, "info", &info);
    obj
}
