//! The JS API under Node.js (`wasm-pack test --node`): no IndexedDB, no localStorage, so the history
//! lives in the page-wide memory backend. Everything is called exactly as exported to JavaScript.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use js_sys::{Array, Reflect};
use recofuse::options::LoadOptions;
use recofuse::storage::{Storage, StoragePreference};
use recofuse::Reranker;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

const N: usize = 200;

fn known(id: &str) -> bool {
    id.strip_prefix("item-").and_then(|n| n.parse::<usize>().ok()).is_some_and(|n| n < N)
}

async fn fresh(prefix: &str) -> Reranker {
    from_bytes(&bundle(N, 7), load_opts(&unique_ns(prefix), "auto")).await.expect("bundle loads")
}

#[wasm_bindgen_test]
async fn loads_with_the_memory_backend_and_describes_the_bundle() {
    let bytes = bundle(N, 7);
    let r = from_bytes(&bytes, JsValue::UNDEFINED).await.expect("loads without options");
    assert_eq!(storage_info(&r).backend, "memory");
    let info: BundleInfo = de(r.bundle_info());
    assert_eq!(info.format_version, 1);
    assert_eq!(info.items, N);
    assert_eq!(info.bytes, bytes.len());
    assert!(info.scorers.iter().any(|s| s == "itemcf"), "{:?}", info.scorers);
    assert_eq!(info.sha256.len(), 64);
    assert_eq!(info.integrity, recofuse::integrity::integrity_string(&recofuse::integrity::sha256(&bytes)));
}

#[wasm_bindgen_test]
async fn rerank_returns_every_candidate_with_unknown_ids_last() {
    let r = fresh("every").await;
    assert!(record(&r, "item-3", "click", None).unwrap());
    assert!(record(&r, "item-11", "cart", None).unwrap());
    let mut input = ids(&[10, 3, 42, 19, 27, 35, 0, 8]);
    input.insert(2, "no-such-item".into());
    input.push("another-unknown".into());
    let ranked = rerank(&r, id_array(&input), JsValue::UNDEFINED).unwrap();
    assert_complete(&ranked, &input, known);
    assert!(ranked.iter().all(|x| x.contributions.is_none()), "no contributions without explain");

    let d = rerank_detailed(&r, id_array(&input), JsValue::UNDEFINED).unwrap();
    assert_eq!(d.ranked, ranked);
    assert_eq!(d.unknown, ["no-such-item", "another-unknown"]);
    assert!(d.filtered.is_empty() && d.excluded_seen.is_empty());
}

#[wasm_bindgen_test]
async fn numbers_are_accepted_as_ids_and_stringified() {
    let r = fresh("numbers").await;
    let input: Array = [JsValue::from(42), JsValue::from_str("item-1"), JsValue::from_f64(1.5)].into_iter().collect();
    let ranked = rerank(&r, input.into(), JsValue::UNDEFINED).unwrap();
    let mut got: Vec<String> = ranked.into_iter().map(|x| x.item).collect();
    got.sort();
    assert_eq!(got, ["1.5", "42", "item-1"]);
    let bad: Array = [JsValue::from_str("item-1"), JsValue::TRUE].into_iter().collect();
    assert_eq!(err_code(rerank(&r, bad.into(), JsValue::UNDEFINED)), "BAD_ARGUMENT");
    assert_eq!(err_code(rerank(&r, JsValue::from_str("item-1"), JsValue::UNDEFINED)), "BAD_ARGUMENT");
}

#[wasm_bindgen_test]
async fn unusual_candidate_lists_take_the_element_by_element_path_with_the_same_results() {
    // The usual list crosses joined by U+0000; a list where that cannot work is converted element by
    // element, with the same ranking and the caller's own strings as `item`s.
    let r = fresh("paths").await;
    assert!(record(&r, "item-3", "click", None).unwrap());
    let plain = ids(&[10, 3, 42, 19]);
    let mut odd = plain.clone();
    odd.push("with\u{0}nul".into());
    let a = rerank(&r, id_array(&plain), JsValue::UNDEFINED).unwrap();
    let b = rerank(&r, id_array(&odd), JsValue::UNDEFINED).unwrap();
    assert_eq!(b.len(), 5);
    assert_eq!(b[..4], a[..], "known candidates rank the same on both paths");
    assert_eq!(b[4].item, "with\u{0}nul");
    assert!(rerank(&r, Array::new().into(), JsValue::UNDEFINED).unwrap().is_empty());
    for bad in [JsValue::from_f64(f64::NAN), JsValue::from_f64(f64::INFINITY), JsValue::NULL, JsValue::UNDEFINED] {
        let list: Array = [JsValue::from_str("item-1"), bad].into_iter().collect();
        let e = rerank(&r, list.into(), JsValue::UNDEFINED).unwrap_err();
        assert_eq!(code(&e), "BAD_ARGUMENT");
        let msg = Reflect::get(&e, &"message".into()).unwrap().as_string().unwrap_or_default();
        assert!(msg.contains("ids[1]"), "the error names the element: {msg}");
    }
}

