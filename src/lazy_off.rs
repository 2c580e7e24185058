//! Bundles in pieces are not in this build (the `pieces` feature is off, to keep the module small):
//! `lazy: true` is `BAD_ARGUMENT`, `prepare` resolves with 0, `pending` is empty and
//! `storageInfo().shards` is null. See `src/lazy.rs` for the real thing.

use std::rc::Rc;

use recofuse_core::{Engine, Model};
use wasm_bindgen::prelude::*;

use crate::Reranker;

/// Never built without the `pieces` feature.
pub enum Lazy {}

impl Lazy {
    /// Nothing to take.
    pub fn take_model(&self) -> Option<Model> {
        match *self {}
    }
}

/// Nothing to fetch.
pub fn in_background(_lazy: &Option<Rc<Lazy>>, _id: &str) {}

/// `pending` stays empty (`src/glue.js` sets it).
pub fn add_pending(_result: &js_sys::Object, _lazy: &Option<Rc<Lazy>>) {}

/// `shards` stays null (`src/glue.js` sets it).
pub fn add_info(_result: &js_sys::Object, _lazy: &Option<Rc<Lazy>>) {}

/// Never called.
pub fn recommend_candidates(l: &Lazy, _engine: &Engine) -> Vec<String> {
    match *l {}
}

#[wasm_bindgen]
impl Reranker {
    /// Fetches the rows that a rerank of `ids` needs, for a bundle loaded with `lazy: true` (this build has
    /// no bundles in pieces: resolves with 0).
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn prepare(&self, _ids: crate::IdListArg) -> js_sys::Promise {
        js_sys::Promise::resolve(&JsValue::from(0))
    }
}
