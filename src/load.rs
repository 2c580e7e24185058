//! Getting a bundle: the download of `fromUrl`, the `integrity` check, the engine's validation, and the
//! header facts kept for `bundleInfo()`.

use std::collections::BTreeMap;

use js_sys::{Promise, Uint8Array};
use recofuse_core::Engine;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::error::{codes, describe, FacadeError, Result};
use crate::integrity;

#[wasm_bindgen]
extern "C" {
    /// The global `fetch` (window, worker or Node).
    #[wasm_bindgen(catch, js_name = fetch)]
    fn global_fetch(url: &str) -> std::result::Result<Promise, JsValue>;
}

/// Header facts about the loaded bundle, for `bundleInfo()`.
#[derive(Debug, Clone)]
pub struct BundleMeta {
    /// Bundle format version.
    pub format_version: u32,
    /// Number of items.
    pub items: usize,
    /// Signals the bundle can feed.
    pub scorers: Vec<String>,
    /// Hex SHA-256 of the data section.
    pub sha256: String,
    /// SRI hash of the whole file.
    pub integrity: String,
    /// File size in bytes.
    pub bytes: usize,
    /// Provenance written by the trainer.
    pub info: BTreeMap<String, String>,
}

/// Checks `bytes` against the `integrity` option, if any, and validates them into an engine.
pub fn open(bytes: Vec<u8>, integrity: Option<&str>) -> Result<(Engine, BundleMeta)> {
    let digest = integrity::sha256(&bytes);
    if let Some(expected) = integrity {
        integrity::check(expected, &digest)?;
    }
    let (engine, summary) = Engine::from_bundle_with_summary(bytes)?;
    let meta = BundleMeta {
        format_version: summary.format_version,
        items: summary.items,
        scorers: summary.scorers,
        sha256: summary.sha256,
        integrity: integrity::integrity_string(&digest),
        bytes: summary.bytes,
        info: summary.info,
    };
    Ok((engine, meta))
}

/// Downloads `url` with the global `fetch` (nothing but the URL is sent); a network error or a status
/// other than 2xx is `FETCH_FAILED` (with the status).
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>> {
    let failed = |why: String| FacadeError::new(codes::FETCH_FAILED, format!("could not fetch {url}: {why}"));
    let promise = global_fetch(url).map_err(|e| failed(describe(&e)))?;
    let response: web_sys::Response = JsFuture::from(promise).await.map_err(|e| failed(describe(&e)))?.unchecked_into();
    if !response.ok() {
        let mut e = failed(format!("HTTP {} {}", response.status(), response.status_text()));
        e.status = Some(response.status());
        return Err(e);
    }
    let body = response.array_buffer().map_err(|e| failed(describe(&e)))?;
    let buffer = JsFuture::from(body).await.map_err(|e| failed(describe(&e)))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}
