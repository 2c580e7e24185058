//! JS value -> Rust conversions of the API's inputs, each done once, with a `BAD_ARGUMENT` error naming
//! the offending field. Option objects are checked strictly: an unknown key is an error, so a typo
//! (`exludeSeen`) never passes silently.

use js_sys::{Array, Object, Reflect};
use recofuse_core::json::Quoted;
use recofuse_core::{Engine, EventKind, Method, Normalization, Options, Signal, StockRule};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::{FacadeError, Result};
use crate::storage::StoragePreference;

/// Reads `obj[key]`; `undefined` and `null` are `None`.
pub fn field(obj: &JsValue, key: &str) -> Result<Option<JsValue>> {
    let v = Reflect::get(obj, &JsValue::from_str(key))
        .map_err(|_| FacadeError::bad_argument(format!("cannot read option {}", Quoted(key))))?;
    Ok(if v.is_undefined() || v.is_null() { None } else { Some(v) })
}

/// Checks that `value` is a plain object (or absent) whose keys are all in `allowed`.
/// Returns `None` for `undefined`/`null`.
pub fn options_object(value: Option<&JsValue>, what: &str, allowed: &[&str]) -> Result<Option<JsValue>> {
    let Some(v) = value.filter(|v| !v.is_undefined() && !v.is_null()) else {
        return Ok(None);
    };
    if !v.is_object() || Array::is_array(v) {
        return Err(FacadeError::bad_argument(format!("{what} must be an object")));
    }
    let obj: &Object = v.unchecked_ref();
    for key in Object::keys(obj).iter() {
        let key = key.as_string().unwrap_or_default();
        if !allowed.contains(&key.as_str()) {
            return Err(FacadeError::bad_argument(format!(
                "unknown key {} in {what} (expected one of: {})",
                Quoted(&key),
                allowed.join(", ")
            )));
        }
    }
    Ok(Some(v.clone()))
}

/// An optional boolean field.
pub fn opt_bool(obj: &JsValue, key: &str) -> Result<Option<bool>> {
    match field(obj, key)? {
        None => Ok(None),
        Some(v) => v.as_bool().map(Some).ok_or_else(|| FacadeError::bad_argument(format!("{key} must be a boolean"))),
    }
}

/// An optional finite number field.
pub fn opt_number(obj: &JsValue, key: &str) -> Result<Option<f64>> {
    match field(obj, key)? {
        None => Ok(None),
        Some(v) => match v.as_f64() {
            Some(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(FacadeError::bad_argument(format!("{key} must be a finite number"))),
        },
    }
}

/// An optional non-negative integer field.
pub fn opt_count(obj: &JsValue, key: &str) -> Result<Option<usize>> {
    match opt_number(obj, key)? {
        None => Ok(None),
        Some(x) => count(x, key).map(Some),
    }
}

/// A non-negative integer (as JS gives numbers).
pub fn count(x: f64, what: &str) -> Result<usize> {
    if x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x <= 4_294_967_295.0 {
        Ok(x as usize)
    } else {
        Err(FacadeError::bad_argument(format!(
            "{what} must be a non-negative integer, got {}",
            recofuse_core::json::Num::from(x)
        )))
    }
}

/// An optional string field.
pub fn opt_string(obj: &JsValue, key: &str) -> Result<Option<String>> {
    match field(obj, key)? {
        None => Ok(None),
        Some(v) => v.as_string().map(Some).ok_or_else(|| FacadeError::bad_argument(format!("{key} must be a string"))),
    }
}

/// An item id: a string, or a finite number stringified the way JavaScript does (`String(42)` = `"42"`).
pub fn item_id(v: &JsValue, what: &dyn Fn() -> String) -> Result<String> {
    if let Some(s) = v.as_string() {
        return Ok(s);
    }
    match v.as_f64() {
        Some(x) if x.is_finite() => Ok(js_sys::Number::from(x)
            .to_string_with_radix(10)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_else(|| recofuse_core::json::Num::from(x).to_string())),
        _ => Err(FacadeError::bad_argument(format!("{} must be a string or a finite number", what()))),
    }
}

/// The candidate list: an array of strings or numbers.
pub fn candidates(value: &JsValue) -> Result<Vec<String>> {
    if !Array::is_array(value) {
        return Err(FacadeError::bad_argument("ids must be an array of strings or numbers"));
    }
    let arr: &Array = value.unchecked_ref();
    // The usual list (strings, numbers) crosses in one string; anything else element by element.
    if let Some(ids) = crate::output::joined_ids(arr) {
        return Ok(ids);
    }
    let mut out = Vec::with_capacity(arr.length() as usize);
    for (i, v) in arr.iter().enumerate() {
        out.push(item_id(&v, &|| format!("ids[{i}]"))?);
    }
    Ok(out)
}

/// Options of `fromUrl` / `fromBytes`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoadOptions {
    /// History namespace (default `"default"`).
    pub namespace: String,
    /// Storage backend preference.
    pub storage: StoragePreference,
    /// Expected SRI hash of the bundle.
    pub integrity: Option<String>,
}

