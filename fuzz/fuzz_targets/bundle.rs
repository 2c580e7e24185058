//! Arbitrary bytes as a bundle: `decode` and `inspect` return `Ok` or a typed error, never panic, and
//! whatever `decode` accepts passes `validate` and survives a re-encode / decode round trip.
//! (Random bytes rarely get past the checksum; `bundle_values` fuzzes the tensor-level checks.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use recofuse_core::bundle;

fuzz_target!(|data: &[u8]| {
    let _ = bundle::inspect(data);
    if let Ok(model) = bundle::decode(data.to_vec()) {
        assert!(bundle::validate(&model).is_ok());
        let again = bundle::encode(&model, &bundle::EncodeOptions { compact: false }).expect("a decoded model encodes");
        assert_eq!(bundle::decode(again).expect("and decodes again"), model);
    }
});
