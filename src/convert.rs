//! JS value -> Rust conversions of the API's arguments (ids, counts, URLs, bytes, events, and the typed
//! fields of plain objects), each done once, with a `BAD_ARGUMENT` error naming the offending argument.
//! Objects are checked strictly ([`options_object`]): an unexpected key is an error, so a typo
//! (`exludeSeen`) never passes silently. The option objects themselves are parsed in [`crate::options`].

use js_sys::{Array, Reflect, Uint8Array};
use recofuse_core::json::Quoted;
use recofuse_core::EventKind;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::{FacadeError, Result};

thread_local! {
    /// JavaScript strings of the option keys and key lists already sent, so that a rerank's option
    /// reads do not encode and decode the same short strings on every call (a few dozen entries).
    static KEYS: std::cell::RefCell<Vec<(String, JsValue)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `key` as a JavaScript string, made once per distinct key.
fn js_key(key: &str) -> JsValue {
    KEYS.with(|k| {
        let Ok(mut k) = k.try_borrow_mut() else {
            return JsValue::from_str(key);
        };
        if let Some((_, v)) = k.iter().find(|(s, _)| s == key) {
            return v.clone();
        }
        let v = JsValue::from_str(key);
        k.push((key.to_string(), v.clone()));
        v
    })
}

/// Reads `obj[key]`; `undefined` and `null` are `None`.
pub fn field(obj: &JsValue, key: &str) -> Result<Option<JsValue>> {
    let v = Reflect::get(obj, &js_key(key))
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
    match js_unexpected_key(v, &js_key(&allowed.join(","))) {
        Some(key) => Err(FacadeError::bad_argument(format!(
            "unexpected key {} in {what} (expected one of: {})",
            Quoted(&key),
            allowed.join(", ")
        ))),
        None => Ok(Some(v.clone())),
    }
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

/// A count argument (`n`, `buckets`): a number that is a non-negative integer.
pub fn count_arg(value: &JsValue, what: &str) -> Result<usize> {
    match value.as_f64() {
        Some(x) => count(x, what),
        None => Err(FacadeError::bad_argument(format!("{what} must be a non-negative integer"))),
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

#[wasm_bindgen(module = "/src/glue.js")]
extern "C" {
    #[wasm_bindgen(js_name = rfUnexpectedKey)]
    fn js_unexpected_key(obj: &JsValue, allowed: &JsValue) -> Option<String>;
    #[wasm_bindgen(js_name = rfId)]
    fn js_id(v: &JsValue) -> Option<String>;
}

/// An item id: a string, or a finite number stringified the way JavaScript does (`String(42)` = `"42"`).
pub fn item_id(v: &JsValue, what: &dyn Fn() -> String) -> Result<String> {
    js_id(v).ok_or_else(|| FacadeError::bad_argument(format!("{} must be a string or a finite number", what())))
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

/// Bundle bytes from a `Uint8Array` or an `ArrayBuffer`.
pub fn bytes(value: &JsValue) -> Result<Vec<u8>> {
    if let Some(a) = value.dyn_ref::<Uint8Array>() {
        Ok(a.to_vec())
    } else if value.is_instance_of::<js_sys::ArrayBuffer>() {
        Ok(Uint8Array::new(value).to_vec())
    } else {
        Err(FacadeError::bad_argument("bundle bytes must be a Uint8Array or an ArrayBuffer"))
    }
}

/// A bundle URL: a string, or a `URL` object (its `href`).
pub fn url(value: &JsValue) -> Result<String> {
    value
        .as_string()
        .or_else(|| if value.is_object() { opt_string(value, "href").ok().flatten() } else { None })
        .ok_or_else(|| FacadeError::bad_argument("the bundle URL must be a string or a URL"))
}

/// Keys of `RecordEvent` (`record`).
pub const EVENT_KEYS: [&str; 3] = ["item", "kind", "ts"];

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
    let obj = options_object(Some(value), "event", &EVENT_KEYS)?
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
