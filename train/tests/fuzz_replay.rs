//! The `readers` fuzz target's check (`fuzz/checks/readers.rs`) on the inputs kept in
//! `fuzz/seeds/readers/` — seeds and every crash the fuzzer found, minimised — as a regular stable-Rust
//! test (see `core/tests/fuzz_replay.rs` for the engine's targets). A local corpus
//! (`fuzz/corpus/readers/`, not committed) is replayed too when present.
use std::path::Path;

#[path = "../../fuzz/checks/readers.rs"]
mod readers_check;

#[test]
fn readers_seeds_and_crashes_replay_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut files = Vec::new();
    for dir in [root.join("seeds/readers"), root.join("corpus/readers")] {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            files.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_file()));
        }
    }
    files.sort();
    assert!(!files.is_empty(), "fuzz/seeds/readers/ holds the target's seeds");
    for f in &files {
        let data = std::fs::read(f).expect("readable seed");
        if std::panic::catch_unwind(|| readers_check::check(&data)).is_err() {
            panic!("fuzz target readers fails on {}", f.display());
        }
    }
    eprintln!("readers: {} inputs replayed", files.len());
}
