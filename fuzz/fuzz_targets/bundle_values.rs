//! cargo-fuzz target `bundle_values`: the check of `fuzz/checks/bundle_values.rs` on generated inputs.
#![no_main]

#[path = "../checks/bundle_values.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