#[wasm_bindgen_test]
async fn explain_contributions_sum_to_the_weighted_score() {
    let r = fresh("explain").await;
    for (i, kind) in [(5, "view"), (13, "click"), (21, "purchase")] {
        record(&r, &format!("item-{i}"), kind, None).unwrap();
    }
    let input = ids(&(0..40).collect::<Vec<_>>());
    let server: Vec<f32> = (0..40).map(|i| (i % 7) as f32).collect();
    let opts = obj(&[("explain", true.into()), ("method", "weighted".into()), ("serverScores", f32s(&server))]);
    let ranked = rerank(&r, id_array(&input), opts).unwrap();
    assert_eq!(ranked.len(), 40);
    for x in &ranked {
        let c = x.contributions.as_ref().expect("contributions with explain");
        for s in ["itemcf", "seq", "usercf", "embedding", "content", "popularity", "server", "neural"] {
            assert!(c.contains_key(s), "contribution {s} present (possibly null)");
        }
        let sum: f64 = c.values().flatten().sum();
        let score = x.score.expect("known items with server scores have a score");
        assert!((sum - score).abs() <= 1e-4 * score.abs().max(1.0), "{} sums to {sum}, score {score}", x.item);
    }
    let scores: Vec<f64> = ranked.iter().filter_map(|x| x.score).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "best first: {scores:?}");
}

#[wasm_bindgen_test]
async fn server_scores_are_checked_and_nan_means_missing() {
    let r = fresh("server").await;
    let input = ids(&[1, 2, 3]);
    let short = obj(&[("serverScores", f32s(&[1.0, 2.0]))]);
    assert_eq!(err_code(rerank(&r, id_array(&input), short)), "BAD_ARGUMENT");
    let with_nan = obj(&[("serverScores", f32s(&[1.0, f32::NAN, 3.0])), ("explain", true.into())]);
    let ranked = rerank(&r, id_array(&input), with_nan).unwrap();
    let item2 = ranked.iter().find(|x| x.item == "item-2").unwrap();
    assert_eq!(item2.contributions.as_ref().unwrap()["server"], None, "NaN server score is missing");
    let item3 = ranked.iter().find(|x| x.item == "item-3").unwrap();
    assert!(item3.contributions.as_ref().unwrap()["server"].is_some());
    // A plain array works too.
    let arr = obj(&[("serverScores", Array::of3(&1.into(), &JsValue::NULL, &3.into()).into())]);
    assert_eq!(rerank(&r, id_array(&input), arr).unwrap().len(), 3);
}

#[wasm_bindgen_test]
async fn options_are_validated_with_stable_codes() {
    let r = fresh("options").await;
    let input = id_array(&ids(&[1, 2, 3]));
    let cases: [(JsValue, &str); 8] = [
        (obj(&[("exludeSeen", true.into())]), "BAD_ARGUMENT"),
        (obj(&[("k", (-1).into())]), "BAD_ARGUMENT"),
        (obj(&[("k", 1.5.into())]), "BAD_ARGUMENT"),
        (obj(&[("explain", "yes".into())]), "BAD_ARGUMENT"),
        (obj(&[("method", "bogus".into())]), "INVALID_INPUT"),
        (obj(&[("normalization", "nope".into())]), "INVALID_INPUT"),
        (obj(&[("weights", obj(&[("itemcf", (-1).into())]))]), "INVALID_INPUT"),
        (obj(&[("weights", obj(&[("bogus", 1.into())]))]), "BAD_ARGUMENT"),
    ];
    for (opts, want) in cases {
        assert_eq!(err_code(rerank(&r, input.clone(), opts)), want);
    }
    let ok = obj(&[
        ("k", 2.into()),
        ("method", "rrf".into()),
        ("normalization", "rank".into()),
        ("weights", obj(&[("itemcf", 2.into()), ("server", 0.into())])),
        ("diversity", 0.7.into()),
        ("pins", Array::of1(&obj(&[("item", "item-3".into()), ("position", 0.into())])).into()),
    ]);
    let ranked = rerank(&r, input, ok).unwrap();
    assert_eq!(ranked.len(), 2);
    assert_eq!(ranked[0].item, "item-3");
    assert!(ranked[0].pinned);
}

#[wasm_bindgen_test]
async fn stock_rules_and_exclude_seen_report_what_they_remove() {
    let r = fresh("stock").await;
    let input = ids(&(0..N).collect::<Vec<_>>());
    record(&r, "item-4", "view", None).unwrap();
    let d = rerank_detailed(&r, id_array(&input), obj(&[("stock", "filter".into()), ("excludeSeen", true.into())]))
        .unwrap();
    assert_eq!(d.excluded_seen, ["item-4"]);
    assert!(!d.filtered.is_empty(), "the demo catalog has out-of-stock items");
    assert_eq!(d.ranked.len() + d.filtered.len() + d.excluded_seen.len(), N);
    let demoted = rerank(&r, id_array(&input), obj(&[("stock", "demote".into())])).unwrap();
    assert_eq!(demoted.len(), N);
    // item-4 (seen, so not in `filtered`) may be out of stock too.
    let tail: Vec<&str> = demoted[N - d.filtered.len() - 1..].iter().map(|x| x.item.as_str()).collect();
    for id in &d.filtered {
        assert!(tail.contains(&id.as_str()), "out-of-stock {id} demoted to the end");
    }
    let kept = rerank(&r, id_array(&input), obj(&[("stock", "keep".into())])).unwrap();
    assert_eq!(kept, rerank(&r, id_array(&input), JsValue::UNDEFINED).unwrap(), "keep is the default");
    assert_ne!(kept, demoted, "demote moves out-of-stock items");
    let recs = recommend(&r, N as f64, obj(&[("stock", "filter".into())])).unwrap();
    assert!(recs.iter().all(|x| !d.filtered.contains(&x.item)), "recommend filters out-of-stock items too");
}

