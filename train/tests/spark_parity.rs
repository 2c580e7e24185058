//! Parity of the Spark job (spark/recofuse_tables.py) + `recofuse pack` with `recofuse train` on
//! MovieLens-100K (issue 19 item 3): one Spark local[2] run on the log without each user's test event
//! (`--set holdout=1`, the trainer's tuned values from `table_config`), then
//! - item-CF neighbours: mean over items of the top-20 Jaccard between the packed bundle's lists and the
//!   Rust co-occurrence CF fit on the same events, >= 0.95;
//! - transitions: likewise, >= 0.95;
//! - test NDCG@10 of `eval --tables` (the Spark tables score the test targets) within 3 % of `eval`'s,
//!   both with the co-occurrence item-CF (`ease_max_items` 0: the Spark job computes no EASE).
//!
//! Needs Java 17+ and pyspark (`scripts/setup.sh` installs both) and MovieLens-100K (../shared/data, or
//! the copy `scripts/movielens.sh` fetches into target/demo-data). Run by scripts/test.sh's Spark section
//! (`cargo test --release -p recofuse-train --test spark_parity -- --ignored`, with
//! RECOFUSE_REQUIRE_SPARK=1 so that a missing Spark fails there); skipped with a message elsewhere.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use recofuse_core::model::Csr;
use recofuse_train::data::read_interactions;
use recofuse_train::fit;
use recofuse_train::pack::{read_tables, Limits};
use recofuse_train::pipeline::{evaluate, Options};
use recofuse_train::split::Split;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Skips (returns `None`) with a message, or fails when RECOFUSE_REQUIRE_SPARK=1.
fn skip(why: &str) -> Option<PathBuf> {
    assert!(std::env::var("RECOFUSE_REQUIRE_SPARK").as_deref() != Ok("1"), "Spark parity cannot run: {why}");
    eprintln!("skipped: {why}");
    None
}

fn movielens() -> Option<(PathBuf, PathBuf)> {
    let shared = root().join("../shared/data/movielens-100k");
    if shared.join("u.data").is_file() {
        return Some((shared.join("u.data"), shared.join("u.item")));
    }
    let fetched = root().join("target/demo-data/ml-100k");
    if fetched.join("ml-100k.inter").is_file() {
        return Some((fetched.join("ml-100k.inter"), fetched.join("ml-100k.item")));
    }
    skip("MovieLens-100K is absent (../shared/data/movielens-100k; `bash scripts/movielens.sh` fetches a copy)");
    None
}

fn spark_submit() -> Option<PathBuf> {
    let java = Command::new("java").arg("-version").output().is_ok_and(|o| o.status.success());
    if !java {
        return skip("java is not installed (Debian default-jre-headless; scripts/setup.sh installs it)");
    }
    let ok = Command::new("spark-submit").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        return skip("spark-submit is not on PATH (PyPI pyspark; scripts/setup.sh installs it)");
    }
    Some(PathBuf::from("spark-submit"))
}

/// Mean over items with a non-empty list on either side of the Jaccard index of the top-`k` columns.
fn mean_jaccard(a: &Csr, b: &Csr, k: usize) -> (f64, usize) {
    let top = |c: &Csr, r: usize| -> HashSet<u32> {
        let (idx, w) = c.row(r);
        let mut v: Vec<(u32, f32)> = idx.iter().copied().zip(w.iter().copied()).collect();
        v.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        // Ties at the cut are kept on both sides: their order is float noise, not a difference.
        let cut = v.get(k.saturating_sub(1)).map(|x| x.1);
        v.into_iter().enumerate().take_while(|(i, x)| *i < k || Some(x.1) == cut).map(|(_, x)| x.0).collect()
    };
    let (mut sum, mut n) = (0.0, 0usize);
    for r in 0..a.rows().max(b.rows()) {
        let (x, y) = (
            if r < a.rows() { top(a, r) } else { HashSet::new() },
            if r < b.rows() { top(b, r) } else { HashSet::new() },
        );
        if x.is_empty() && y.is_empty() {
            continue;
        }
        let inter = x.intersection(&y).count() as f64;
        sum += inter / ((x.len() + y.len()) as f64 - inter);
        n += 1;
    }
    (sum / n.max(1) as f64, n)
}

fn run_spark(submit: &Path, log: &Path, items: &Path, config: &Path, out: &Path) {
    let t = std::time::Instant::now();
    let status = Command::new(submit)
        .args(["--master", "local[2]", "--driver-memory", "2g", "--conf", "spark.ui.enabled=false"])
        .arg(root().join("spark/recofuse_tables.py"))
        .arg("--input")
        .arg(log)
        .arg("--items")
        .arg(items)
        .arg("--out")
        .arg(out)
        .arg("--config")
        .arg(config)
        .args(["--set", "holdout=1", "--partitions", "4"])
        .status()
        .expect("spark-submit runs");
    assert!(status.success(), "the Spark job failed: {status}");
    eprintln!("spark job: {:.0} s", t.elapsed().as_secs_f64());
}

