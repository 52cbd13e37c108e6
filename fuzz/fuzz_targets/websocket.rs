#![no_main]
//! libFuzzer's entry for the `websocket` target: the check lives in the library, where the
//! regression check runs it too.

libfuzzer_sys::fuzz_target!(|data: &[u8]| dripdrop_fuzz::websocket::check(data));
