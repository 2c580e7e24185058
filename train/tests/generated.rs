//! End-to-end tests on small generated logs with a known right answer.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use recofuse_train::pipeline::{self, Options};

/// 90 users walking a ring of 30 items: user `u` interacts with items `s, s+1, ..., s+7` (mod 30),
/// `s = u mod 30`, one per hour. The next item is always the successor of the last one, so the
/// transitions model (and a fusion that trusts it) must rank the test target first.
fn ring_log(dir: &Path) -> PathBuf {
    let mut text = String::from("user_id,item_id,timestamp\n");
    for u in 0..90 {
        let s = u % 30;
        for k in 0..8 {
            text.push_str(&format!("u{u},{},{}\n", (s + k) % 30, 1_600_000_000 + u * 100_000 + k * 3600));
        }
    }
    let p = dir.join("ring.csv");
    std::fs::write(&p, text).unwrap();
    p
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("recofuse-train-test-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// NDCG@10 recomputed from a TREC run and qrels, independently of the crate's metrics.
fn ndcg10_from_trec(run: &str, qrels: &str) -> f64 {
    let mut rel: HashMap<&str, &str> = HashMap::new();
    for l in qrels.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        assert_eq!(f.len(), 4, "qrels line {l:?}");
        assert_eq!(f[3], "1");
        rel.insert(f[0], f[2]);
    }
    let mut lists: HashMap<&str, Vec<(usize, &str)>> = HashMap::new();
    for l in run.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        assert_eq!(f.len(), 6, "run line {l:?}");
        assert_eq!(f[1], "Q0");
        assert_eq!(f[5], "recofuse");
        lists.entry(f[0]).or_default().push((f[3].parse().unwrap(), f[2]));
    }
    let mut total = 0.0;
    for (user, target) in &rel {
        let mut list = lists.remove(user).unwrap_or_default();
        list.sort();
        if let Some(pos) = list.iter().take(10).position(|(_, item)| item == target) {
            total += 1.0 / ((pos + 2) as f64).log2();
        }
    }
    total / rel.len() as f64
}

#[test]
fn ring_log_is_solved_and_trec_files_agree() {
    let dir = tmp("ring");
    let log = ring_log(&dir);
    let mut opts = Options::new(&log, None);
    opts.folds = 3;
    let out = pipeline::evaluate(&opts).unwrap();
    let r = &out.report;
    assert_eq!(r.users, 90);
    assert_eq!(r.items, 30);
    assert_eq!(r.test_users, 90);
    let seq = r.models["seq"].ndcg10;
    assert!(seq > 0.95, "seq NDCG@10 {seq}");
    let fused = r.fusion[&r.default].ndcg10;
    assert!(fused > 0.95, "default fusion {} NDCG@10 {fused}", r.default);
    for key in ["ndcg@10", "hr@10", "mrr@10", "ndcg@20", "hr@20", "coverage@10", "fit_s", "score_s"] {
        let json = serde_json::to_value(r.models["seq"]).unwrap();
        assert!(json.get(key).is_some(), "missing {key}");
    }
    // 100 lines per user at most (30 items minus the 7 seen ones here), ranks 1.., qrels one per user.
    assert_eq!(out.qrels.lines().count(), 90);
    assert_eq!(out.run.lines().count(), 90 * 23);
    let recomputed = ndcg10_from_trec(&out.run, &out.qrels);
    assert!((recomputed - fused).abs() < 1e-9, "TREC NDCG@10 {recomputed} vs report {fused}");
    // Fusion learned from two targets per validation user (the default), or from one when asked.
    assert_eq!(r.fusion_learning.users, 2 * 90);
    opts.fusion_holdouts = 1;
    let one = pipeline::evaluate(&opts).unwrap().report;
    assert_eq!(one.fusion_learning.users, 90);
    assert!(one.fusion[&one.default].ndcg10 > 0.95);
}

