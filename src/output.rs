//! Rust -> JS conversions of the API's results: plain objects and arrays, built once per call.

use js_sys::{Array, Object, Reflect};
use recofuse_core::{Engine, Event, PerSignal, Ranked, Ranking, Signal};
use wasm_bindgen::prelude::*;

/// Sets `obj[key] = value` on a fresh plain object (cannot fail on such an object; ignored if it did).
pub fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

/// A number, or `null` for `None`.
pub fn opt_number(x: Option<f32>) -> JsValue {
    match x {
        Some(v) => JsValue::from_f64(f64::from(v)),
        None => JsValue::NULL,
    }
}

/// `{ itemcf, seq, usercf, embedding, content, popularity, server, neural }` with `null` for missing signals.
pub fn contributions(c: &PerSignal<Option<f32>>) -> Object {
    let obj = Object::new();
    for s in Signal::ALL {
        set(&obj, s.name(), &opt_number(c[s]));
    }
    obj
}

/// One ranked candidate: `{ item, score, pinned, contributions? }`. `ids` is the candidate list the
/// positions refer to.
pub fn ranked(r: &Ranked, ids: &[String], engine: &Engine) -> Object {
    let obj = Object::new();
    let id = ids.get(r.position).map(String::as_str).or_else(|| r.item.and_then(|i| engine.item_id(i))).unwrap_or("");
    set(&obj, "item", &JsValue::from_str(id));
    set(&obj, "score", &opt_number(r.score));
    set(&obj, "pinned", &JsValue::from_bool(r.pinned));
    if let Some(c) = &r.contributions {
        set(&obj, "contributions", &contributions(c));
    }
    obj
}

/// The ranked list as an array.
pub fn ranked_list(ranking: &Ranking, ids: &[String], engine: &Engine) -> Array {
    ranking.items.iter().map(|r| JsValue::from(ranked(r, ids, engine))).collect()
}

/// Ids at the given input positions.
pub fn ids_at(positions: &[usize], ids: &[String]) -> Array {
    positions.iter().filter_map(|&p| ids.get(p)).map(|s| JsValue::from_str(s)).collect()
}

/// `{ ranked, filtered, excludedSeen, unknown }`.
pub fn detailed(ranking: &Ranking, ids: &[String], engine: &Engine) -> Object {
    let obj = Object::new();
    set(&obj, "ranked", &ranked_list(ranking, ids, engine));
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