#[wasm_bindgen_test]
async fn the_deprecated_stock_booleans_still_work_and_never_mix_with_stock() {
    let r = fresh("stock-old").await;
    let input = id_array(&ids(&(0..N).collect::<Vec<_>>()));
    let with = |pairs: &[(&str, JsValue)]| rerank_detailed(&r, input.clone(), obj(pairs));
    let filter = with(&[("stock", "filter".into())]).unwrap();
    let demote = with(&[("stock", "demote".into())]).unwrap();
    let keep = with(&[("stock", "keep".into())]).unwrap();
    assert_eq!(with(&[("inStockOnly", true.into())]).unwrap(), filter);
    assert_eq!(with(&[("demoteOutOfStock", true.into())]).unwrap(), demote);
    assert_eq!(with(&[("inStockOnly", false.into()), ("demoteOutOfStock", false.into())]).unwrap(), keep);
    assert_eq!(
        with(&[("inStockOnly", true.into()), ("demoteOutOfStock", true.into())]).unwrap(),
        filter,
        "inStockOnly wins"
    );
    // stock together with either old name, whatever the values: BAD_ARGUMENT naming both.
    for old in ["inStockOnly", "demoteOutOfStock"] {
        for value in [true, false] {
            let e = with(&[("stock", "filter".into()), (old, value.into())]).unwrap_err();
            assert_eq!(code(&e), "BAD_ARGUMENT");
            assert!(message(&e).contains("stock") && message(&e).contains(old), "{}", message(&e));
        }
    }
    assert_eq!(err_code(with(&[("stock", "drop".into())])), "INVALID_INPUT");
    assert_eq!(err_code(with(&[("stock", true.into())])), "BAD_ARGUMENT");
    assert_eq!(err_code(with(&[("inStockOnly", "yes".into())])), "BAD_ARGUMENT");
}

#[wasm_bindgen_test]
async fn recommend_rejects_the_options_it_does_not_use() {
    let r = fresh("recommend-keys").await;
    for (key, value) in [("k", JsValue::from(3)), ("serverScores", f32s(&[1.0]))] {
        let e = recommend(&r, 5.0, obj(&[(key, value)])).unwrap_err();
        assert_eq!(code(&e), "BAD_ARGUMENT");
        assert!(message(&e).contains(&format!("\"{key}\"")), "the error names {key}: {}", message(&e));
    }
    // Every option it does use is accepted.
    let all = obj(&[
        ("method", "weighted".into()),
        ("normalization", "rank".into()),
        ("weights", obj(&[("itemcf", 2.into())])),
        ("explain", true.into()),
        ("excludeSeen", false.into()),
        ("stock", "demote".into()),
        ("pins", Array::of1(&obj(&[("item", "item-7".into()), ("position", 0.into())])).into()),
        ("diversity", 0.8.into()),
    ]);
    let recs = recommend(&r, 5.0, all).unwrap();
    assert_eq!(recs.len(), 5, "n is the count");
    assert_eq!(recs[0].item, "item-7");
}

#[wasm_bindgen_test]
async fn every_error_is_a_recofuse_error() {
    let class = recofuse::RecofuseError::class().expect("class");
    assert_eq!(Reflect::get(&class, &"name".into()).unwrap().as_string().as_deref(), Some("RecofuseError"));
    let r = fresh("class").await;
    // Thrown synchronously, and a rejected promise.
    let sync = rerank(&r, JsValue::from_str("item-1"), JsValue::UNDEFINED).unwrap_err();
    let rejected = from_bytes(&[1, 2, 3], JsValue::UNDEFINED).await.unwrap_err();
    for (e, want) in [(&sync, "BAD_ARGUMENT"), (&rejected, "BUNDLE_TRUNCATED")] {
        assert_eq!(code(e), want);
        assert_error_shape(e);
    }
    // Arguments the generated glue used to turn into TypeErrors or silent coercions.
    let count = |v: JsValue| r.recommend(v.unchecked_into(), None);
    assert_eq!(err_code(count(js_sys::BigInt::from(5u32).into())), "BAD_ARGUMENT");
    assert_eq!(err_code(count(JsValue::from_str("5"))), "BAD_ARGUMENT");
    assert_eq!(
        err_code(r.similar(JsValue::from_str("item-1").unchecked_into(), JsValue::NULL.unchecked_into())),
        "BAD_ARGUMENT"
    );
    assert_eq!(err_code(r.ab_bucket(Some(JsValue::from_str("2").unchecked_into()))), "BAD_ARGUMENT");
    assert_eq!(err_code(Reranker::from_url(JsValue::from(42).unchecked_into(), None).await), "BAD_ARGUMENT");
    // A URL object is a URL.
    let bytes = bundle(20, 5);
    let data = format!("data:application/octet-stream;base64,{}", recofuse::integrity::base64(&bytes));
    let url = js_sys::Function::new_with_args("s", "return new URL(s)").call1(&JsValue::NULL, &data.into()).unwrap();
    assert!(Reranker::from_url(url.unchecked_into(), None).await.is_ok());
}

