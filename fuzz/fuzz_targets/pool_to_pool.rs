#![no_main]
//! libFuzzer's entry for the `pool_to_pool` target: the check lives in the library, where the
//! regression check runs it too.

libfuzzer_sys::fuzz_target!(|data: &[u8]| dripdrop_fuzz::pool_to_pool::check(data));
