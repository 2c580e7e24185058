//! Arbitrary text as serialised history: `History::decode` must return `Ok` (possibly with dropped
//! records reported) or a typed error, never panic; what it keeps must encode and decode cleanly.
//!
//! One place for the check: the fuzz target `history` runs it on generated inputs, and the stable
//! replay test (`core/tests/fuzz_replay.rs`) on the seeds and crashes kept in `fuzz/seeds/history/`.

use recofuse_core::History;

/// Runs the check on one input; panics (a finding) when a property does not hold.
pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok((history, _recovery)) = History::decode(&text, 64) {
        assert!(history.len() <= 64);
        let (again, recovery) = History::decode(&history.encode(), 64).expect("re-decodes");
        assert!(recovery.is_clean());
        assert_eq!(again.len(), history.len());
    }
}
