//! The JS API in headless Chromium (`wasm-pack test --headless --chrome`): IndexedDB and localStorage
//! persistence across "reloads" (a new instance on the same namespace), recovery from corrupt stored
//! history, fetch failures and coded errors.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use recofuse::storage::{Storage, StoragePreference};
use recofuse::Reranker;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const N: usize = 200;

#[wasm_bindgen_test]
async fn auto_storage_is_indexeddb_in_a_browser() {
    let r = from_bytes(&bundle(N, 7), load_opts(&unique_ns("auto"), "auto")).await.unwrap();
    assert_eq!(storage_info(&r).backend, "indexeddb");
    let r = from_bytes(&bundle(N, 7), load_opts(&unique_ns("ls"), "localstorage")).await.unwrap();
    assert_eq!(storage_info(&r).backend, "localstorage");
}

async fn survives_reload(backend: &str) {
    let ns = unique_ns(backend);
    let r = from_bytes(&bundle(N, 7), load_opts(&ns, backend)).await.unwrap();
    record(&r, "item-1", "view", Some(1_000.0)).unwrap();
    record(&r, "item-2", "click", Some(2_000.0)).unwrap();
    record(&r, "item-3", "purchase", None).unwrap();
    let bucket = r.ab_bucket(Some(1_000_000.0.into())).unwrap();
    wait(r.flush()).await.unwrap();
    let before = history(&r);
    let ranked = rerank(&r, id_array(&ids(&(0..50).collect::<Vec<_>>())), JsValue::UNDEFINED).unwrap();
    drop(r);

    let r = from_bytes(&bundle(N, 7), load_opts(&ns, backend)).await.unwrap();
    assert_eq!(storage_info(&r).backend, backend);
    assert_eq!(history(&r), before, "history loaded back from {backend}");
    assert_eq!(r.ab_bucket(Some(1_000_000.0.into())).unwrap(), bucket, "A/B bucket stable across reloads");
    let again = rerank(&r, id_array(&ids(&(0..50).collect::<Vec<_>>())), JsValue::UNDEFINED).unwrap();
    assert_eq!(again.iter().map(|x| &x.item).collect::<Vec<_>>(), ranked.iter().map(|x| &x.item).collect::<Vec<_>>());
}

#[wasm_bindgen_test]
async fn history_survives_a_reload_in_indexeddb() {
    survives_reload("indexeddb").await;
}

#[wasm_bindgen_test]
async fn history_survives_a_reload_in_localstorage() {
    survives_reload("localstorage").await;
}

#[wasm_bindgen_test]
async fn background_writes_land_without_flush() {
    let ns = unique_ns("bg");
    let r = from_bytes(&bundle(N, 7), load_opts(&ns, "indexeddb")).await.unwrap();
    for i in 0..20 {
        record(&r, &format!("item-{i}"), "view", Some(1_000.0 + f64::from(i))).unwrap();
    }
    // flush() writes the latest snapshot after any background write already queued.
    wait(r.flush()).await.unwrap();
    drop(r);
    let store = Storage::open(StoragePreference::IndexedDb).await.unwrap();
    let text = store.get(&format!("{ns}/history")).await.unwrap().unwrap();
    assert_eq!(text.lines().count(), 21, "header plus 20 events: {text}");
}

#[wasm_bindgen_test]
async fn a_new_bundle_version_keeps_the_history() {
    let ns = unique_ns("version");
    let r = from_bytes(&bundle(N, 7), load_opts(&ns, "indexeddb")).await.unwrap();
    record(&r, "item-5", "cart", Some(5.0)).unwrap();
    wait(r.flush()).await.unwrap();
    drop(r);
    let r = from_bytes(&bundle(N * 2, 99), load_opts(&ns, "indexeddb")).await.unwrap();
    assert_eq!(history(&r).len(), 1);
}

