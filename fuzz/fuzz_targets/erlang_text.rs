#![no_main]
//! libFuzzer's entry for the `erlang_text` target: the check lives in the library, where the
//! regression check runs it too.

libfuzzer_sys::fuzz_target!(|data: &[u8]| dripdrop_fuzz::erlang_text::check(data));
