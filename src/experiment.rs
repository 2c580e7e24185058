//! A/B experiments on the device (issue 18): which arm this device is in, what the shopper did in it, and
//! a report the store may collect without learning anyone's history.
//!
//! The work is in `src/glue.js` (class `RfLab`): little of it needs Rust, and the WebAssembly module is
//! kept under its size budget. This module is the typed boundary:
//!
//! - **Arm**: the first 32 bits of a hash of (the device's A/B seed, the namespace, the experiment name)
//!   read as a number in `[0, 1)`, split by the arms' weights: stable per namespace and experiment, an
//!   independent draw for each experiment name.
//! - **Outcomes**: impressions, clicks (with the 1-based position of the clicked item in the last
//!   impression), carts and purchases per experiment and arm, appended as rows under `<ns>/outcomes` by the
//!   same cross-tab merge as the history ([`crate::storage::Storage::append`]), paused and cleared with it.
//! - **Report**: the arm, the period (UTC days) and three bits (clicked, carted, purchased at least once),
//!   each reported truthfully with probability `e^ε / (1 + e^ε)` and flipped otherwise (randomised response,
//!   ε-local differential privacy per bit; 3ε for the report).

use js_sys::Promise;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/glue.js")]
extern "C" {
    /// The experiments of one reranker (see the module docs).
    pub type RfLab;
    /// A lab for namespace `ns`, with the stored outcome rows and the bundle's experiments; `target` as in
    /// [`RfLab::save`] (the memory backends' rows are kept in `src/glue.js`).
    #[wasm_bindgen(constructor)]
    pub fn new(ns: &str, stored: Option<String>, bundle: JsValue, target: &JsValue) -> RfLab;
    /// `[assignment, ...each arm's options]`, or an error message (a string); nothing changes.
    #[wasm_bindgen(method)]
    pub fn define(this: &RfLab, spec: &JsValue, seed: u32) -> JsValue;
    /// Makes an assignment of [`RfLab::define`] the current one (its outcomes are counted from now on).
    #[wasm_bindgen(method)]
    pub fn enter(this: &RfLab, assignment: &JsValue);
    /// The call's options with the current arm's applied.
    #[wasm_bindgen(method)]
    pub fn options(this: &RfLab, options: &JsValue) -> JsValue;
    /// Counts an impression of `ids`: the number of experiments counted, or an error message.
    #[wasm_bindgen(method)]
    pub fn impression(this: &RfLab, ids: &JsValue, ts: f64) -> JsValue;
    /// Counts an event (`kind`: index of view, click, cart, purchase).
    #[wasm_bindgen(method)]
    pub fn event(this: &RfLab, item: &str, kind: u8, ts: f64);
    /// Writes the new rows to `target` (an `IDBDatabase`, a `Storage`, or null for memory) in the
    /// background.
    #[wasm_bindgen(method)]
    pub fn save(this: &RfLab, target: &JsValue);
    /// Writes the new rows now: resolves when they and `history` (the history's flush) are written.
    #[wasm_bindgen(method)]
    pub fn flush(this: &RfLab, target: &JsValue, history: &Promise) -> Promise;
    /// Forgets every row, in memory and in `target`: resolves when that and `history` (the history's
    /// removal) are done.
    #[wasm_bindgen(method)]
    pub fn clear(this: &RfLab, target: &JsValue, history: &Promise) -> Promise;
    /// Sets `list.experiments` to the counters.
    #[wasm_bindgen(method)]
    pub fn attach(this: &RfLab, list: &JsValue);
    /// The counters, one object per experiment and arm.
    #[wasm_bindgen(method)]
    pub fn counters(this: &RfLab) -> JsValue;
    /// The report of experiment `name`, or an error message; throws without a random source.
    #[wasm_bindgen(method, catch)]
    pub fn report(this: &RfLab, name: &JsValue, options: &JsValue, now: f64) -> Result<JsValue, JsValue>;
    /// The experiments of a bundle's `fusion` config, read from its header.
    #[wasm_bindgen(js_name = rfBundleExperiments)]
    pub fn bundle_experiments(bytes: &[u8]) -> js_sys::Array;
}
