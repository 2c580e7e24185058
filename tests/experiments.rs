//! A/B experiments in the package (issue 18): arms, their options in rerank/recommend, outcome counters
//! stored like the history (paused, cleared and exported with it), randomised-response reports and
//! experiments shipped in the bundle. Runs under Node.js (memory storage); the storefront's end-to-end
//! test covers IndexedDB in Chromium.
#![cfg(target_arch = "wasm32")]

mod common;

use std::collections::BTreeMap;

use common::*;
use js_sys::{Array, Reflect};
use recofuse::{ExperimentNameArg, ExperimentSpecArg, IdListArg, ReportOptionsArg, Reranker};
use recofuse_core::bundle::{encode_with_experiments, EncodeOptions};
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

const N: usize = 60;

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Assignment {
    experiment: String,
    arm: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Counters {
    experiment: String,
    arm: String,
    current: bool,
    since: Option<f64>,
    impressions: u32,
    clicks: u32,
    carts: u32,
    purchases: u32,
    click_positions: BTreeMap<String, u32>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Period {
    from: String,
    to: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Report {
    format: String,
    version: u32,
    experiment: String,
    arm: String,
    epsilon: f64,
    period: Period,
    clicked: bool,
    carted: bool,
    purchased: bool,
}

async fn fresh(ns: &str) -> Reranker {
    from_bytes(&bundle(N, 7), load_opts(ns, "memory")).await.expect("bundle loads")
}

/// `{ name, arms }` from JSON text.
fn spec(json: &str) -> ExperimentSpecArg {
    js_sys::JSON::parse(json).expect("JSON").unchecked_into()
}

/// The store's own order against the fusion, with all devices in `arm` (the other arm weighs 0).
fn store_vs_fused(arm: &str) -> ExperimentSpecArg {
    let (ws, wf) = if arm == "store" { (1, 0) } else { (0, 1) };
    spec(&format!(
        r#"{{"name": "fusion-vs-store", "arms": [
            {{"name": "store", "weight": {ws}, "options": {{"weights": {{"server": 1, "itemcf": 0, "seq": 0,
              "usercf": 0, "embedding": 0, "content": 0, "popularity": 0, "neural": 0}}}}}},
            {{"name": "fused", "weight": {wf}}}]}}"#
    ))
}

fn counters(r: &Reranker) -> Vec<Counters> {
    de(r.experiments())
}

fn report(r: &Reranker, name: &str, epsilon: Option<f64>) -> Result<Report, JsValue> {
    let options = epsilon.map(|e| obj(&[("epsilon", e.into())]).unchecked_into::<ReportOptionsArg>());
    r.experiment_report(JsValue::from_str(name).unchecked_into::<ExperimentNameArg>(), options).map(de)
}

fn ids(list: &[&str]) -> IdListArg {
    strs(list).unchecked_into()
}

#[wasm_bindgen_test]
async fn the_arm_follows_the_weights_and_its_options_rank() {
    let r = fresh(&unique_ns("arm")).await;
    let candidates = strs(&["item-1", "item-2", "item-3", "item-4"]);
    let server = || obj(&[("serverScores", f32s(&[1.0, 4.0, 3.0, 2.0]))]);
    let fused = rerank(&r, candidates.clone(), server()).unwrap();

    let a: Assignment = de(r.experiment(store_vs_fused("store")).unwrap());
    assert_eq!(a, Assignment { experiment: "fusion-vs-store".into(), arm: "store".into() });
    // Arm "store": the server's order, whatever the call asks for besides.
    let order = |v: Vec<RankedItem>| v.into_iter().map(|x| x.item).collect::<Vec<_>>();
    assert_eq!(order(rerank(&r, candidates.clone(), server()).unwrap()), ["item-2", "item-3", "item-4", "item-1"]);
    let with_weights = obj(&[
        ("serverScores", f32s(&[1.0, 4.0, 3.0, 2.0])),
        ("weights", obj(&[("server", 0.5.into()), ("itemcf", 3.0.into())])),
    ]);
    assert_eq!(order(rerank(&r, candidates.clone(), with_weights).unwrap())[0], "item-2", "the arm's weights win");

    let b: Assignment = de(r.experiment(store_vs_fused("fused")).unwrap());
    assert_eq!(b.arm, "fused");
    assert_eq!(rerank(&r, candidates.clone(), server()).unwrap(), fused, "arm without options: the bundle's fusion");
    assert!(recommend(&r, 5.0, JsValue::UNDEFINED).is_ok());
}

