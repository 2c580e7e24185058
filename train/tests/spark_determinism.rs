//! The Spark job (spark/recofuse_tables.py) is a function of its input, configuration, seeds and
//! partition count (issue 19: "the same seeds give the same tables"): two runs on the same 20,000
//! MovieLens-100K events, local[2], 4 partitions, read back by `recofuse pack`'s reader, give
//! - the same items in the same order, and the same neighbour, transition and prototype lists (the same
//!   ids in the same order);
//! - the same popularity, trend, weights, ALS item factors and prototype sizes, bit for bit.
//!
//! Needs Java 17+ and pyspark (`scripts/setup.sh` installs both) and MovieLens-100K (../shared/data, or
//! the copy `scripts/movielens.sh` fetches into target/demo-data). Run by scripts/test.sh's Spark section
//! (`cargo test --release -p recofuse-train --test spark_determinism -- --ignored`, with
//! RECOFUSE_REQUIRE_SPARK=1 so that a missing Spark fails there); skipped with a message elsewhere.

use std::path::{Path, PathBuf};
use std::process::Command;

use recofuse_train::pack::{read_tables, Limits, Rows, Tables};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Skips (returns `None`) with a message, or fails when RECOFUSE_REQUIRE_SPARK=1.
fn skip<T>(why: &str) -> Option<T> {
    assert!(std::env::var("RECOFUSE_REQUIRE_SPARK").as_deref() != Ok("1"), "Spark determinism cannot run: {why}");
    eprintln!("skipped: {why}");
    None
}

/// The first 20,000 lines of MovieLens-100K's log (with its header, for the RecBole copy).
fn small_log(work: &Path) -> Option<PathBuf> {
    let shared = root().join("../shared/data/movielens-100k/u.data");
    let fetched = root().join("target/demo-data/ml-100k/ml-100k.inter");
    let (src, header) = if shared.is_file() {
        (shared, false)
    } else if fetched.is_file() {
        (fetched, true)
    } else {
        return skip(
            "MovieLens-100K is absent (../shared/data/movielens-100k; `bash scripts/movielens.sh` fetches a copy)",
        );
    };
    let text = std::fs::read_to_string(&src).unwrap();
    let keep = 20_000 + usize::from(header);
    let lines: Vec<&str> = text.lines().take(keep).collect();
    let out = work.join(if header { "log.inter" } else { "log.data" });
    std::fs::write(&out, lines.join("\n") + "\n").unwrap();
    Some(out)
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

fn run_spark(submit: &Path, log: &Path, out: &Path) {
    let t = std::time::Instant::now();
    let status = Command::new(submit)
        .args(["--master", "local[2]", "--driver-memory", "2g", "--conf", "spark.ui.enabled=false"])
        .arg(root().join("spark/recofuse_tables.py"))
        .arg("--input")
        .arg(log)
        .arg("--out")
        .arg(out)
        .args(["--partitions", "4"])
        .status()
        .expect("spark-submit runs");
    assert!(status.success(), "the Spark job failed: {status}");
    eprintln!("spark job: {:.0} s", t.elapsed().as_secs_f64());
}

/// The number of values that differ in their bits, and the largest absolute difference.
fn diff_values(a: &[f32], b: &[f32]) -> (usize, f32) {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .filter(|(x, y)| x.to_bits() != y.to_bits())
        .fold((0, 0.0f32), |(n, m), (x, y)| (n + 1, m.max((x - y).abs())))
}

/// Asserts the same lists (ids in order) and the same weights, bit for bit.
fn same_rows(name: &str, a: &Rows, b: &Rows) {
    assert_eq!(a.len(), b.len(), "{name}: number of rows");
    let mut rows_differing = 0;
    for (r, (x, y)) in a.iter().zip(b).enumerate() {
        let (ix, wx): (Vec<u32>, Vec<f32>) = x.iter().copied().unzip();
        let (iy, wy): (Vec<u32>, Vec<f32>) = y.iter().copied().unzip();
        assert_eq!(ix, iy, "{name}: row {r} lists other ids (or another order)");
        let (n, m) = diff_values(&wx, &wy);
        if n > 0 {
            eprintln!("{name}: row {r}: {n} weights differ (max |d| {m:e})");
            rows_differing += 1;
        }
    }
    assert_eq!(rows_differing, 0, "{name}: weights differ between two runs with the same seeds");
}

fn same_tables(a: &Tables, b: &Tables) {
    assert_eq!(a.items, b.items, "items (bundle order)");
    assert_eq!(diff_values(&a.count, &b.count).0, 0, "popularity");
    assert_eq!(diff_values(&a.trend, &b.trend).0, 0, "trend");
    same_rows("item_cf", a.item_cf.as_ref().unwrap(), b.item_cf.as_ref().unwrap());
    same_rows("transitions", a.transitions.as_ref().unwrap(), b.transitions.as_ref().unwrap());
    let ((da, fa), (db, fb)) = (a.factors.as_ref().unwrap(), b.factors.as_ref().unwrap());
    assert_eq!(da, db, "factor dimension");
    let (n, m) = diff_values(fa, fb);
    assert_eq!(n, 0, "ALS item factors: {n} of {} values differ (max |d| {m:e})", fa.len());
    let ((pa, sa), (pb, sb)) = (a.prototypes.as_ref().unwrap(), b.prototypes.as_ref().unwrap());
    assert_eq!(sa, sb, "prototype sizes");
    same_rows("prototypes", pa, pb);
}

#[test]
#[ignore = "needs Spark and a few minutes: run by scripts/test.sh's Spark section"]
fn the_same_seeds_give_the_same_tables() {
    let work = root().join("target/spark-determinism");
    std::fs::create_dir_all(&work).unwrap();
    let Some(log) = small_log(&work) else { return };
    let Some(submit) = spark_submit() else { return };
    let (one, two) = (work.join("one"), work.join("two"));
    run_spark(&submit, &log, &one);
    run_spark(&submit, &log, &two);
    let (a, b) = (read_tables(&one, &Limits::default()).unwrap(), read_tables(&two, &Limits::default()).unwrap());
    let sizes = |t: &Tables| {
        let n = |r: &Option<Rows>| r.as_ref().map_or(0, |r| r.iter().map(Vec::len).sum::<usize>());
        (t.items.len(), n(&t.item_cf), n(&t.transitions), t.factors.as_ref().map_or(0, |f| f.1.len()))
    };
    eprintln!("tables: (items, neighbour pairs, transition pairs, factor values) {:?}", sizes(&a));
    assert!(sizes(&a).1 > 0 && sizes(&a).2 > 0 && sizes(&a).3 > 0, "the job wrote every table");
    same_tables(&a, &b);
    // The configuration it used is the same too (its `seconds` are timings, not results).
    let strip = |c: &serde_json::Value| {
        let mut c = c.clone();
        if let Some(o) = c.as_object_mut() {
            o.remove("seconds");
        }
        c
    };
    assert_eq!(strip(&a.config), strip(&b.config), "config.json");
}
