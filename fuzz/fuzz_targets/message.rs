#![no_main]
//! libFuzzer's entry for the `message` target: the check lives in the library, where the
//! regression check runs it too.

libfuzzer_sys::fuzz_target!(|data: &[u8]| dripdrop_fuzz::message::check(data));
