//! The option objects of the API, in one place: their keys (the lists the TypeScript interfaces and the
//! README's tables are checked against by `tests/contract.rs`) and their parsing into what the engine
//! takes. An unexpected key is `BAD_ARGUMENT` naming it: a misspelt option, or an option the call does not
//! use (`recommend(n, { k })`), never passes silently.

use js_sys::Array;
use recofuse_core::json::Quoted;
use recofuse_core::{Engine, Error, Method, Normalization, Options, Signal, StockRule};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::convert::{count, field, item_id, opt_bool, opt_count, opt_number, opt_string, options_object};
use crate::error::{FacadeError, Result};
use crate::storage::StoragePreference;

/// Keys of `LoadOptions` (`fromUrl`, `fromBytes`), in the README's order.
pub const LOAD_KEYS: [&str; 4] = ["namespace", "storage", "integrity", "lazy"];

/// Keys of `RerankOptions` (`rerank`, `rerankDetailed`), in the README's order: the two that only a
/// candidate list gives a meaning to, then [`RECOMMEND_KEYS`].
pub const RERANK_KEYS: [&str; 12] = [
    "serverScores",
    "k",
    "method",
    "normalization",
    "weights",
    "explain",
    "excludeSeen",
    "stock",
    "pins",
    "diversity",
    "inStockOnly",
    "demoteOutOfStock",
];

/// Keys of `RecommendOptions`: `recommend` ranks the whole catalog (no `serverScores`) and its count is its
/// argument `n` (no `k`).
pub const RECOMMEND_KEYS: &[&str] = RERANK_KEYS.split_at(2).1;

/// Keys of a `Pin` (`pins` entries).
pub const PIN_KEYS: [&str; 2] = ["item", "position"];

/// Deprecated keys (kept for one release) and the `stock` value each stands for.
pub const DEPRECATED_KEYS: [(&str, &str); 2] = [("inStockOnly", "filter"), ("demoteOutOfStock", "demote")];

/// The values of the `stock` option and the engine's rules they name.
pub const STOCK_RULES: [(&str, StockRule); 3] =
    [("keep", StockRule::Ignore), ("demote", StockRule::Demote), ("filter", StockRule::Filter)];

/// Options of `fromUrl` / `fromBytes`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoadOptions {
    /// History namespace (default `"default"`).
    pub namespace: String,
    /// Storage backend preference.
    pub storage: StoragePreference,
    /// Expected SRI hash of the bundle.
    pub integrity: Option<String>,
    /// `fromUrl` of a bundle in pieces (format 2): fetch the head only, rows on demand (see [`crate::lazy`]).
    pub lazy: bool,
}

/// Longest accepted namespace, in bytes.
pub const MAX_NAMESPACE_BYTES: usize = 128;

/// Parses the load options.
pub fn load_options(value: Option<&JsValue>) -> Result<LoadOptions> {
    let mut out = LoadOptions { namespace: "default".into(), ..LoadOptions::default() };
    let Some(obj) = options_object(value, "load options", &LOAD_KEYS)? else {
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
    out.lazy = opt_bool(&obj, "lazy")?.unwrap_or(false);
    Ok(out)
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

/// Parses the options of `rerank` / `rerankDetailed` against `n` candidates, or of `recommend` for
/// `n = None` (which takes only [`RECOMMEND_KEYS`]).
pub fn rerank_options(value: Option<&JsValue>, n: Option<usize>, engine: &Engine) -> Result<RerankInput> {
    let (what, keys) = match n {
        Some(_) => ("options", &RERANK_KEYS[..]),
        None => ("recommend options", RECOMMEND_KEYS),
    };
    let mut out = RerankInput::default();
    let Some(obj) = options_object(value, what, keys)? else {
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
    out.stock = stock(&obj)?;
    if let Some(p) = field(&obj, "pins")? {
        out.pins = pins(&p)?;
    }
    if let Some(d) = opt_number(&obj, "diversity")? {
        out.diversity = Some(d as f32);
    }
    Ok(out)
}

/// `stock: "keep" | "demote" | "filter"` (an unknown name is `INVALID_INPUT`), or the deprecated booleans
/// `inStockOnly` (wins) and `demoteOutOfStock`; `stock` together with either of them is `BAD_ARGUMENT`.
pub fn stock(obj: &JsValue) -> Result<StockRule> {
    let filter = opt_bool(obj, "inStockOnly")?;
    let demote = opt_bool(obj, "demoteOutOfStock")?;
    let Some(name) = opt_string(obj, "stock")? else {
        return Ok(match (filter, demote) {
            (Some(true), _) => StockRule::Filter,
            (_, Some(true)) => StockRule::Demote,
            _ => StockRule::Ignore,
        });
    };
    if filter.is_some() || demote.is_some() {
        return Err(FacadeError::bad_argument(
            "stock replaces the deprecated inStockOnly and demoteOutOfStock: give one, not both",
        ));
    }
    match STOCK_RULES.iter().find(|(n, _)| *n == name) {
        Some(&(_, rule)) => Ok(rule),
        None => Err(Error::invalid("stock", "must be keep, demote or filter").into()),
    }
}

#[wasm_bindgen(module = "/src/glue.js")]
extern "C" {
    /// `serverScores` as a `Float32Array` (`null`/`undefined` entries as NaN), or the index of the first
    /// entry that is not a number, or -1 when it is not an array.
    #[wasm_bindgen(js_name = rfScores)]
    fn js_scores(v: &JsValue) -> JsValue;
}

/// `serverScores`: a `Float32Array` or an array of numbers (`null`/`undefined`/NaN = no score), as long as
/// the candidate list.
pub fn server_scores(value: &JsValue, n: usize) -> Result<Vec<f32>> {
    let converted = js_scores(value);
    let Some(scores) = converted.dyn_ref::<js_sys::Float32Array>().map(js_sys::Float32Array::to_vec) else {
        return Err(FacadeError::bad_argument(match converted.as_f64() {
            Some(i) if i >= 0.0 => format!("serverScores[{}] must be a number", i as u32),
            _ => "serverScores must be a Float32Array or an array of numbers".into(),
        }));
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
        let obj = options_object(Some(&v), &what, &PIN_KEYS)?
            .ok_or_else(|| FacadeError::bad_argument(format!("{what} must be {{ item, position }}")))?;
        let item = field(&obj, "item")?.ok_or_else(|| FacadeError::bad_argument(format!("{what}.item is required")))?;
        let item = item_id(&item, &|| format!("{what}.item"))?;
        let pos = opt_number(&obj, "position")?
            .ok_or_else(|| FacadeError::bad_argument(format!("{what}.position is required")))?;
        out.push((item, count(pos, &format!("{what}.position"))?));
    }
    Ok(out)
}
