//! Candidate sets: a candidate list resolved once (`r.candidates(ids)`), reranked many times
//! (`r.rerank(set, …)`), so that a shelf reranked after every click pays for crossing the ids into wasm,
//! decoding them and looking them up once.
//!
//! A [`CandidateSet`] keeps a frozen copy of the caller's array (the results' `item`s come from it) and
//! the item index of every position (unknown ids keep their positions, as in `rerank(ids)`). It records
//! which reranker resolved it: used with another reranker (another bundle), its ids are resolved again
//! on each call, so the result is always that reranker's `rerank(ids, …)`; only the saving is lost.
//! `free()` releases it (a set also stays usable after its reranker is freed).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Array;
use recofuse_core::Engine;
use wasm_bindgen::prelude::*;

use crate::error::{FacadeError, Result};

thread_local! {
    /// Live sets by key (the key crosses from JavaScript; a stale or forged key finds nothing). A page
    /// holds a few (one per shelf), so a list is enough (and smaller in the module than a map).
    static SETS: RefCell<Vec<(u32, Rc<SetData>)>> = const { RefCell::new(Vec::new()) };
    static NEXT_KEY: Cell<u32> = const { Cell::new(1) };
    static NEXT_EPOCH: Cell<u64> = const { Cell::new(1) };
}

/// A new reranker serial.
pub(crate) fn next_epoch() -> u64 {
    NEXT_EPOCH.with(|e| {
        let v = e.get();
        e.set(v + 1);
        v
    })
}

/// What a set holds.
pub(crate) struct SetData {
    /// The serial of the reranker that resolved it.
    pub epoch: u64,
    /// The resolved indices.
    pub set: recofuse_core::CandidateSet,
    /// A copy of the caller's array.
    pub src: Array,
}

/// Candidate ids resolved once by `Reranker.candidates(ids)`; pass it to `rerank`, `rerankDetailed` or
/// `rerankTyped` instead of the array. Call `free()` when the shelf goes away.
#[wasm_bindgen]
pub struct CandidateSet {
    key: u32,
    len: usize,
}

impl Drop for CandidateSet {
    fn drop(&mut self) {
        // try_with: nothing to do while the thread's storage is being torn down.
        let _ = SETS.try_with(|s| s.try_borrow_mut().map(|mut s| s.retain(|(k, _)| *k != self.key)));
    }
}

#[wasm_bindgen]
impl CandidateSet {
    /// Number of candidates (known and unknown).
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.len
    }

    /// The key by which `rerank` finds the set (internal).
    #[wasm_bindgen(getter, js_name = __rfKey, skip_typescript)]
    pub fn key(&self) -> u32 {
        self.key
    }
}

impl CandidateSet {
    /// Resolves `ids` (already converted) with `engine`; `src` is the caller's array.
    pub(crate) fn new(engine: &Engine, epoch: u64, ids: &[String], src: &Array) -> CandidateSet {
        // Keys are never 0 and skip those still in use after a wrap-around.
        let data = SetData { epoch, set: engine.candidate_set(ids), src: src.slice(0, src.length()) };
        let key = NEXT_KEY.with(|k| loop {
            let key = k.get();
            k.set(key.wrapping_add(1).max(1));
            if SETS.with(|s| s.borrow().iter().all(|(used, _)| *used != key)) {
                break key;
            }
        });
        SETS.with(|s| s.borrow_mut().push((key, Rc::new(data))));
        CandidateSet { key, len: ids.len() }
    }
}

/// An empty set not in the registry: [`crate::freed::guard`] needs one for the class's prototype.
pub(crate) fn probe_set() -> CandidateSet {
    CandidateSet { key: 0, len: 0 }
}

/// The set behind a JavaScript value, if it is a live `CandidateSet`; `Ok(None)` for anything else
/// (an array is converted by the caller). A freed set is `FREED`.
pub(crate) fn lookup(value: &JsValue) -> Result<Option<Rc<SetData>>> {
    if !value.is_object() || Array::is_array(value) {
        return Ok(None);
    }
    let freed = || FacadeError::new(crate::error::codes::FREED, "the candidate set was freed");
    // The getter of a freed set throws.
    let key = js_sys::Reflect::get(value, &JsValue::from_str("__rfKey")).map_err(|_| freed())?;
    let Some(key) = key.as_f64() else {
        return Ok(None);
    };
    SETS.with(|s| s.borrow().iter().find(|(k, _)| f64::from(*k) == key).map(|(_, d)| Rc::clone(d)))
        .map(Some)
        .ok_or_else(freed)
}
