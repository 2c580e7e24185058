//! Helpers shared by the node and browser suites: bundles built in-test, JS option objects, result
//! decoding and error-code extraction. The API is called exactly as exported to JavaScript.
#![allow(dead_code)]

use std::collections::BTreeMap;

use js_sys::{Array, Float32Array, Object, Reflect, Uint8Array};
use recofuse::{
    BytesArg, CandidatesArg, LoadOptionsArg, RecommendOptionsArg, RecordEventArg, RerankOptionsArg, Reranker,
};
use recofuse_core::bundle::{encode, EncodeOptions};
use recofuse_testkit as demo;
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A valid bundle of the generated demo catalog (`item-0` .. `item-{n-1}`).
pub fn bundle(n: usize, seed: u64) -> Vec<u8> {
    encode(&demo::catalog(n, seed), &EncodeOptions::default()).expect("demo catalog encodes")
}

/// A JS object from `(key, value)` pairs.
pub fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v).expect("set");
    }
    o.into()
}

/// A JS array of strings.
pub fn strs(items: &[&str]) -> JsValue {
    items.iter().map(|s| JsValue::from_str(s)).collect::<Array>().into()
}

/// A namespace unique to this run (IndexedDB may outlive a test run).
pub fn unique_ns(prefix: &str) -> String {
    let mut b = [0u8; 6];
    getrandom::fill(&mut b).expect("random");
    format!("{prefix}-{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>())
}

/// `Reranker.fromBytes(bytes, options)`.
pub async fn from_bytes(bytes: &[u8], options: JsValue) -> Result<Reranker, JsValue> {
    let b: BytesArg = Uint8Array::from(bytes).unchecked_into();
    let o: Option<LoadOptionsArg> = if options.is_undefined() { None } else { Some(options.unchecked_into()) };
    Reranker::from_bytes(b, o).await
}

/// Load options `{ namespace, storage }`.
pub fn load_opts(namespace: &str, storage: &str) -> JsValue {
    obj(&[("namespace", namespace.into()), ("storage", storage.into())])
}

/// `r.record({ item, kind, ts? })`.
pub fn record(r: &Reranker, item: &str, kind: &str, ts: Option<f64>) -> Result<bool, JsValue> {
    let mut pairs = vec![("item", JsValue::from_str(item)), ("kind", JsValue::from_str(kind))];
    if let Some(ts) = ts {
        pairs.push(("ts", JsValue::from_f64(ts)));
    }
    r.record(obj(&pairs).unchecked_into::<RecordEventArg>())
}

/// One ranked result, as JS sees it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RankedItem {
    pub item: String,
    pub score: Option<f64>,
    pub pinned: bool,
    pub contributions: Option<BTreeMap<String, Option<f64>>>,
}

/// `rerankDetailed` result.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Detailed {
    pub ranked: Vec<RankedItem>,
    pub filtered: Vec<String>,
    pub excluded_seen: Vec<String>,
    pub unknown: Vec<String>,
}

/// `{ item, score }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Scored {
    pub item: String,
    pub score: f64,
}

/// `{ item, kind, ts }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HistoryEvent {
    pub item: String,
    pub kind: String,
    pub ts: f64,
}

/// `storageInfo()`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageInfo {
    pub backend: String,
    pub last_error: Option<String>,
    pub last_error_message: Option<String>,
    pub recovered: Recovered,
    pub events: usize,
    pub capacity: usize,
    pub persisted_capacity: usize,
    pub paused: bool,
}

/// `storageInfo().recovered`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recovered {
    pub dropped: usize,
    pub reasons: Vec<String>,
    pub moved_aside: Option<String>,
}

/// `bundleInfo()`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleInfo {
    pub format_version: u32,
    pub items: usize,
    pub scorers: Vec<String>,
    pub sha256: String,
    pub integrity: String,
    pub bytes: usize,
    pub info: BTreeMap<String, String>,
}

/// Decodes a JS value into `T`.
pub fn de<T: for<'a> Deserialize<'a>>(v: impl Into<JsValue>) -> T {
    serde_wasm_bindgen::from_value(v.into()).expect("result has the documented shape")
}

/// `r.rerank(ids, options)` decoded.
pub fn rerank(r: &Reranker, ids: JsValue, options: JsValue) -> Result<Vec<RankedItem>, JsValue> {
    let o = if options.is_undefined() { None } else { Some(options.unchecked_into::<RerankOptionsArg>()) };
    r.rerank(ids.unchecked_into::<CandidatesArg>(), o).map(de)
}