#[test]
#[ignore = "needs Spark and a few minutes: run by scripts/test.sh's Spark section"]
fn spark_tables_match_the_rust_trainer_on_movielens() {
    let Some((log, items)) = movielens() else { return };
    let Some(submit) = spark_submit() else { return };
    let work = root().join("target/spark-parity");
    std::fs::create_dir_all(&work).unwrap();

    // The Rust protocol: tuned values and the reference test NDCG@10.
    let mut opts = Options::new(&log, Some(items.clone()));
    opts.ease_max_items = 0;
    let rust = evaluate(&opts).unwrap().report;
    let config = work.join("table_config.json");
    std::fs::write(&config, rust.tuning.table_config().to_string()).unwrap();

    let tables = work.join("tables");
    // RECOFUSE_SPARK_PARITY_REUSE=1 keeps the tables of an earlier run (when iterating on this test).
    if std::env::var("RECOFUSE_SPARK_PARITY_REUSE").as_deref() != Ok("1") || !tables.join("config.json").is_file() {
        run_spark(&submit, &log, &items, &config, &tables);
    }

    // The packed bundle (decoded back) against the Rust fits on the same events (train + validation).
    let t = read_tables(&tables, &Limits::default()).unwrap();
    let bundle =
        recofuse_core::bundle::encode(&t.into_model(Default::default(), Default::default()), &Default::default())
            .unwrap();
    let packed = recofuse_core::bundle::decode(bundle).unwrap();
    let ds = read_interactions(&log, &Default::default()).unwrap();
    let seqs = Split::leave_one_out(&ds).train_valid();
    let n = ds.items.len();
    let ids: Vec<String> = packed.items.ids.iter().map(|s| s.to_string()).collect();
    let known: HashSet<&str> = ids.iter().map(String::as_str).collect();
    let in_log: Vec<&String> = ds.items.iter().filter(|i| known.contains(i.as_str())).collect();
    assert_eq!(in_log.len(), ids.len(), "every packed item is an item of the log");
    // (Their order is the log's first-seen order of the events kept: not the full log's, with holdout=1.)
    // The packed lists in the trainer's item indices.
    let to_ds = |c: &Csr| -> Csr {
        let index: std::collections::HashMap<&str, u32> =
            ds.items.iter().enumerate().map(|(i, s)| (s.as_str(), i as u32)).collect();
        let mut rows = vec![Vec::new(); n];
        for (r, id) in ids.iter().enumerate() {
            let (idx, w) = c.row(r);
            let mut row: Vec<(u32, f32)> =
                idx.iter().zip(w).map(|(&b, &w)| (index[ids[b as usize].as_str()], w)).collect();
            row.sort_unstable_by_key(|x| x.0);
            rows[index[id.as_str()] as usize] = row;
        }
        Csr::from_rows(&rows)
    };
    let cfg = rust.tuning.table_config();
    let cf = fit::item_cf(&seqs, n, &rust.tuning.cf);
    let tr = fit::transitions(&seqs, n, &rust.tuning.trans);
    let (j_cf, rows_cf) = mean_jaccard(&to_ds(packed.item_cf.as_ref().unwrap()), &cf, 20);
    let (j_tr, rows_tr) = mean_jaccard(&to_ds(packed.transitions.as_ref().unwrap()), &tr, 20);
    eprintln!("config {cfg}");
    eprintln!("item-CF top-20 Jaccard {j_cf:.4} over {rows_cf} items; transitions {j_tr:.4} over {rows_tr} items");
    assert!(j_cf >= 0.95, "item-CF neighbours overlap {j_cf:.4} < 0.95");
    assert!(j_tr >= 0.95, "transitions overlap {j_tr:.4} < 0.95");
    let protos = packed.prototypes.as_ref().unwrap();
    assert!(protos.sizes.iter().all(|&s| s >= protos.min_cluster_size), "k-anonymity floor kept");

    // Test NDCG@10 with the Spark tables scoring the test targets.
    opts.tables = Some(tables.clone());
    let spark = evaluate(&opts).unwrap().report;
    let (a, b) = (rust.fusion[&rust.default].ndcg10, spark.fusion[&spark.default].ndcg10);
    eprintln!(
        "test NDCG@10 ({}): recofuse train {a:.4}, Spark tables {b:.4} ({:+.2} %)",
        rust.default,
        100.0 * (b / a - 1.0)
    );
    for (name, m) in &spark.models {
        eprintln!("  {name}: Rust {:.4}, Spark {:.4}", rust.models[name].ndcg10, m.ndcg10);
    }
    assert!((b / a - 1.0).abs() <= 0.03, "test NDCG@10 {b:.4} not within 3 % of {a:.4}");
}
