//! `FREED`: a method of an instance called after its `free()` throws a [`crate::RecofuseError`] with the
//! code `FREED` instead of wasm-bindgen's bare `Error("null pointer passed to rust")`.
//!
//! wasm-bindgen's `free()` zeroes the JavaScript object's pointer, and the generated method then passes
//! that null pointer to Rust, which throws before any code of ours runs. So the check is made in
//! JavaScript, once per class: the first [`guard`] wraps every method and getter of the prototypes of
//! `Reranker` and `CandidateSet` (not the internals) with a check of the pointer (`src/glue.js`,
//! `rfGuard`); a second `free()` does nothing. Free functions of the module are not concerned.

use std::cell::Cell;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::{codes, FacadeError};
use crate::Reranker;

#[wasm_bindgen(module = "/src/glue.js")]
extern "C" {
    /// Wraps the methods of `instance`'s prototype (once per prototype) so that they throw a
    /// `RecofuseError` with `code` and `message` on a freed instance.
    #[wasm_bindgen(js_name = rfGuard)]
    fn js_guard(instance: &JsValue, message: &str, code: &str);
}

thread_local! {
    /// Whether the classes are guarded (and the error class's prototype handed to the snippet, where the
    /// wrappers build their errors without calling into Rust).
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

#[wasm_bindgen]
extern "C" {
    /// A `Reranker` on the JavaScript side (its methods guarded).
    #[wasm_bindgen(typescript_type = "Reranker")]
    pub type RerankerObject;
}

/// Makes the methods of `Reranker` and `CandidateSet` throw `FREED` once an instance is freed (the first
/// call does it; later ones cost a property lookup); returns the reranker as a JavaScript object.
pub fn guard(reranker: Reranker) -> RerankerObject {
    let instance = JsValue::from(reranker);
    if !GUARDED.with(|r| r.replace(true)) {
        // Converting one error hands the RecofuseError prototype to the snippet.
        let _ = JsValue::from(FacadeError::new(codes::FREED, ""));
        let message = "this instance was freed (free() was called); create a new one";
        js_guard(&instance, message, codes::FREED);
        // An empty set, only for its prototype (freed by its finalizer).
        js_guard(&JsValue::from(crate::candidates::probe_set()), message, codes::FREED);
    }
    instance.unchecked_into()
}