/// `r.rerankDetailed(ids, options)` decoded.
pub fn rerank_detailed(r: &Reranker, ids: JsValue, options: JsValue) -> Result<Detailed, JsValue> {
    let o = if options.is_undefined() { None } else { Some(options.unchecked_into::<RerankOptionsArg>()) };
    r.rerank_detailed(ids.unchecked_into::<CandidatesArg>(), o).map(de)
}

/// `r.recommend(n, options)` decoded.
pub fn recommend(r: &Reranker, n: f64, options: JsValue) -> Result<Vec<RankedItem>, JsValue> {
    let o = if options.is_undefined() { None } else { Some(options.unchecked_into::<RecommendOptionsArg>()) };
    r.recommend(n.into(), o).map(de)
}

/// `r.history()` decoded.
pub fn history(r: &Reranker) -> Vec<HistoryEvent> {
    de(r.history().expect("history"))
}

/// `r.storageInfo()` decoded.
pub fn storage_info(r: &Reranker) -> StorageInfo {
    de(r.storage_info().expect("storageInfo"))
}

/// The `code` property of a thrown value (panics if it is not a `RecofuseError` with a code).
pub fn code(err: &JsValue) -> String {
    assert!(is_recofuse_error(err), "thrown value is a RecofuseError: {err:?}");
    Reflect::get(err, &JsValue::from_str("code")).ok().and_then(|c| c.as_string()).expect("error has a string code")
}

/// `err instanceof RecofuseError && err instanceof Error && err.name === "RecofuseError"`, with the class
/// exported to JavaScript.
pub fn is_recofuse_error(err: &JsValue) -> bool {
    let class = recofuse::RecofuseError::class().expect("the exported class");
    let check =
        js_sys::Function::new_with_args("e, C", "return e instanceof C && e instanceof Error && e.name === C.name");
    check.call2(&JsValue::NULL, err, &class).is_ok_and(|r| r.is_truthy())
}

/// Checks that `err` looks like any JS error: `String(err)` is `RecofuseError: <message>`, it has a
/// `stack`, and it is an `Error` object (`[object Error]`).
pub fn assert_error_shape(err: &JsValue) {
    let facts = js_sys::Function::new_with_args(
        "e",
        "return [String(e), Object.prototype.toString.call(e), typeof e.stack, e.message.length > 0].join('|')",
    );
    let facts = facts.call1(&JsValue::NULL, err).ok().and_then(|f| f.as_string()).unwrap_or_default();
    assert_eq!(facts, format!("RecofuseError: {}|[object Error]|string|true", message(err)));
}

/// The `message` of a thrown error.
pub fn message(err: &JsValue) -> String {
    Reflect::get(err, &JsValue::from_str("message")).ok().and_then(|m| m.as_string()).unwrap_or_default()
}

/// The `code` of the error of a failed call.
pub fn err_code<T>(r: Result<T, JsValue>) -> String {
    match r {
        Ok(_) => panic!("expected an error, got a value"),
        Err(e) => code(&e),
    }
}

/// Awaits a `Promise`-returning API call.
pub async fn wait(p: impl Into<JsValue>) -> Result<JsValue, JsValue> {
    wasm_bindgen_futures::JsFuture::from(p.into().unchecked_into::<js_sys::Promise>()).await
}

/// A `Float32Array` from values.
pub fn f32s(values: &[f32]) -> JsValue {
    Float32Array::from(values).into()
}

/// Ids `item-{i}` for the given indices.
pub fn ids(indices: &[usize]) -> Vec<String> {
    indices.iter().map(|i| format!("item-{i}")).collect()
}

/// A JS array of the given ids.
pub fn id_array(ids: &[String]) -> JsValue {
    ids.iter().map(|s| JsValue::from_str(s)).collect::<Array>().into()
}

/// Checks the invariants of a full ranking of `input`: every candidate exactly once, unknown ids (not
/// `item-*` below `n_items`) after every known one.
pub fn assert_complete(ranked: &[RankedItem], input: &[String], known: impl Fn(&str) -> bool) {
    assert_eq!(ranked.len(), input.len(), "every candidate comes back");
    let mut got: Vec<&str> = ranked.iter().map(|r| r.item.as_str()).collect();
    let mut want: Vec<&str> = input.iter().map(String::as_str).collect();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want);
    let first_unknown = ranked.iter().position(|r| !known(&r.item)).unwrap_or(ranked.len());
    assert!(ranked[first_unknown..].iter().all(|r| !known(&r.item)), "unknown ids come last: {ranked:?}");
}