#[wasm_bindgen_test]
async fn storage_errors_are_recofuse_errors_too() {
    // Node has no localStorage: a stand-in that accepts the probe and refuses every other write.
    let install = js_sys::Function::new_no_args(
        "globalThis.localStorage = { getItem() { return null; }, removeItem() {}, \
         setItem(k) { if (k !== 'recofuse:__probe__') throw new Error('disk on fire'); } };",
    );
    let remove = js_sys::Function::new_no_args("delete globalThis.localStorage;");
    install.call0(&JsValue::NULL).unwrap();
    let r = from_bytes(&bundle(N, 7), load_opts(&unique_ns("failing"), "localstorage")).await;
    let flushed = match &r {
        Ok(r) => {
            record(r, "item-1", "view", None).unwrap();
            wait(r.flush()).await
        }
        Err(_) => Ok(JsValue::UNDEFINED),
    };
    remove.call0(&JsValue::NULL).unwrap();
    let r = r.expect("the stand-in passes the probe");
    let e = flushed.expect_err("flush rejects");
    assert_eq!(code(&e), "STORAGE_FAILED");
    assert!(message(&e).contains("disk on fire"), "{}", message(&e));
    assert_eq!(storage_info(&r).last_error.as_deref(), Some("STORAGE_FAILED"));
    let unavailable = from_bytes(&bundle(10, 1), load_opts(&unique_ns("none"), "localstorage")).await;
    assert_eq!(err_code(unavailable), "STORAGE_UNAVAILABLE");
}

#[wasm_bindgen_test]
async fn record_validates_and_changes_the_next_rerank() {
    let r = fresh("record").await;
    assert_eq!(err_code(record(&r, "item-1", "like", None)), "INVALID_INPUT");
    assert_eq!(err_code(record(&r, "", "view", None)), "INVALID_INPUT");
    assert_eq!(err_code(record(&r, "item-1", "view", Some(f64::NAN))), "INVALID_INPUT");
    assert_eq!(err_code(r.record(obj(&[("kind", "view".into())]).unchecked_into())), "BAD_ARGUMENT");
    assert!(history(&r).is_empty());

    let input = ids(&(0..N).collect::<Vec<_>>());
    let before = rerank(&r, id_array(&input), JsValue::UNDEFINED).unwrap();
    for i in [8, 16, 24, 32] {
        assert!(record(&r, &format!("item-{i}"), "purchase", None).unwrap());
    }
    let after = rerank(&r, id_array(&input), JsValue::UNDEFINED).unwrap();
    assert_ne!(before, after, "the rerank right after record sees the new history");
    let h = history(&r);
    assert_eq!(h.len(), 4);
    assert_eq!(h[3].item, "item-32");
    assert_eq!(h[3].kind, "purchase");
    assert!(h[0].ts > 1.0e12, "ts defaults to Date.now()");

    r.pause().unwrap();
    assert!(r.is_paused().unwrap());
    assert!(!record(&r, "item-9", "click", None).unwrap(), "paused: nothing recorded");
    assert_eq!(history(&r).len(), 4);
    r.resume().unwrap();
    assert!(record(&r, "item-9", "add-to-cart", Some(5.0)).unwrap());
    assert_eq!(history(&r)[0].kind, "cart", "ordered by time; add-to-cart is cart");
}

#[wasm_bindgen_test]
async fn recommend_and_similar_return_scored_items() {
    let r = fresh("recommend").await;
    record(&r, "item-2", "click", None).unwrap();
    let recs = recommend(&r, 10.0, JsValue::UNDEFINED).unwrap();
    assert_eq!(recs.len(), 10);
    assert!(recs.iter().all(|x| x.item != "item-2"), "seen items are excluded by default");
    assert!(recs.iter().all(|x| known(&x.item)));
    let with_seen = recommend(&r, 3.0, obj(&[("excludeSeen", false.into()), ("explain", true.into())])).unwrap();
    assert_eq!(with_seen.len(), 3);
    assert!(with_seen[0].contributions.is_some());
    assert_eq!(err_code(recommend(&r, 3.0, obj(&[("serverScores", f32s(&[1.0]))]))), "BAD_ARGUMENT");

    let sim: Vec<Scored> = de(r.similar(JsValue::from_str("item-2").unchecked_into(), 8.0.into()).unwrap());
    assert!(!sim.is_empty() && sim.len() <= 8);
    assert!(sim.iter().all(|x| x.item != "item-2" && x.score.is_finite()));
    assert_eq!(err_code(r.similar(JsValue::from_str("nope").unchecked_into(), 8.0.into())), "UNKNOWN_ITEM");
    assert_eq!(err_code(r.similar(JsValue::NULL.unchecked_into(), 8.0.into())), "BAD_ARGUMENT");
    assert_eq!(err_code(r.similar(JsValue::from_str("item-2").unchecked_into(), (-1.0).into())), "BAD_ARGUMENT");
    assert_eq!(err_code(recommend(&r, f64::NAN, JsValue::UNDEFINED)), "BAD_ARGUMENT");
}