#[wasm_bindgen_test]
async fn a_corrupt_record_in_indexeddb_is_dropped_and_the_rest_kept() {
    let ns = unique_ns("corrupt");
    let store = Storage::open(StoragePreference::IndexedDb).await.unwrap();
    let key = format!("{ns}/history");
    let text = "recofuse-history 1\n{\"t\":1,\"k\":\"view\",\"i\":\"item-1\"}\n{\"t\":\"yesterday\"\n{\"t\":3,\"k\":\"click\",\"i\":\"item-3\"}\n";
    store.set(&key, text).await.unwrap();
    let r = from_bytes(&bundle(N, 7), load_opts(&ns, "indexeddb")).await.unwrap();
    let h = history(&r);
    assert_eq!(h.iter().map(|e| e.item.as_str()).collect::<Vec<_>>(), ["item-1", "item-3"]);
    let info = storage_info(&r);
    assert_eq!(info.recovered.dropped, 1);
    assert!(info.recovered.reasons[0].starts_with("line 3"), "{:?}", info.recovered.reasons);
    let cleaned = store.get(&key).await.unwrap().unwrap();
    assert!(!cleaned.contains("yesterday"), "the cleaned history was written back: {cleaned}");
}

#[wasm_bindgen_test]
async fn an_unreadable_history_is_moved_aside_and_cleared_by_clear_history() {
    let ns = unique_ns("unreadable");
    let store = Storage::open(StoragePreference::IndexedDb).await.unwrap();
    store.set(&format!("{ns}/history"), "\u{0}\u{1}binary junk").await.unwrap();
    let r = from_bytes(&bundle(N, 7), load_opts(&ns, "indexeddb")).await.unwrap();
    assert!(history(&r).is_empty());
    let aside = format!("{ns}/history.corrupt");
    assert_eq!(storage_info(&r).recovered.moved_aside.as_deref(), Some(aside.as_str()));
    assert_eq!(store.get(&aside).await.unwrap().as_deref(), Some("\u{0}\u{1}binary junk"));
    record(&r, "item-1", "view", None).unwrap();
    wait(r.clear_history().unwrap()).await.unwrap();
    assert!(history(&r).is_empty());
    assert_eq!(store.get(&aside).await.unwrap(), None, "clearHistory also forgets the moved-aside copy");
    assert_eq!(store.get(&format!("{ns}/history")).await.unwrap(), None);
}

#[wasm_bindgen_test]
async fn pause_is_remembered_across_reloads() {
    let ns = unique_ns("pause");
    let r = from_bytes(&bundle(N, 7), load_opts(&ns, "indexeddb")).await.unwrap();
    r.pause().unwrap();
    wait(r.flush()).await.unwrap();
    drop(r);
    let r = from_bytes(&bundle(N, 7), load_opts(&ns, "indexeddb")).await.unwrap();
    assert!(r.is_paused().unwrap());
    assert!(!record(&r, "item-1", "view", None).unwrap());
    r.resume().unwrap();
    assert!(record(&r, "item-1", "view", None).unwrap());
}

#[wasm_bindgen_test]
async fn bad_bytes_throw_errors_with_codes_in_the_browser() {
    let opts = || load_opts(&unique_ns("bad"), "indexeddb");
    assert_eq!(err_code(from_bytes(&[], opts()).await), "BUNDLE_TRUNCATED");
    assert_eq!(err_code(from_bytes(&[0xff; 7], opts()).await), "BUNDLE_TRUNCATED");
    let mut bad_header = 8u64.to_le_bytes().to_vec();
    bad_header.extend_from_slice(b"[1,2,3] ");
    assert_eq!(err_code(from_bytes(&bad_header, opts()).await), "BUNDLE_BAD_HEADER");
    let err = from_bytes(&[1, 2, 3], opts()).await.err().unwrap();
    assert!(is_recofuse_error(&err));
    assert_error_shape(&err);
    let r = from_bytes(&bundle(N, 7), opts()).await.unwrap();
    let sync = rerank(&r, id_array(&ids(&[1])), obj(&[("stock", "filter".into()), ("inStockOnly", true.into())]));
    let sync = sync.unwrap_err();
    assert_eq!(code(&sync), "BAD_ARGUMENT");
    assert_error_shape(&sync);
}

#[wasm_bindgen_test]
async fn fetch_failures_carry_the_http_status() {
    let missing = Reranker::from_url("/no/such/bundle.bin".into(), None).await;
    let err = missing.expect_err("404 is an error");
    assert_eq!(code(&err), "FETCH_FAILED");
    let status = js_sys::Reflect::get(&err, &"status".into()).unwrap().as_f64();
    assert_eq!(status, Some(404.0));
}
