//! The fuzz targets' checks (`fuzz/checks/`) on the inputs kept in `fuzz/seeds/<target>/` — seeds and
//! every crash the fuzzers found, minimised — as a regular stable-Rust test: a fixed finding stays fixed
//! without a nightly compiler or cargo-fuzz. Local corpora (`fuzz/corpus/<target>/`, not committed) are
//! replayed too when present.
use std::path::{Path, PathBuf};

#[path = "../../fuzz/checks/bundle.rs"]
mod bundle_check;
#[path = "../../fuzz/checks/bundle_values.rs"]
mod bundle_values_check;
#[path = "../../fuzz/checks/history.rs"]
mod history_check;

/// The files of `fuzz/seeds/<target>/` and, when present, `fuzz/corpus/<target>/`.
fn inputs(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut out = Vec::new();
    for dir in [root.join("seeds").join(target), root.join("corpus").join(target)] {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            out.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_file()));
        }
    }
    out.sort();
    out
}

fn replay(target: &str, check: fn(&[u8])) {
    let files = inputs(target);
    assert!(!files.is_empty(), "fuzz/seeds/{target}/ holds the target's seeds");
    for f in &files {
        let data = std::fs::read(f).expect("readable seed");
        // A panic names the input that caused it.
        if std::panic::catch_unwind(|| check(&data)).is_err() {
            panic!("fuzz target {target} fails on {}", f.display());
        }
    }
    eprintln!("{target}: {} inputs replayed", files.len());
}

#[test]
fn bundle_seeds_and_crashes_replay_cleanly() {
    replay("bundle", bundle_check::check);
    // And a valid bundle (too large to keep as a seed), whole and cut short: the accepting path runs too.
    let valid = recofuse_core::bundle::encode(&recofuse_testkit::catalog(12, 3), &Default::default()).unwrap();
    assert!(recofuse_core::bundle::decode(valid.clone()).is_ok());
    for end in (0..=valid.len()).rev().step_by(97) {
        bundle_check::check(&valid[..end]);
    }
}

#[test]
fn bundle_values_seeds_and_crashes_replay_cleanly() {
    replay("bundle_values", bundle_values_check::check);
}

#[test]
fn history_seeds_and_crashes_replay_cleanly() {
    replay("history", history_check::check);
}