#[wasm_bindgen_test]
async fn bad_bytes_throw_coded_errors() {
    let opts = || load_opts(&unique_ns("bad"), "memory");
    assert_eq!(err_code(from_bytes(&[1, 2, 3], opts()).await), "BUNDLE_TRUNCATED");
    let mut bad_header = 16u64.to_le_bytes().to_vec();
    bad_header.extend_from_slice(b"{not json at all");
    assert_eq!(err_code(from_bytes(&bad_header, opts()).await), "BUNDLE_BAD_HEADER");
    let mut flipped = bundle(50, 1);
    let last = flipped.len() - 1;
    flipped[last] ^= 0x55;
    assert_eq!(err_code(from_bytes(&flipped, opts()).await), "BUNDLE_CHECKSUM");
    let not_bytes = recofuse::Reranker::from_bytes(JsValue::from_str("x").unchecked_into(), None).await;
    assert_eq!(err_code(not_bytes), "BAD_ARGUMENT");
    let bad_storage = from_bytes(&bundle(10, 1), obj(&[("storage", "cookies".into())])).await;
    assert_eq!(err_code(bad_storage), "BAD_ARGUMENT");
    let unavailable = from_bytes(&bundle(10, 1), obj(&[("storage", "indexeddb".into())])).await;
    assert_eq!(err_code(unavailable), "STORAGE_UNAVAILABLE");
    let err = from_bytes(&[1, 2, 3], opts()).await.err().unwrap();
    let message = Reflect::get(&err, &"message".into()).unwrap().as_string().unwrap();
    assert!(message.contains("truncated"), "{message}");
}

