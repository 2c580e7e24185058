//! Arbitrary tensor values behind a valid checksum: the input is read as `(offset, xor)` byte triples
//! (u16 little-endian offset, xor mask) applied to the data buffer of a small valid bundle, whose
//! checksum is then re-sealed. `decode` must return `Ok` or a typed error, never panic, and whatever it
//! accepts passes `validate` and survives a re-encode / decode round trip.
//!
//! One place for the check: the fuzz target `bundle_values` runs it on generated inputs, and the stable
//! replay test (`core/tests/fuzz_replay.rs`) on the seeds and crashes kept in `fuzz/seeds/bundle_values/`.

use std::sync::OnceLock;

use recofuse_core::{bundle, Error};
use recofuse_testkit as demo;

/// A small valid bundle with every section, and where its data buffer starts.
fn base() -> &'static (Vec<u8>, usize) {
    static BASE: OnceLock<(Vec<u8>, usize)> = OnceLock::new();
    BASE.get_or_init(|| {
        let bytes = bundle::encode(&demo::catalog(12, 3), &Default::default()).expect("demo encodes");
        let header = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
        (bytes, 8 + header)
    })
}

/// Runs the check on one input; panics (a finding) when a property does not hold.
pub fn check(data: &[u8]) {
    let (base, start) = base();
    let payload = base.len() - start;
    if payload == 0 {
        return;
    }
    let mut bytes = base.clone();
    for t in data.chunks_exact(3) {
        let at = usize::from(u16::from_le_bytes([t[0], t[1]])) % payload;
        bytes[start + at] ^= t[2];
    }
    // Re-seal: the decoder tells the payload's actual digest; write it over the recorded one.
    if let Err(Error::ChecksumMismatch { expected, actual }) = bundle::decode(bytes.clone()) {
        let Some(pos) = bytes[..*start].windows(expected.len()).position(|w| w == expected.as_bytes()) else {
            return;
        };
        bytes[pos..pos + actual.len()].copy_from_slice(actual.as_bytes());
    }
    match bundle::decode(bytes) {
        Ok(model) => {
            assert!(bundle::validate(&model).is_ok());
            let again = bundle::encode(&model, &bundle::EncodeOptions { compact: false }).expect("encodes");
            assert_eq!(bundle::decode(again).expect("decodes again"), model);
        }
        Err(e) => assert!(!matches!(e, Error::ChecksumMismatch { .. }), "re-sealed: {e}"),
    }
}
