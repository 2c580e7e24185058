//! cargo-fuzz target `readers`: the check of `fuzz/checks/readers.rs` on generated inputs.
#![no_main]

#[path = "../checks/readers.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
