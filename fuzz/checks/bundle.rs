//! Arbitrary bytes as a bundle: `decode` and `inspect` return `Ok` or a typed error, never panic, and
//! whatever `decode` accepts passes `validate` and survives a re-encode / decode round trip.
//! (Random bytes rarely get past the checksum; `bundle_values` fuzzes the tensor-level checks.)
//!
//! One place for the check: the fuzz target `bundle` runs it on generated inputs, and the stable
//! replay test (`core/tests/fuzz_replay.rs`) on the seeds and crashes kept in `fuzz/seeds/bundle/`.

use recofuse_core::bundle;

/// Runs the check on one input; panics (a finding) when a property does not hold.
pub fn check(data: &[u8]) {
    let _ = bundle::inspect(data);
    if let Ok(model) = bundle::decode(data.to_vec()) {
        assert!(bundle::validate(&model).is_ok());
        let again = bundle::encode(&model, &bundle::EncodeOptions { compact: false }).expect("a decoded model encodes");
        assert_eq!(bundle::decode(again).expect("and decodes again"), model);
    }
}