#[test]
fn cli_eval_train_inspect() {
    let dir = tmp("cli");
    let log = ring_log(&dir);
    let bin = env!("CARGO_BIN_EXE_recofuse");
    let st = Command::new(bin)
        .args(["eval", "-q", "--interactions"])
        .arg(&log)
        .arg("--report-json")
        .arg(dir.join("r.json"))
        .arg("--report-md")
        .arg(dir.join("r.md"))
        .arg("--trec-run")
        .arg(dir.join("r.run"))
        .arg("--qrels")
        .arg(dir.join("r.qrels"))
        .status()
        .unwrap();
    assert!(st.success());
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("r.json")).unwrap()).unwrap();
    for key in ["dataset", "users", "items", "models", "fusion", "default"] {
        assert!(report.get(key).is_some(), "report lacks {key}");
    }
    let run = std::fs::read_to_string(dir.join("r.run")).unwrap();
    let qrels = std::fs::read_to_string(dir.join("r.qrels")).unwrap();
    let default = report["default"].as_str().unwrap();
    let want = report["fusion"][default]["ndcg@10"].as_f64().unwrap();
    assert!((ndcg10_from_trec(&run, &qrels) - want).abs() < 1e-9);

    let bundle = dir.join("ring.bundle");
    let st =
        Command::new(bin).args(["train", "-q", "--interactions"]).arg(&log).arg("--out").arg(&bundle).status().unwrap();
    assert!(st.success());
    let out = Command::new(bin).args(["inspect", "--json"]).arg(&bundle).output().unwrap();
    assert!(out.status.success());
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["items"], 30);
    let scorers = |s: &serde_json::Value| s["scorers"].as_array().unwrap().iter().any(|x| x == "neural");
    // The deep model is fitted by default when the trainer is built with it (`--features neural`);
    // without that feature `train` leaves it out and `--neural` is a clear error.
    assert_eq!(
        scorers(&summary),
        recofuse_train::neural::AVAILABLE,
        "train fits the deep model by default iff built with it: {}",
        summary["scorers"]
    );
    if !recofuse_train::neural::AVAILABLE {
        let out = Command::new(bin)
            .args(["train", "-q", "--neural", "--interactions"])
            .arg(&log)
            .arg("--out")
            .arg(dir.join("n.bundle"))
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("--features neural"), "{out:?}");
    }

    // --no-neural: no deep model in the bundle, which still loads.
    let plain = dir.join("plain.bundle");
    let st = Command::new(bin)
        .args(["train", "-q", "--no-neural", "--interactions"])
        .arg(&log)
        .arg("--out")
        .arg(&plain)
        .status()
        .unwrap();
    assert!(st.success());
    let out = Command::new(bin).args(["inspect", "--json"]).arg(&plain).output().unwrap();
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!scorers(&summary));
    assert!(recofuse_core::Engine::from_bundle(std::fs::read(&plain).unwrap()).is_ok());

    std::fs::write(dir.join("bad.bundle"), b"not a bundle").unwrap();
    let out = Command::new(bin).arg("inspect").arg(dir.join("bad.bundle")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("BUNDLE_"));
}

#[test]
fn malformed_rows_name_file_and_line_and_lenient_counts_them() {
    let dir = tmp("bad");
    let p = dir.join("bad.csv");
    std::fs::write(&p, "user,item,timestamp\na,1,10\nb,2,oops\nc,3,30\n").unwrap();
    let err = recofuse_train::data::read_interactions(&p, &Default::default()).unwrap_err().to_string();
    assert!(err.contains("bad.csv:3"), "{err}");
    let ds = recofuse_train::data::read_interactions(
        &p,
        &recofuse_train::data::ReadOptions { lenient: true, ..Default::default() },
    )
    .unwrap();
    assert_eq!(ds.skipped, 1);
    assert_eq!(ds.interactions(), 2);
}