#[wasm_bindgen_test]
async fn integrity_is_checked() {
    let bytes = bundle(30, 2);
    let good = recofuse::integrity::integrity_string(&recofuse::integrity::sha256(&bytes));
    let ns = unique_ns("sri");
    let ok = from_bytes(&bytes, obj(&[("namespace", ns.as_str().into()), ("integrity", good.as_str().into())])).await;
    assert!(ok.is_ok());
    let wrong = obj(&[("integrity", "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into())]);
    assert_eq!(err_code(from_bytes(&bytes, wrong).await), "INTEGRITY_MISMATCH");
    let unsupported = obj(&[("integrity", "md5-abc".into())]);
    assert_eq!(err_code(from_bytes(&bytes, unsupported).await), "BAD_ARGUMENT");
}

#[wasm_bindgen_test]
async fn from_url_fetches_and_reports_failures() {
    let bytes = bundle(30, 3);
    let url = format!("data:application/octet-stream;base64,{}", recofuse::integrity::base64(&bytes));
    let r = Reranker::from_url(url.into(), None).await.expect("data: URL loads");
    assert_eq!(de::<BundleInfo>(r.bundle_info()).items, 30);
    let refused = Reranker::from_url("http://127.0.0.1:9/none.bundle".into(), None).await;
    assert_eq!(err_code(refused), "FETCH_FAILED");
}

#[wasm_bindgen_test]
async fn history_is_kept_per_namespace_across_instances_and_bundle_versions() {
    let ns = unique_ns("reload");
    let r = from_bytes(&bundle(N, 7), load_opts(&ns, "memory")).await.unwrap();
    record(&r, "item-1", "view", Some(1000.0)).unwrap();
    record(&r, "item-2", "purchase", Some(2000.0)).unwrap();
    let bucket = r.ab_bucket(Some(1000.0.into())).unwrap();
    wait(r.flush()).await.unwrap();
    drop(r);
    // Another bundle (a new version of the catalog) under the same namespace: the history stays.
    let r2 = from_bytes(&bundle(N + 50, 8), load_opts(&ns, "memory")).await.unwrap();
    let h = history(&r2);
    assert_eq!(h.iter().map(|e| e.item.as_str()).collect::<Vec<_>>(), ["item-1", "item-2"]);
    assert_eq!(r2.ab_bucket(Some(1000.0.into())).unwrap(), bucket, "A/B bucket stable across instances");
    assert!(r2.ab_bucket(None).unwrap() < 2);
    assert_eq!(err_code(r2.ab_bucket(Some(0.0.into()))), "BAD_ARGUMENT");
    // Other namespaces do not see it.
    let other = from_bytes(&bundle(N, 7), load_opts(&unique_ns("other"), "memory")).await.unwrap();
    assert!(history(&other).is_empty());
}

#[wasm_bindgen_test]
async fn export_and_clear_history() {
    let ns = unique_ns("export");
    let r = from_bytes(&bundle(N, 7), load_opts(&ns, "memory")).await.unwrap();
    record(&r, "item-7", "click", Some(42.0)).unwrap();
    let doc = js_sys::JSON::parse(&r.export_history().unwrap()).unwrap();
    assert_eq!(Reflect::get(&doc, &"namespace".into()).unwrap().as_string().unwrap(), ns);
    let events: Vec<HistoryEvent> = de(Reflect::get(&doc, &"events".into()).unwrap());
    assert_eq!(events, [HistoryEvent { item: "item-7".into(), kind: "click".into(), ts: 42.0 }]);
    wait(r.flush()).await.unwrap();
    wait(r.clear_history().unwrap()).await.unwrap();
    assert!(history(&r).is_empty());
    assert_eq!(Storage::memory().get(&format!("{ns}/history")).await.unwrap(), None, "cleared in storage too");
}

#[wasm_bindgen_test]
async fn corrupt_records_are_dropped_and_unreadable_history_moved_aside() {
    let ns = unique_ns("corrupt");
    let mem = Storage::memory();
    let text = "recofuse-history 1\n{\"t\":1,\"k\":\"view\",\"i\":\"item-1\"}\n{garbage\n{\"t\":2,\"k\":\"zap\",\"i\":\"x\"}\n";
    mem.set(&format!("{ns}/history"), text).await.unwrap();
    let r = from_bytes(&bundle(N, 7), load_opts(&ns, "memory")).await.unwrap();
    assert_eq!(history(&r).len(), 1);
    let info = storage_info(&r);
    assert_eq!(info.recovered.dropped, 2);
    assert_eq!(info.recovered.reasons.len(), 2);
    assert_eq!(info.recovered.moved_aside, None);
    let cleaned = mem.get(&format!("{ns}/history")).await.unwrap().unwrap();
    assert!(!cleaned.contains("garbage") && cleaned.contains("item-1"), "rewritten cleaned: {cleaned}");

    let ns2 = unique_ns("unreadable");
    mem.set(&format!("{ns2}/history"), "recofuse-history 99\nwhatever").await.unwrap();
    let r2 = from_bytes(&bundle(N, 7), load_opts(&ns2, "memory")).await.unwrap();
    assert!(history(&r2).is_empty());
    let info = storage_info(&r2);
    assert_eq!(info.recovered.moved_aside.as_deref(), Some(format!("{ns2}/history.corrupt").as_str()));
    assert!(info.recovered.reasons[0].contains("version"), "{:?}", info.recovered.reasons);
    let aside = mem.get(&format!("{ns2}/history.corrupt")).await.unwrap();
    assert_eq!(aside.as_deref(), Some("recofuse-history 99\nwhatever"));
    assert_eq!(mem.get(&format!("{ns2}/history")).await.unwrap(), None);
}

#[wasm_bindgen_test]
async fn quota_errors_halve_the_stored_history_then_fall_back_to_memory() {
    let ns = unique_ns("quota");
    let options =
        LoadOptions { namespace: ns.clone(), storage: StoragePreference::Memory, integrity: None, lazy: false };
    // Events take about 36 bytes: 30 do not fit, the newest 15 do.
    let small = Storage::memory_with_quota(700);
    let r = Reranker::load(bundle(N, 7), options.clone(), Some(small.clone())).await.unwrap();
    for i in 0..30 {
        record(&r, &format!("item-{i}"), "view", Some(1000.0 + f64::from(i))).unwrap();
    }
    wait(r.flush()).await.unwrap();
    let info = storage_info(&r);
    assert_eq!(info.last_error.as_deref(), Some("STORAGE_QUOTA"));
    assert_eq!(info.events, 30, "the in-memory history is never lost");
    assert!(info.persisted_capacity < 30);
    let stored = small.get(&format!("{ns}/history")).await.unwrap().unwrap();
    assert!(stored.contains("item-29") && !stored.contains("\"item-0\""), "newest kept, oldest dropped");

    // No room at all: retry fails too, the history moves to memory.
    let tiny = Storage::memory_with_quota(10);
    let r = Reranker::load(bundle(N, 7), options, Some(tiny.clone())).await.unwrap();
    record(&r, "item-1", "view", None).unwrap();
    wait(r.flush()).await.unwrap();
    let info = storage_info(&r);
    assert_eq!(info.last_error.as_deref(), Some("STORAGE_QUOTA"));
    assert_eq!(info.backend, "memory");
    assert_eq!(info.events, 1);
    assert_eq!(tiny.get(&format!("{ns}/history")).await.unwrap(), None, "no stale copy left behind");
    assert!(record(&r, "item-2", "view", None).unwrap());
    wait(r.flush()).await.unwrap();
    assert_eq!(history(&r).len(), 2);
}

#[wasm_bindgen_test]
async fn two_instances_on_one_storage_keep_each_others_events() {
    // Two instances of one namespace stand for two tabs: each appends its own events to what is stored
    // (before issue 16 the last write replaced the other's), then sees the other's after its next write.
    let ns = unique_ns("two-tabs");
    let a = from_bytes(&bundle(N, 7), load_opts(&ns, "memory")).await.unwrap();
    let b = from_bytes(&bundle(N, 7), load_opts(&ns, "memory")).await.unwrap();
    for i in 0..20 {
        record(&a, &format!("a-{i}"), "view", Some(1000.0 + f64::from(2 * i))).unwrap();
        record(&b, &format!("b-{i}"), "click", Some(1001.0 + f64::from(2 * i))).unwrap();
    }
    wait(a.flush()).await.unwrap();
    wait(b.flush()).await.unwrap();
    wait(a.flush()).await.unwrap();
    let expected: Vec<String> = (0..20).flat_map(|i| [format!("a-{i}"), format!("b-{i}")]).collect();
    for r in [&a, &b] {
        let items: Vec<String> = history(r).into_iter().map(|e| e.item).collect();
        assert_eq!(items, expected);
    }
    let c = from_bytes(&bundle(N, 7), load_opts(&ns, "memory")).await.unwrap();
    assert_eq!(history(&c).len(), 40, "a fresh instance reads all 40 events");
}

#[wasm_bindgen_test]
async fn messages_cut_a_huge_input_to_a_short_excerpt() {
    let r = fresh("excerpt").await;
    let huge = "x".repeat(1 << 20);
    let Err(err) = r.similar(JsValue::from_str(&huge).unchecked_into(), 8.0.into()) else {
        panic!("a 1 MB id is unknown")
    };
    assert_eq!(code(&err), "UNKNOWN_ITEM");
    let m = message(&err);
    assert!(m.len() < 200 && m.contains("…(1048576 bytes)"), "{} bytes: {}", m.len(), &m[..m.len().min(300)]);
}

/// `r.rerankTyped(ids, options)` as (order, scores).
fn rerank_typed(r: &Reranker, ids: &JsValue, options: JsValue) -> Result<(Vec<u32>, Vec<f32>), JsValue> {
    let o = if options.is_undefined() { None } else { Some(options.unchecked_into::<recofuse::RerankOptionsArg>()) };
    let t: JsValue = r.rerank_typed(ids.clone().unchecked_into::<recofuse::CandidatesArg>(), o)?.into();
    let order: js_sys::Uint32Array = Reflect::get(&t, &"order".into())?.dyn_into()?;
    let scores: js_sys::Float32Array = Reflect::get(&t, &"scores".into())?.dyn_into()?;
    Ok((order.to_vec(), scores.to_vec()))
}

#[wasm_bindgen_test]
async fn candidate_sets_and_typed_results_equal_the_array_form() {
    let r = fresh("sets").await;
    record(&r, "item-4", "click", None).unwrap();
    record(&r, "item-9", "cart", None).unwrap();
    let mut input: Vec<String> = ids(&(0..N).rev().step_by(3).collect::<Vec<_>>());
    input.insert(5, "unknown-a".into());
    input.insert(17, "item-4".into());
    input.push("unknown-b".into());
    input.push("item-9".into());
    let arr = id_array(&input);
    let set: JsValue = r.candidates(arr.clone().unchecked_into()).unwrap().into();
    // A set is not a list of ids.
    assert_eq!(err_code(r.candidates(set.clone().unchecked_into()).map(JsValue::from)), "BAD_ARGUMENT");
    assert_eq!(Reflect::get(&set, &"length".into()).unwrap().as_f64(), Some(input.len() as f64));
    // Changing the array afterwards does not change the set (it holds a copy).
    arr.unchecked_ref::<Array>().set(0, "item-1".into());
    let arr = id_array(&input);
    let scores: Vec<f32> = (0..input.len()).map(|i| ((i * 37) % 11) as f32).collect();
    let pins = Array::of2(
        &obj(&[("item", "unknown-b".into()), ("position", 1.into())]),
        &obj(&[("item", "item-9".into()), ("position", 0.into())]),
    );
    let option_sets = [
        JsValue::UNDEFINED,
        obj(&[("serverScores", f32s(&scores)), ("k", 10.into())]),
        obj(&[("stock", "filter".into()), ("excludeSeen", true.into()), ("pins", pins.into())]),
        obj(&[("stock", "demote".into()), ("explain", true.into()), ("method", "rrf".into())]),
    ];
    for o in option_sets {
        let want = rerank(&r, arr.clone(), o.clone()).unwrap();
        assert_eq!(rerank(&r, set.clone(), o.clone()).unwrap(), want, "options {o:?}");
        assert_eq!(
            rerank_detailed(&r, set.clone(), o.clone()).unwrap(),
            rerank_detailed(&r, arr.clone(), o.clone()).unwrap()
        );
        if Reflect::get(&o, &"explain".into()).ok().is_some_and(|e| e.is_truthy()) {
            assert_eq!(err_code(rerank_typed(&r, &set, o)), "BAD_ARGUMENT");
            continue;
        }
        for src in [&arr, &set] {
            let (order, typed) = rerank_typed(&r, src, o.clone()).unwrap();
            assert_eq!(order.len(), want.len());
            for (j, w) in want.iter().enumerate() {
                assert_eq!(input[order[j] as usize], w.item, "position {j}");
                assert_eq!(w.score.map(|s| s as f32), Some(typed[j]).filter(|s| !s.is_nan()));
            }
        }
    }
    assert_eq!(err_code(rerank(&r, set.clone(), obj(&[("serverScores", f32s(&[1.0]))]))), "BAD_ARGUMENT");
    // Used with another reranker (another bundle), a set gives that reranker's result for its ids.
    let other = from_bytes(&bundle(N / 2, 11), load_opts(&unique_ns("sets-other"), "memory")).await.unwrap();
    record(&other, "item-7", "click", None).unwrap();
    assert_eq!(
        rerank_detailed(&other, set.clone(), JsValue::UNDEFINED).unwrap(),
        rerank_detailed(&other, arr.clone(), JsValue::UNDEFINED).unwrap()
    );
    // A freed set is a coded error (`FREED`, issue 16), never a crash.
    let free: js_sys::Function = Reflect::get(&set, &"free".into()).unwrap().dyn_into().unwrap();
    free.call0(&set).unwrap();
    assert_eq!(err_code(rerank(&r, set, JsValue::UNDEFINED)), "FREED");
    assert_eq!(err_code(r.candidates(JsValue::from_str("item-1").unchecked_into()).map(JsValue::from)), "BAD_ARGUMENT");
}

/// Replaces `Date.now` with a function returning `ms` (`None`: puts `original` back); returns the
/// function it replaced.
fn set_clock(ms: Option<f64>, original: &JsValue) -> JsValue {
    let date = Reflect::get(&js_sys::global(), &"Date".into()).unwrap();
    let before = Reflect::get(&date, &"now".into()).unwrap();
    let now: JsValue = match ms {
        Some(ms) => js_sys::Function::new_no_args(&format!("return {ms};")).into(),
        None => original.clone(),
    };
    Reflect::set(&date, &"now".into(), &now).unwrap();
    before
}

#[wasm_bindgen_test]
async fn same_events_and_clock_give_the_same_bits_whenever_each_instance_last_reranked() {
    // Raw scores (normalization "none", comb-sum) and their contributions carry the decay factors, so
    // a profile built at another time shows in the bits. Before issue 16 an instance kept the profile of
    // its last rerank for up to a minute: `a`, which reranked 50 s earlier, scored with decay at t0 and
    // `b` with decay at t0 + 50 s. Now both build it at the clock rounded down to the minute.
    let t0 = (1.7e12 / 60_000.0f64).floor() * 60_000.0 + 1_000.0;
    let original = set_clock(Some(t0), &JsValue::UNDEFINED);
    let mut rs = Vec::new();
    for _ in 0..2 {
        let r = from_bytes(&bundle(N, 7), load_opts(&unique_ns("bits"), "memory")).await.unwrap();
        for (i, item) in ids(&[1, 2, 3, 4]).iter().enumerate() {
            record(&r, item, ["view", "click"][i % 2], Some(t0 - 86_400_000.0 * (4 - i) as f64)).unwrap();
        }
        rs.push(r);
    }
    let candidates = id_array(&ids(&(0..40).collect::<Vec<_>>()));
    let opts = || obj(&[("method", "comb-sum".into()), ("normalization", "none".into()), ("explain", true.into())]);
    let warm = rerank(&rs[0], candidates.clone(), opts());
    set_clock(Some(t0 + 50_000.0), &JsValue::UNDEFINED);
    let a = rerank(&rs[0], candidates.clone(), opts());
    let b = rerank(&rs[1], candidates.clone(), opts());
    // An hour later the same history scores differently: the clock is in the bits.
    set_clock(Some(t0 + 3_600_000.0), &JsValue::UNDEFINED);
    let later = rerank(&rs[1], candidates, opts());
    set_clock(None, &original);
    let bits = |l: &[RankedItem]| {
        l.iter()
            .map(|x| {
                let c =
                    x.contributions.iter().flatten().map(|(k, v)| (k.clone(), v.map(f64::to_bits))).collect::<Vec<_>>();
                (x.item.clone(), x.score.map(f64::to_bits), c)
            })
            .collect::<Vec<_>>()
    };
    let (warm, a, b, later) = (warm.unwrap(), a.unwrap(), b.unwrap(), later.unwrap());
    assert_eq!(warm.len(), 40);
    let (ba, bb, bl) = (bits(&a), bits(&b), bits(&later));
    let differing = ba.iter().zip(&bb).filter(|(x, y)| x != y).count();
    // On the code before the fix (profile reused for up to a minute): 40 of the 40 items differ.
    assert!(ba == bb, "same events and clock: {differing} of {} items differ in their bits", ba.len());
    assert!(bb != bl, "decay shows in the bits an hour later");
}
