#![no_main]
//! `cargo +nightly fuzz run marshal` (from the repository root, with cargo-fuzz installed).

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::check(data));
