//! cargo-fuzz target `history`: the check of `fuzz/checks/history.rs` on generated inputs.
#![no_main]

#[path = "../checks/history.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
