//! The backchannel's frames as a reporting node writes them (`control/report.rs`), for the
//! seed corpus of the control server's reader.

use crate::control::identity::Identity;
use crate::control::report::{self, Beat, Description};
use crate::control::{ControlSettings, PoolBeat, RouteBeat, RouteDescription};
use crate::error::Error;
use crate::pool::PoolSnapshot;
use crate::route::RouteStats;
use std::time::Duration;

/// A hello, a beat with a route and a pool (its latency histogram filled), an alive and a
/// goodbye, from a node with one route and one pool.
pub fn frames() -> Result<Vec<Vec<u8>>, Error> {
    let identity = Identity::new();
    let settings = ControlSettings {
        endpoint: "tcp://127.0.0.1:7681".into(),
        source: "control option",
        role: "api".into(),
        language: "rust".into(),
        heartbeat: Duration::from_millis(1000),
        app: "shop".into(),
        node: "api".into(),
        instance: "2".into(),
        curve: crate::security::CurveOption::Off,
    };
    let description = Description {
        nodelets: vec!["web".into()],
        routes: vec![RouteDescription {
            name: "jobs".into(),
            kind: "zmq_push",
            endpoints: vec!["tcp://127.0.0.1:5555".into()],
        }],
        pools: vec!["render".into()],
    };
    let mut snapshot = PoolSnapshot {
        pending: 3,
        in_flight: 2,
        ..PoolSnapshot::default()
    };
    for micros in [90, 900, 9_000, 90_000] {
        snapshot.latency.record(Duration::from_micros(micros));
    }
    let beat = Beat {
        seq: 41,
        routes: vec![RouteBeat {
            name: "jobs".into(),
            stats: RouteStats {
                messages_in: 12,
                messages_out: 30,
                bytes_in: 2_048,
                bytes_out: 9_000,
                ..RouteStats::default()
            },
        }],
        pools: vec![PoolBeat {
            name: "render".into(),
            snapshot,
        }],
    };
    Ok(vec![
        report::hello(&identity, &settings, &description)?,
        report::beat(&identity.id, &beat, 0)?,
        report::alive(&identity.id, 7)?,
        report::goodbye(&identity.id)?,
    ])
}
