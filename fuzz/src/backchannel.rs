//! `backchannel`: any frame a process may send the control server, read by the server's own
//! reader (cli/src/control/wire.rs, compiled in here: the cli is a binary crate).
//!
//! - memory within the documented bound for the reader's limits (32 levels);
//! - every report keeps within the bounds docs/control.md gives: text cut to 256 bytes, at
//!   most 64 routes and pools, 16 endpoints a route, 160 latency buckets a pool, and a
//!   heartbeat between 100 ms and 10 minutes.

use crate::alloc::{assert_within, peak_during};

#[path = "../../cli/src/control/wire.rs"]
pub mod wire;

use wire::{Report, MAX_ENDPOINTS, MAX_LATENCY_BUCKETS, MAX_POOLS, MAX_ROUTES, MAX_TEXT};

/// The depth the server reads frames within.
const DEPTH: usize = 32;

pub fn check(data: &[u8]) {
    let (report, peak) = peak_during(|| wire::read(data));
    assert_within("wire::read", data.len(), DEPTH, peak);
    let text = |field: &str, what: &str| {
        assert!(field.len() <= MAX_TEXT, "{what}: {} bytes", field.len());
    };
    match report {
        Ok(Report::Hello(hello)) => {
            for (field, what) in [
                (&hello.host, "host"),
                (&hello.role, "role"),
                (&hello.language, "language"),
                (&hello.version, "version"),
                (&hello.app, "app"),
                (&hello.node, "node"),
                (&hello.instance, "instance"),
            ] {
                text(field, what);
            }
            assert!((100..=600_000).contains(&hello.heartbeat_ms));
            assert!(hello.routes.len() <= MAX_ROUTES && hello.pools.len() <= MAX_POOLS);
            for route in &hello.routes {
                text(&route.name, "route name");
                text(&route.kind, "route kind");
                assert!(route.endpoints.len() <= MAX_ENDPOINTS);
                route.endpoints.iter().for_each(|e| text(e, "endpoint"));
            }
            hello.pools.iter().for_each(|p| text(p, "pool"));
        }
        Ok(Report::Beat(beat)) => {
            assert!(beat.routes.len() <= MAX_ROUTES && beat.pools.len() <= MAX_POOLS);
            beat.routes.iter().for_each(|r| text(&r.name, "route name"));
            for pool in &beat.pools {
                text(&pool.name, "pool name");
                assert!(pool.latency_us.len() <= MAX_LATENCY_BUCKETS);
            }
        }
        Ok(Report::Started(process) | Report::Exited(wire::Exited { process, .. })) => {
            text(&process.host, "host");
            text(&process.app, "app");
            text(&process.node, "node");
        }
        Ok(Report::Alive | Report::Goodbye) | Err(_) => {}
    }
}