#[wasm_bindgen_test]
async fn arms_are_stable_per_namespace_and_validated() {
    let ns = unique_ns("stable");
    let r = fresh(&ns).await;
    let even = r#"{"name": "e", "arms": [{"name": "A"}, {"name": "B"}, {"name": "C", "weight": 2}]}"#;
    let first: Assignment = de(r.experiment(spec(even)).unwrap());
    wait(r.flush()).await.unwrap();
    let again = fresh(&ns).await;
    assert_eq!(de::<Assignment>(again.experiment(spec(even)).unwrap()), first, "same seed, same arm");

    let bad = [
        (r#"{"arms": []}"#, "BAD_ARGUMENT"),
        (r#"{"name": "x", "arms": []}"#, "BAD_ARGUMENT"),
        (r#"{"name": "x", "arms": [{"name": "A", "weight": -1}]}"#, "BAD_ARGUMENT"),
        (r#"{"name": "x", "arms": [{"name": "A", "weight": 0}]}"#, "BAD_ARGUMENT"),
        (r#"{"name": "x", "arms": [{"name": "A"}, {"name": "A"}]}"#, "BAD_ARGUMENT"),
        (r#"{"name": "x", "arms": [{"name": "A", "options": {"k": 3}}]}"#, "BAD_ARGUMENT"),
        (r#"{"name": "x", "arms": [{"name": "A", "options": {"wieghts": {}}}]}"#, "BAD_ARGUMENT"),
        (r#"{"name": "x", "arms": [{"name": "A"}], "extra": 1}"#, "BAD_ARGUMENT"),
        (r#"{"name": "not-in-the-bundle"}"#, "BAD_ARGUMENT"),
    ];
    for (json, want) in bad {
        let err = r.experiment(spec(json)).map(|_| ()).expect_err(json);
        assert_error_shape(&err);
        assert_eq!(code(&err), want, "{json}: {}", message(&err));
    }
    assert_eq!(err_code(r.experiment(JsValue::from(3).unchecked_into())), "BAD_ARGUMENT");
    // A rejected experiment changes nothing: the valid one still applies.
    assert!(counters(&r).iter().all(|c| c.experiment == "e"));
    // Keys and types of an arm's options are checked by experiment(); their values, like the call's, when
    // they are used.
    let negative = r#"{"name": "x", "arms": [{"name": "A", "options": {"weights": {"itemcf": -1}}}]}"#;
    r.experiment(spec(negative)).unwrap();
    assert_eq!(err_code(rerank(&r, strs(&["item-1"]), JsValue::UNDEFINED)), "INVALID_INPUT");
}

#[wasm_bindgen_test]
async fn outcomes_are_counted_paused_cleared_exported_and_kept_across_instances() {
    let ns = unique_ns("outcomes");
    let r = fresh(&ns).await;
    assert!(!r.impression(ids(&["item-1"])).unwrap(), "no experiment: nothing counted");
    assert!(counters(&r).is_empty());
    r.experiment(store_vs_fused("fused")).unwrap();
    assert!(r.impression(ids(&["item-5", "item-6", "item-7"])).unwrap());
    record(&r, "item-7", "click", None).unwrap();
    record(&r, "item-9", "click", None).unwrap();
    record(&r, "item-7", "view", None).unwrap();
    record(&r, "item-7", "cart", None).unwrap();
    record(&r, "item-7", "purchase", None).unwrap();
    let c = counters(&r);
    assert_eq!(c.len(), 1);
    let want = Counters {
        experiment: "fusion-vs-store".into(),
        arm: "fused".into(),
        current: true,
        since: c[0].since,
        impressions: 3,
        clicks: 2,
        carts: 1,
        purchases: 1,
        click_positions: BTreeMap::from([("3".to_string(), 1)]),
    };
    assert_eq!(c[0], want);
    assert!(c[0].since.is_some());

    // Listed with the history and in its export.
    let h = r.history().unwrap();
    assert_eq!(de::<Vec<Counters>>(Reflect::get(&h, &"experiments".into()).unwrap()), c);
    assert_eq!(h.unchecked_ref::<Array>().length(), 5);
    let doc = js_sys::JSON::parse(&r.export_history().unwrap()).unwrap();
    assert_eq!(de::<Vec<Counters>>(Reflect::get(&doc, &"experiments".into()).unwrap()), c);

    // Paused with the history.
    r.pause().unwrap();
    assert!(!r.impression(ids(&["item-1"])).unwrap());
    assert!(!record(&r, "item-1", "click", None).unwrap());
    assert_eq!(counters(&r), c);
    r.resume().unwrap();

    // Stored like the history: another instance on the same namespace sees them.
    wait(r.flush()).await.unwrap();
    let other = fresh(&ns).await;
    let seen = counters(&other);
    assert_eq!((seen.len(), seen[0].clicks, seen[0].current), (1, 2, false), "{seen:?}");
    other.experiment(store_vs_fused("fused")).unwrap();
    // Both clicks in the same millisecond, neither on a shown item: their rows differ only in their
    // tags, and the merge (which keeps identical lines once) must keep both.
    let same_ms = js_sys::Date::now();
    record(&other, "item-3", "click", Some(same_ms)).unwrap();
    wait(other.flush()).await.unwrap();
    record(&r, "item-4", "click", Some(same_ms)).unwrap();
    record(&r, "item-8", "click", Some(same_ms)).unwrap();
    wait(r.flush()).await.unwrap();
    assert_eq!(counters(&r)[0].clicks, 5, "the other instance's click is merged in, not overwritten");
    assert_eq!(counters(&fresh(&ns).await)[0].clicks, 5, "and all of them are stored");

    // Cleared with the history: counters start again, the arm is kept.
    wait(r.clear_history().unwrap()).await.unwrap();
    let c = counters(&r);
    assert_eq!((c.len(), c[0].arm.as_str(), c[0].clicks, c[0].since), (1, "fused", 0, None));
    assert_eq!(counters(&fresh(&ns).await), [], "cleared in storage too");
    assert_eq!(err_code(r.impression(JsValue::from("item-1").unchecked_into())), "BAD_ARGUMENT");
}

#[wasm_bindgen_test]
async fn reports_hold_the_arm_the_period_and_three_randomised_bits_only() {
    let r = fresh(&unique_ns("report")).await;
    assert_eq!(err_code(report(&r, "fusion-vs-store", None)), "BAD_ARGUMENT", "not running yet");
    r.experiment(store_vs_fused("store")).unwrap();
    r.impression(ids(&["item-1", "item-2"])).unwrap();
    record(&r, "item-2", "click", None).unwrap();

    // With ε = 20 a bit is flipped with probability 2e-9: the report is the truth.
    let sure = report(&r, "fusion-vs-store", Some(20.0)).unwrap();
    assert_eq!(sure.format, "recofuse-ab-report");
    assert_eq!((sure.version, sure.experiment.as_str(), sure.arm.as_str()), (1, "fusion-vs-store", "store"));
    assert_eq!((sure.clicked, sure.carted, sure.purchased, sure.epsilon), (true, false, false, 20.0));
    assert_eq!(sure.period.from.len(), 10);
    assert!(sure.period.from <= sure.period.to);
    // Nothing else is in it: no item id, no count.
    let raw = r
        .experiment_report(JsValue::from_str("fusion-vs-store").unchecked_into(), None)
        .map(|v| js_sys::JSON::stringify(&v).unwrap().as_string().unwrap())
        .unwrap();
    assert!(!raw.contains("item-"), "{raw}");
    let keys: Vec<String> = js_sys::Object::keys::<JsValue>(js_sys::JSON::parse(&raw).unwrap().unchecked_ref())
        .iter()
        .map(|k| k.as_string().unwrap())
        .collect();
    assert_eq!(keys, ["format", "version", "experiment", "arm", "epsilon", "period", "clicked", "carted", "purchased"]);

    // Default ε = 1: the truth with probability e/(1+e) = 0.731, fresh noise on every call.
    let n = 2000;
    let (mut clicked, mut carted) = (0, 0);
    for _ in 0..n {
        let rep = report(&r, "fusion-vs-store", None).unwrap();
        assert_eq!(rep.epsilon, 1.0);
        clicked += usize::from(rep.clicked);
        carted += usize::from(rep.carted);
    }
    let (p_click, p_cart) = (clicked as f64 / n as f64, carted as f64 / n as f64);
    // Standard deviation 0.0099 at n = 2000: 4 of them either side.
    assert!((p_click - 0.731).abs() < 0.04, "clicked reported true in {p_click}");
    assert!((p_cart - 0.269).abs() < 0.04, "carted (false) reported true in {p_cart}");

    for bad in [0.0, -1.0, 21.0, f64::NAN] {
        assert_eq!(err_code(report(&r, "fusion-vs-store", Some(bad))), "BAD_ARGUMENT", "epsilon {bad}");
    }
    let extra = obj(&[("epsilon", 1.0.into()), ("items", true.into())]).unchecked_into::<ReportOptionsArg>();
    let err = r.experiment_report(JsValue::from_str("fusion-vs-store").unchecked_into(), Some(extra));
    assert_eq!(err_code(err), "BAD_ARGUMENT");
}

#[wasm_bindgen_test]
async fn experiments_shipped_in_the_bundle_run_without_a_code_change() {
    let exps = r#"[{"name": "shipped", "arms": [{"name": "store", "weight": 0},
        {"name": "fused", "weight": 1, "options": {"method": "rrf"}}]},
        {"name": "broken", "arms": [{"name": "A", "options": {"bogus": 1}}]}]"#;
    let bytes = encode_with_experiments(&recofuse_testkit::catalog(N, 7), &EncodeOptions::default(), exps).unwrap();
    let r = from_bytes(&bytes, load_opts(&unique_ns("shipped"), "memory")).await.unwrap();
    let c = counters(&r);
    assert_eq!(c.len(), 1, "the valid experiment is running, the broken one skipped: {c:?}");
    assert_eq!((c[0].experiment.as_str(), c[0].arm.as_str(), c[0].current), ("shipped", "fused", true));
    // Its options apply: the bundle's rrf fusion, as if the page asked for it.
    let candidates = strs(&["item-1", "item-2", "item-3", "item-4", "item-5"]);
    record(&r, "item-3", "purchase", None).unwrap();
    let asked = rerank(&r, candidates.clone(), obj(&[("method", "rrf".into())])).unwrap();
    assert_eq!(rerank(&r, candidates, JsValue::UNDEFINED).unwrap(), asked);
    // `{ name }` alone names the bundle's experiment; the broken one says why.
    assert_eq!(de::<Assignment>(r.experiment(spec(r#"{"name": "shipped"}"#)).unwrap()).arm, "fused");
    let err = r.experiment(spec(r#"{"name": "broken"}"#)).map(|_| ()).unwrap_err();
    assert!(message(&err).contains("bogus"), "{}", message(&err));
}
