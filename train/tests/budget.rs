//! Bytes chosen by measurement (issue 15): the frontier walk and `train --bytes-per-item` on a small
//! generated log with a known right answer.

use std::path::{Path, PathBuf};

use recofuse_train::budget::Keep;
use recofuse_train::pipeline::{self, FrontierOptions, Options};

/// 120 users walking a ring of 40 items (user `u` starts at `u mod 40` and takes 10 steps, one per
/// hour): the next item is always the successor of the last one, which one transition per item says.
fn ring_log(dir: &Path) -> PathBuf {
    let mut text = String::from("user_id,item_id,timestamp\n");
    for u in 0..120 {
        let s = u % 40;
        for k in 0..10 {
            text.push_str(&format!("u{u},{},{}\n", (s + k) % 40, 1_600_000_000 + u * 100_000 + k * 3600));
        }
    }
    let p = dir.join("ring.csv");
    std::fs::write(&p, text).unwrap();
    p
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("recofuse-budget-test-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn frontier_shrinks_the_bundle_and_train_honours_the_budget() {
    let dir = tmp("frontier");
    let opts = Options::new(ring_log(&dir), None);
    let f = pipeline::frontier(&opts, &FrontierOptions { floor: 0.0, ..Default::default() }).unwrap();
    assert_eq!(f.points[0].keep, Keep::ALL);
    assert!(f.points.len() > 5, "{:#?}", f.points);
    for w in f.points.windows(2) {
        assert!(w[1].bytes_per_item < w[0].bytes_per_item, "sizes shrink along the walk: {:#?}", f.points);
    }
    let full = f.points[0].test_ndcg10.unwrap();
    assert!(full > 0.9, "the ring is solved unconstrained: {full}");
    // One transition per item is all the ring needs: the smallest point within 2 % is much smaller.
    let i = f.within_2pct.unwrap();
    let p = &f.points[i];
    assert!(p.test_ndcg10.unwrap() >= 0.98 * full);
    assert!(p.bytes_per_item < 0.7 * f.points[0].bytes_per_item, "{:#?}", f.points);
    // The walk ends with no neighbours, transitions or embeddings: the ring is no longer solved.
    let last = f.points.last().unwrap();
    assert_eq!((last.keep.neighbours, last.keep.transitions, last.keep.embedding_dim), (Some(0), Some(0), Some(0)));
    assert!(last.test_ndcg10.unwrap() < 0.95 * full, "{last:#?}");
    let md = pipeline::frontier_markdown(&f);
    assert!(md.contains("(smallest within 2 %)"), "{md}");

    // train --bytes-per-item: the shipped bundle fits the budget and keeps what the walk chose.
    let budget = p.bytes_per_item.ceil();
    let out = pipeline::train(&Options { bytes_per_item: Some(budget), ..opts.clone() }).unwrap();
    let bytes = recofuse_core::bundle::encode(&out.model, &Default::default()).unwrap();
    assert!(bytes.len() as f64 / out.model.items.len() as f64 <= budget, "{} B for {budget} B/item", bytes.len());
    assert!(out.model.info.contains_key("budget.keep"));
    assert!(out.report["budget"]["chosen"]["valid_ndcg10"].as_f64().unwrap() > 0.5, "{}", out.report["budget"]);
    // A budget below the smallest setting is a typed error, not a panic or a silent overshoot.
    let err = pipeline::train(&Options { bytes_per_item: Some(1.0), ..opts.clone() }).unwrap_err();
    assert!(err.to_string().contains("--bytes-per-item"), "{err}");

    // Per-section knobs by hand.
    let keep = Keep { transitions: Some(0), neighbours: Some(2), ..Keep::ALL };
    let out = pipeline::train(&Options { keep: Some(keep), ..opts }).unwrap();
    assert!(out.model.transitions.is_none());
    let cf = out.model.item_cf.as_ref().unwrap();
    assert!((0..cf.rows()).all(|r| cf.row(r).0.len() <= 2));
    std::fs::remove_dir_all(&dir).ok();
}