#[test]
fn order_is_by_time_then_file_order_a_stable_sort() {
    let dir = tmp("order");
    let p = dir.join("u.data");
    // No header, MovieLens layout: user item rating ts. Items 10, 9 and 30 share ts 5 and keep their file
    // order (10, 9, 30), not the item-id order (9, 10, 30) of the old protocol; user 2's same-second
    // events too, interleaved with user 1's lines.
    std::fs::write(
        &p,
        "1\t10\t4\t5\n2\t8\t1\t3\n1\t9\t3\t5\n1\t100\t5\t1\n2\t7\t1\t3\n1\t30\t2\t5\n1\t2\t1\t7\n2\t1\t1\t3\n",
    )
    .unwrap();
    let ds = recofuse_train::data::read_interactions(&p, &Default::default()).unwrap();
    let order: Vec<&str> = ds.sequences[0].iter().map(|e| ds.items[e.item as usize].as_str()).collect();
    assert_eq!(order, ["100", "10", "9", "30", "2"]);
    let order: Vec<&str> = ds.sequences[1].iter().map(|e| ds.items[e.item as usize].as_str()).collect();
    assert_eq!(order, ["8", "7", "1"]);
    assert!(ds.has_ratings);
    // Sequence files keep file order.
    let p = dir.join("seqs.txt");
    std::fs::write(&p, "u1 5 3 4 1 2 9\nu2 1 2\n").unwrap();
    let ds = recofuse_train::data::read_interactions(&p, &Default::default()).unwrap();
    let order: Vec<&str> = ds.sequences[0].iter().map(|e| ds.items[e.item as usize].as_str()).collect();
    assert_eq!(order, ["5", "3", "4", "1", "2", "9"]);
}

#[test]
fn json_lines_events_are_read_with_kinds_times_and_bad_lines_reported() {
    let dir = tmp("jsonl");
    let p = dir.join("events.jsonl");
    std::fs::write(
        &p,
        concat!(
            "{\"user_id\": \"u1\", \"sku\": \"b\", \"ts\": \"2024-05-01T10:00:00Z\", \"type\": \"addtocart\"}\n",
            "{\"user_id\": \"u1\", \"sku\": \"a\", \"ts\": \"2024-05-01T09:00:00Z\", \"type\": \"view\"}\n",
            "{\"user_id\": 7, \"sku\": 3, \"ts\": 1714557600000, \"type\": \"purchase\"}\n",
            "not json\n",
            "{\"user_id\": \"u1\", \"sku\": \"c\", \"ts\": \"2024-05-01T11:00:00Z\", \"type\": \"teleport\"}\n",
        ),
    )
    .unwrap();
    // Strict: the first bad line is named with its number.
    let err = recofuse_train::data::read_interactions(&p, &Default::default()).unwrap_err().to_string();
    assert!(err.contains("events.jsonl:4") && err.contains("JSON"), "{err}");
    let ds = recofuse_train::data::read_interactions(
        &p,
        &recofuse_train::data::ReadOptions { lenient: true, ..Default::default() },
    )
    .unwrap();
    assert_eq!(ds.format, Some(recofuse_train::data::LogFormat::JsonLines));
    assert_eq!(ds.skipped, 2, "{:?}", ds.skipped_examples);
    assert!(ds.has_kinds);
    assert_eq!(ds.users, ["u1", "7"]);
    // u1's events ordered by time: a (view) before b (cart).
    let u1: Vec<(&str, recofuse_core::EventKind)> =
        ds.sequences[0].iter().map(|e| (ds.items[e.item as usize].as_str(), e.kind)).collect();
    assert_eq!(u1, [("a", recofuse_core::EventKind::View), ("b", recofuse_core::EventKind::Cart)]);
    assert!(ds.sequences[0][1].ts - ds.sequences[0][0].ts == 3_600_000.0);
    assert_eq!(ds.items[ds.sequences[1][0].item as usize], "3");
}

/// A noisy log (150 users, 60 items; a user drifts along the catalog with random jumps), from a
/// fixed LCG: no model is perfect on it, so every sum the trainer computes has many distinct terms.
fn noisy_log(dir: &Path) -> PathBuf {
    let mut state = 12_345u64;
    let mut next = move |m: u64| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % m
    };
    let mut text = String::from("user_id,item_id,timestamp\n");
    for u in 0..150u64 {
        let mut item = next(60);
        for k in 0..(6 + next(10)) {
            item = if next(4) == 0 { next(60) } else { (item + 1 + next(3)) % 60 };
            text.push_str(&format!("u{u},i{item},{}\n", 1_600_000_000 + u * 100_000 + k * 3600));
        }
    }
    let p = dir.join("noisy.csv");
    std::fs::write(&p, text).unwrap();
    p
}