/// Longest accepted namespace, in bytes.
pub const MAX_NAMESPACE_BYTES: usize = 128;

/// Parses the load options.
pub fn load_options(value: Option<&JsValue>) -> Result<LoadOptions> {
    let mut out = LoadOptions { namespace: "default".into(), ..LoadOptions::default() };
    let Some(obj) = options_object(value, "load options", &["namespace", "storage", "integrity"])? else {
        return Ok(out);
    };
    if let Some(ns) = opt_string(&obj, "namespace")? {
        if ns.is_empty() || ns.len() > MAX_NAMESPACE_BYTES {
            return Err(FacadeError::bad_argument(format!(
                "namespace must be a non-empty string of at most {MAX_NAMESPACE_BYTES} bytes"
            )));
        }
        out.namespace = ns;
    }
    if let Some(s) = opt_string(&obj, "storage")? {
        out.storage = StoragePreference::parse(&s).ok_or_else(|| {
            FacadeError::bad_argument(format!(
                "storage {} is not one of auto, indexeddb, localstorage, memory",
                Quoted(&s)
            ))
        })?;
    }
    out.integrity = opt_string(&obj, "integrity")?;
    Ok(out)
}

/// An event given to `record`.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordInput {
    /// Item id.
    pub item: String,
    /// Event kind (validated by the engine's parser: unknown kinds are `INVALID_INPUT`).
    pub kind: EventKind,
    /// Timestamp in ms, if given.
    pub ts: Option<f64>,
}

/// Parses `{ item, kind, ts? }`.
pub fn record_input(value: &JsValue) -> Result<RecordInput> {
    let obj = options_object(Some(value), "event", &["item", "kind", "ts"])?
        .ok_or_else(|| FacadeError::bad_argument("record needs an event object { item, kind, ts? }"))?;
    let item = field(&obj, "item")?.ok_or_else(|| FacadeError::bad_argument("event.item is required"))?;
    let item = item_id(&item, &|| "event.item".to_string())?;
    let kind = opt_string(&obj, "kind")?.ok_or_else(|| FacadeError::bad_argument("event.kind is required"))?;
    let kind = EventKind::parse(&kind)?;
    let ts = match field(&obj, "ts")? {
        None => None,
        Some(v) => Some(v.as_f64().ok_or_else(|| FacadeError::bad_argument("event.ts must be a number (ms)"))?),
    };
    Ok(RecordInput { item, kind, ts })
}

/// Parsed rerank/recommend options that own their data; [`RerankInput::options`] lends them to the core.
#[derive(Debug, Clone, Default)]
pub struct RerankInput {
    /// Server scores (NaN = missing).
    pub server_scores: Option<Vec<f32>>,
    /// Top-k.
    pub k: Option<usize>,
    /// Fusion method override.
    pub method: Option<Method>,
    /// Normalisation override.
    pub normalization: Option<Normalization>,
    /// Full weight vector (bundle weights overridden by the given ones).
    pub weights: Option<Vec<f32>>,
    /// `excludeSeen`, when given.
    pub exclude_seen: Option<bool>,
    /// Stock rule.
    pub stock: StockRule,
    /// Pins.
    pub pins: Vec<(String, usize)>,
    /// MMR lambda.
    pub diversity: Option<f32>,
    /// Whether to explain.
    pub explain: bool,
}

impl RerankInput {
    /// The core's options borrowing from `self`; `exclude_seen_default` applies when `excludeSeen` was
    /// not given.
    pub fn options(&self, exclude_seen_default: bool) -> Options<'_> {
        Options {
            server_scores: self.server_scores.as_deref(),
            k: self.k,
            method: self.method,
            normalization: self.normalization,
            weights: self.weights.clone(),
            exclude_seen: self.exclude_seen.unwrap_or(exclude_seen_default),
            stock: self.stock,
            pins: self.pins.clone(),
            diversity: self.diversity,
            explain: self.explain,
        }
    }
}

const RERANK_KEYS: [&str; 11] = [
    "serverScores",
    "k",
    "method",
    "normalization",
    "weights",
    "explain",
    "excludeSeen",
    "inStockOnly",
    "demoteOutOfStock",
    "pins",
    "diversity",
];

