//! Arbitrary text as serialised history: `History::decode` must return `Ok` (possibly with dropped
//! records reported) or a typed error, never panic; what it keeps must encode and decode cleanly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use recofuse_core::History;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok((history, _recovery)) = History::decode(&text, 64) {
        assert!(history.len() <= 64);
        let (again, recovery) = History::decode(&history.encode(), 64).expect("re-decodes");
        assert!(recovery.is_clean());
        assert_eq!(again.len(), history.len());
    }
});
