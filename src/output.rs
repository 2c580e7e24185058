//! Rust -> JS conversions of the API's results, in one place: rankings, scored items, events, the
//! history export, `storageInfo()` and `bundleInfo()` (plain objects and arrays, built once per call), and
//! the one-string crossing of candidate lists; their JavaScript side is in `src/glue.js`.

use js_sys::{Array, Object};
use recofuse_core::{Engine, Event, Ranking, Signal};
use wasm_bindgen::prelude::*;

use crate::load::BundleMeta;
use crate::persist::Status;

// Building a result object by object from Rust costs a few boundary crossings per field, and every
// string (each key, each id) goes through a `TextDecoder`: returning 1,000 ranked candidates cost 14×
// sorting them in JavaScript (`node scripts/node-bench.mjs`, V8). The functions of `src/glue.js` instead
// take the whole result as typed-array views of wasm memory (read during the call, not kept) and build the
// objects on the JavaScript side, reusing the caller's own id strings; candidate lists cross in one
// string. docs/benchmarks.md has the figures. The other results are built there too (smaller than a
// crossing per field).
#[wasm_bindgen(module = "/src/glue.js")]
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
    #[wasm_bindgen(js_name = rfIdsAt)]
    fn js_ids_at(src: &Array, pos: &[u32]) -> Array;
    #[wasm_bindgen(js_name = rfTyped)]
    fn js_typed(order: &[u32], scores: &[f32]) -> Object;
    #[wasm_bindgen(js_name = rfDetailed)]
    fn js_detailed(ranked: Array, filtered: Array, excluded_seen: Array, unknown: Array) -> Object;
    #[wasm_bindgen(js_name = rfScored)]
    fn js_scored(items: Array, scores: &[f32]) -> Array;
    #[wasm_bindgen(js_name = rfEvents)]
    fn js_events(items: Array, kinds: &str, ts: &[f64]) -> Array;
    #[wasm_bindgen(js_name = rfStorageInfo)]
    #[allow(clippy::too_many_arguments)]
    fn js_storage_info(
        backend: &str,
        last_error: Option<&str>,
        last_error_message: Option<&str>,
        dropped: f64,
        reasons: Array,
        moved_aside: Option<&str>,
        events: f64,
        capacity: f64,
        persisted_capacity: f64,
        paused: bool,
    ) -> Object;
    #[wasm_bindgen(js_name = rfBundleInfo)]
    #[allow(clippy::too_many_arguments)]
    fn js_bundle_info(
        format_version: u32,
        items: f64,
        scorers: Array,
        sha256: &str,
        integrity: &str,
        bytes: f64,
        method: &str,
        normalization: &str,
        names: &str,
        weights: &[f32],
        info_keys: &Array,
        info_values: &Array,
    ) -> Object;
    #[wasm_bindgen(js_name = rfHistoryExport)]
    fn js_history_export(namespace: &str, events: &JsValue, exported_at: f64) -> String;
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
    let src = src.map_or(JsValue::NULL, |a| JsValue::from(a.clone()));
    js_ranked_list(&src, &joined, &pos, &scores, &flags, &contrib, &signal_names())
}

/// The signal names joined by commas, in column order.
fn signal_names() -> String {
    Signal::ALL.iter().map(|s| s.name()).collect::<Vec<_>>().join(",")
}

/// The ids (as strings) of `src` at the given input positions.
pub fn ids_at(positions: &[usize], src: &Array) -> Array {
    let pos: Vec<u32> = positions.iter().map(|&p| u32::try_from(p).unwrap_or(u32::MAX)).collect();
    js_ids_at(src, &pos)
}

/// `{ ranked, filtered, excludedSeen, unknown }`.
pub fn detailed(ranking: &Ranking, src: &Array, engine: &Engine) -> Object {
    js_detailed(
        ranked_list(ranking, Some(src), engine),
        ids_at(&ranking.filtered, src),
        ids_at(&ranking.excluded_seen, src),
        ids_at(&ranking.unknown, src),
    )
}

/// `{ order: Uint32Array, scores: Float32Array }` (copies, NaN for a missing score).
pub fn typed(ranking: &Ranking) -> Object {
    let order: Vec<u32> = ranking.items.iter().map(|r| u32::try_from(r.position).unwrap_or(u32::MAX)).collect();
    let scores: Vec<f32> = ranking.items.iter().map(|r| r.score.unwrap_or(f32::NAN)).collect();
    js_typed(&order, &scores)
}

/// `[{ item, score }]` from item indices and scores.
pub fn scored(items: &[(u32, f32)], engine: &Engine) -> Array {
    let ids = strings(items.iter().map(|&(i, _)| engine.item_id(i).unwrap_or("")));
    let scores: Vec<f32> = items.iter().map(|&(_, s)| s).collect();
    js_scored(ids, &scores)
}

/// `[{ item, kind, ts }]`, oldest first.
pub fn events<'a>(events: impl Iterator<Item = &'a Event>) -> Array {
    let (items, mut kinds, mut ts) = (Array::new(), String::new(), Vec::new());
    for e in events {
        items.push(&JsValue::from_str(&e.item));
        if !ts.is_empty() {
            kinds.push(',');
        }
        kinds.push_str(e.kind.name());
        ts.push(e.ts_ms);
    }
    js_events(items, &kinds, &ts)
}

/// A list of strings.
pub fn strings<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Array {
    items.into_iter().map(|s| JsValue::from_str(s.as_ref())).collect()
}

/// The `HistoryExport` JSON document around `events` (an array of [`event`]s).
pub fn history_export(namespace: &str, events: &JsValue, exported_at: f64) -> String {
    js_history_export(namespace, events, exported_at)
}

/// `StorageInfo`.
pub fn storage_info(s: Status<'_>) -> Object {
    js_storage_info(
        s.backend,
        s.last_error.map(|e| e.0),
        s.last_error.map(|e| e.1.as_str()),
        s.recovered.dropped as f64,
        strings(&s.recovered.reasons),
        s.moved_aside,
        s.events as f64,
        s.capacity as f64,
        s.persisted_capacity as f64,
        s.paused,
    )
}

/// `BundleInfo`: the header facts and the engine's default fusion.
pub fn bundle_info(m: &BundleMeta, engine: &Engine) -> Object {
    let fusion = &engine.model().fusion;
    let weights: Vec<f32> = Signal::ALL.iter().map(|&s| fusion.weight(s)).collect();
    let (keys, values) = (Array::new(), Array::new());
    for (k, v) in &m.info {
        keys.push(&JsValue::from_str(k));
        values.push(&JsValue::from_str(v));
    }
    js_bundle_info(
        m.format_version,
        m.items as f64,
        strings(&m.scorers),
        &m.sha256,
        &m.integrity,
        m.bytes as f64,
        fusion.method.name(),
        fusion.normalization.name(),
        &signal_names(),
        &weights,
        &keys,
        &values,
    )
}
