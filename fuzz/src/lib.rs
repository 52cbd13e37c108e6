//! DripDrop's fuzz targets: one check per reader of bytes from the network, each more than
//! "does not panic": round trips, the fast and the general reading agreeing, bytes read whole
//! and in pieces agreeing, and memory held to the decoder's documented bound.
//!
//! Each check is a plain function, so the same code runs under libFuzzer
//! (`fuzz_targets/`, built by `scripts/fuzz`) and in the regression check
//! (`tests/regressions.rs`, run by `scripts/test`) over the seed corpus and every input that
//! ever failed. docs/security.md, "Fuzzing", says how to run them.

pub mod alloc;
pub mod backchannel;
pub mod bert;
pub mod erlang_text;
pub mod http_request;
pub mod json;
pub mod message;
pub mod pool_to_pool;
pub mod pool_to_worker;
pub mod seeds;
pub mod websocket;

/// A target's check: returns on a good input, panics on a finding.
pub type Check = fn(&[u8]);

/// Every target: its name (its folder in `corpus/` and `regressions/`) and its check.
pub const TARGETS: &[(&str, Check)] = &[
    ("bert", bert::check),
    ("message", message::check),
    ("json", json::check),
    ("pool_to_pool", pool_to_pool::check),
    ("pool_to_worker", pool_to_worker::check),
    ("backchannel", backchannel::check),
    ("http_request", http_request::check),
    ("websocket", websocket::check),
    ("erlang_text", erlang_text::check),
];