/// Parses rerank options against `n` candidates (`n = None` for `recommend`, which takes no server scores).
pub fn rerank_input(value: Option<&JsValue>, n: Option<usize>, engine: &Engine) -> Result<RerankInput> {
    let keys: &[&str] = if n.is_some() { &RERANK_KEYS } else { &RERANK_KEYS[1..] };
    let mut out = RerankInput::default();
    let Some(obj) = options_object(value, "options", keys)? else {
        return Ok(out);
    };
    if let (Some(n), Some(v)) = (n, field(&obj, "serverScores")?) {
        out.server_scores = Some(server_scores(&v, n)?);
    }
    out.k = opt_count(&obj, "k")?;
    if let Some(m) = opt_string(&obj, "method")? {
        out.method = Some(Method::parse(&m)?);
    }
    if let Some(m) = opt_string(&obj, "normalization")? {
        out.normalization = Some(Normalization::parse(&m)?);
    }
    if let Some(w) = field(&obj, "weights")? {
        out.weights = Some(weights(&w, &engine.model().fusion.weights)?);
    }
    out.explain = opt_bool(&obj, "explain")?.unwrap_or(false);
    out.exclude_seen = opt_bool(&obj, "excludeSeen")?;
    let in_stock_only = opt_bool(&obj, "inStockOnly")?.unwrap_or(false);
    let demote = opt_bool(&obj, "demoteOutOfStock")?.unwrap_or(false);
    out.stock = if in_stock_only {
        StockRule::Filter
    } else if demote {
        StockRule::Demote
    } else {
        StockRule::Ignore
    };
    if let Some(p) = field(&obj, "pins")? {
        out.pins = pins(&p)?;
    }
    if let Some(d) = opt_number(&obj, "diversity")? {
        out.diversity = Some(d as f32);
    }
    Ok(out)
}

/// `serverScores`: a `Float32Array` or an array of numbers, as long as the candidate list.
pub fn server_scores(value: &JsValue, n: usize) -> Result<Vec<f32>> {
    let scores: Vec<f32> = if let Some(a) = value.dyn_ref::<js_sys::Float32Array>() {
        a.to_vec()
    } else if Array::is_array(value) {
        let arr: &Array = value.unchecked_ref();
        let mut out = Vec::with_capacity(arr.length() as usize);
        for (i, v) in arr.iter().enumerate() {
            // null/undefined entries mean "no server score", like NaN.
            if v.is_undefined() || v.is_null() {
                out.push(f32::NAN);
                continue;
            }
            let x =
                v.as_f64().ok_or_else(|| FacadeError::bad_argument(format!("serverScores[{i}] must be a number")))?;
            out.push(x as f32);
        }
        out
    } else {
        return Err(FacadeError::bad_argument("serverScores must be a Float32Array or an array of numbers"));
    };
    if scores.len() != n {
        return Err(FacadeError::bad_argument(format!(
            "serverScores has {} entries but there are {n} candidates",
            scores.len()
        )));
    }
    Ok(scores)
}

/// `weights: { itemcf: 1, server: 2, ... }` over the bundle's weights.
pub fn weights(value: &JsValue, base: &[f32]) -> Result<Vec<f32>> {
    let names: Vec<&str> = Signal::ALL.iter().map(|s| s.name()).collect();
    let obj = options_object(Some(value), "weights", &names)?
        .ok_or_else(|| FacadeError::bad_argument("weights must be an object"))?;
    let mut out: Vec<f32> = (0..Signal::COUNT).map(|i| base.get(i).copied().unwrap_or(0.0)).collect();
    for s in Signal::ALL {
        if let Some(w) = opt_number(&obj, s.name())? {
            out[s.index()] = w as f32;
        }
    }
    Ok(out)
}

/// `pins: [{ item, position }]`.
pub fn pins(value: &JsValue) -> Result<Vec<(String, usize)>> {
    if !Array::is_array(value) {
        return Err(FacadeError::bad_argument("pins must be an array of { item, position }"));
    }
    let arr: &Array = value.unchecked_ref();
    let mut out = Vec::with_capacity(arr.length() as usize);
    for (i, v) in arr.iter().enumerate() {
        let what = format!("pins[{i}]");
        let obj = options_object(Some(&v), &what, &["item", "position"])?
            .ok_or_else(|| FacadeError::bad_argument(format!("{what} must be {{ item, position }}")))?;
        let item = field(&obj, "item")?.ok_or_else(|| FacadeError::bad_argument(format!("{what}.item is required")))?;
        let item = item_id(&item, &|| format!("{what}.item"))?;
        let pos = opt_number(&obj, "position")?
            .ok_or_else(|| FacadeError::bad_argument(format!("{what}.position is required")))?;
        out.push((item, count(pos, &format!("{what}.position"))?));
    }
    Ok(out)
}
