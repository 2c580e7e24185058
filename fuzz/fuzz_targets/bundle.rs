//! cargo-fuzz target `bundle`: the check of `fuzz/checks/bundle.rs` on generated inputs.
#![no_main]

#[path = "../checks/bundle.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