/// Issue 17.8: the same seed gives the same figures whatever the number of threads (sums of floats
/// are taken in a fixed order, not in rayon's thread-dependent reduction tree). Every figure of the
/// report and the TREC run must be bit-identical with 1 and 3 threads.
#[test]
fn same_figures_with_one_and_three_threads() {
    let dir = tmp("threads");
    let log = noisy_log(&dir);
    let mut opts = Options::new(&log, None);
    opts.folds = 3;
    let run_with = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| pipeline::evaluate(&opts)).unwrap()
    };
    let (a, b) = (run_with(1), run_with(3));
    let figures = |r: &pipeline::Report| {
        let mut v: Vec<(String, u64)> = Vec::new();
        for (k, m) in r.models.iter().chain(&r.fusion) {
            v.push((format!("test {k}"), m.ndcg10.to_bits()));
        }
        for (k, x) in r.fusion_learning.valid_ndcg.iter().chain(&r.tuning.valid_ndcg) {
            v.push((format!("valid {k}"), x.to_bits()));
        }
        for c in &r.fusion_learning.cv {
            v.push((format!("cv {}", c.normalization), c.mean_ndcg.to_bits()));
        }
        for c in &r.significance {
            v.push((format!("bootstrap {}", c.b), c.lo.to_bits() ^ c.hi.to_bits().rotate_left(1)));
        }
        v
    };
    assert!(a.report.fusion[&a.report.default].ndcg10 > 0.0);
    assert_eq!(a.report.significance.len(), 2, "default against best single and runner-up");
    assert_eq!(figures(&a.report), figures(&b.report));
    assert_eq!(a.report.default, b.report.default);
    assert_eq!(a.run, b.run);
}

/// Issue 17.5: a bundle trained from a log without server scores gives the store's score the
/// documented share of the personal weights (never weight 0 unless asked), so a page's `serverScores`
/// move the order; `server_share` 0 switches it off.
#[test]
fn trained_bundles_weigh_the_store_score() {
    use recofuse_core::{Event, EventKind, History, Signal};
    use recofuse_train::server_weight::DEFAULT_SERVER_SHARE;
    let dir = tmp("server-share");
    let log = ring_log(&dir);
    let mut opts = Options::new(&log, None);
    opts.fusion_users = 40;
    let out = pipeline::train(&opts).unwrap();
    let f = &out.model.fusion;
    let personal: f32 = Signal::ALL.iter().filter(|&&s| s != Signal::Server).map(|&s| f.weight(s).max(0.0)).sum();
    if f.method == recofuse_core::Method::Stacking {
        assert_eq!(f.weight(Signal::Server), 1.0);
        assert!(f.stacking.coef[Signal::Server.index()] > 0.0);
    } else {
        assert!((f.weight(Signal::Server) - DEFAULT_SERVER_SHARE * personal).abs() < 1e-5, "{:?}", f.weights);
    }
    assert_eq!(out.model.info.get("fusion.server_share").map(String::as_str), Some("0.5"));
    // The store's order counts: with a one-event history and the store scoring the candidates in
    // reverse of taste, the store's favourite moves up.
    let engine = recofuse_core::Engine::new(out.model.clone()).unwrap();
    let mut h = History::new(10);
    h.push(Event::new("3".to_string(), EventKind::Click, 1.0)).unwrap();
    let profile = engine.profile(&h, 2.0);
    let ids: Vec<String> = (4..14).map(|i| i.to_string()).collect();
    let plain = engine.rerank(&profile, &ids, &recofuse_core::Options::default()).unwrap();
    let taste_last = plain.items.last().unwrap().position;
    let mut server = vec![0.0f32; ids.len()];
    server[taste_last] = 1.0;
    let opts_s = recofuse_core::Options { server_scores: Some(&server), ..Default::default() };
    let with = engine.rerank(&profile, &ids, &opts_s).unwrap();
    let at = with.items.iter().position(|x| x.position == taste_last).unwrap();
    assert!(at + 1 < with.items.len(), "the store's favourite is no longer last: {at}");
    // Share 0: the old behaviour, on request.
    opts.server_share = 0.0;
    let out = pipeline::train(&opts).unwrap();
    assert_eq!(out.model.fusion.weight(Signal::Server), 0.0);
}
