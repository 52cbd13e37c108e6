//! What the backchannel says: the snapshots the loop hands over and the four messages made
//! of them (`dripdrop.hello`, `.beat`, `.alive`, `.goodbye`; their bodies are the table in
//! `docs/control.md`). Built on the reporting thread, so the loop only copies counters.

use super::identity::Identity;
use super::settings::ControlSettings;
use crate::bert::Value;
use crate::error::Error;
use crate::message::Message;
use crate::pool::{LatencyHistogram, PoolSnapshot};
use crate::route::RouteStats;

/// A route as the hello describes it.
#[derive(Clone, Debug)]
pub(crate) struct RouteDescription {
    pub(crate) name: String,
    pub(crate) kind: &'static str,
    pub(crate) endpoints: Vec<String>,
}

/// What the node is made of, for the hello: taken when its loop first runs, once the
/// program has set it up.
#[derive(Clone, Debug, Default)]
pub(crate) struct Description {
    pub(crate) nodelets: Vec<String>,
    pub(crate) routes: Vec<RouteDescription>,
    pub(crate) pools: Vec<String>,
}

/// A route's counters in a beat.
#[derive(Clone, Debug)]
pub(crate) struct RouteBeat {
    pub(crate) name: String,
    pub(crate) stats: RouteStats,
}

/// A pool's counters in a beat.
#[derive(Clone, Debug)]
pub(crate) struct PoolBeat {
    pub(crate) name: String,
    pub(crate) snapshot: PoolSnapshot,
}

/// The loop's counters at one heartbeat, all cumulative since the node started.
#[derive(Clone, Debug)]
pub(crate) struct Beat {
    /// Beats the loop made before this one (a gap is a beat lost on the way).
    pub(crate) seq: u64,
    pub(crate) routes: Vec<RouteBeat>,
    pub(crate) pools: Vec<PoolBeat>,
}

fn entry(key: &str, value: impl Into<Value>) -> (Value, Value) {
    (Value::from(key), value.into())
}

fn texts(items: &[String]) -> Value {
    Value::List(items.iter().map(|s| Value::from(s.as_str())).collect())
}

/// The frame of a message named `name` with a dict body.
fn frame(name: &str, body: Vec<(Value, Value)>) -> Result<Vec<u8>, Error> {
    Message::new(name)?.with_body(Value::Dict(body)).encode()
}

/// `dripdrop.hello`: who the process is and what it is made of.
pub(crate) fn hello(
    identity: &Identity,
    settings: &ControlSettings,
    description: &Description,
) -> Result<Vec<u8>, Error> {
    let routes = description
        .routes
        .iter()
        .map(|r| {
            Value::Dict(vec![
                entry("name", r.name.as_str()),
                entry("kind", r.kind),
                entry("endpoints", texts(&r.endpoints)),
            ])
        })
        .collect::<Vec<_>>();
    let heartbeat_ms = u64::try_from(settings.heartbeat.as_millis()).unwrap_or(u64::MAX);
    frame(
        "dripdrop.hello",
        vec![
            entry("id", identity.id.as_str()),
            entry("host", identity.host.as_str()),
            entry("pid", u64::from(identity.pid)),
            entry("role", settings.role.as_str()),
            entry("language", settings.language.as_str()),
            entry("version", env!("CARGO_PKG_VERSION")),
            entry("started_at", identity.started_at.clone()),
            entry("heartbeat_ms", heartbeat_ms),
            entry("app", settings.app.as_str()),
            entry("node", settings.node.as_str()),
            entry("instance", settings.instance.as_str()),
            entry("nodelets", texts(&description.nodelets)),
            entry("routes", routes),
            entry("pools", texts(&description.pools)),
        ],
    )
}

/// `dripdrop.beat`: the loop's counters; `reports_dropped` is the thread's, as it sends.
pub(crate) fn beat(id: &str, beat: &Beat, reports_dropped: u64) -> Result<Vec<u8>, Error> {
    let routes = beat
        .routes
        .iter()
        .map(|r| {
            let s = &r.stats;
            Value::Dict(vec![
                entry("name", r.name.as_str()),
                entry("messages_in", s.messages_in),
                entry("messages_out", s.messages_out),
                entry("bytes_in", s.bytes_in),
                entry("bytes_out", s.bytes_out),
                entry("errors", s.send_errors + s.decode_errors),
                entry("dropped", s.dropped),
                entry("backpressure", s.backpressure),
                entry("queue_depth", s.queue_depth),
                entry("auth_refused", s.auth_refused),
                entry("handshake_failed", s.handshake_failed),
            ])
        })
        .collect::<Vec<_>>();
    let pools = beat
        .pools
        .iter()
        .map(|p| {
            let (s, c) = (&p.snapshot, &p.snapshot.counters);
            Value::Dict(vec![
                entry("name", p.name.as_str()),
                entry("pending", s.pending as u64),
                entry("in_flight", s.in_flight as u64),
                entry("submitted", c.submitted),
                entry("completed", c.completed),
                entry("failed", c.failed),
                entry("retried", c.retried),
                entry("quarantined", c.quarantined),
                entry("workers", s.workers.len() as u64),
                entry("auth_refused", s.auth_refused),
                entry("handshake_failed", s.handshake_failed),
                entry("latency_us", latency(&s.latency)),
            ])
        })
        .collect::<Vec<_>>();
    frame(
        "dripdrop.beat",
        vec![
            entry("id", id),
            entry("seq", beat.seq),
            entry("routes", routes),
            entry("pools", pools),
            entry("reports_dropped", reports_dropped),
        ],
    )
}

/// A cumulative latency histogram as `[upper bound µs, tasks]` pairs of its non-empty
/// buckets: the server subtracts the last beat's to get the percentiles between the two.
fn latency(histogram: &LatencyHistogram) -> Value {
    let pair = |(upper, count): (u64, u64)| Value::List(vec![upper.into(), count.into()]);
    Value::List(histogram.nonzero().map(pair).collect())
}

/// `dripdrop.alive`: the reporting thread's own signal.
pub(crate) fn alive(id: &str, seq: u64) -> Result<Vec<u8>, Error> {
    frame("dripdrop.alive", vec![entry("id", id), entry("seq", seq)])
}

/// `dripdrop.goodbye`: a clean stop.
pub(crate) fn goodbye(id: &str) -> Result<Vec<u8>, Error> {
    frame("dripdrop.goodbye", vec![entry("id", id)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_bodies_are_the_documented_dicts() {
        let identity = Identity::new();
        let settings = ControlSettings {
            endpoint: "tcp://c:1".into(),
            source: "control option",
            role: "api".into(),
            language: "rust".into(),
            heartbeat: Duration::from_millis(250),
            app: "shop".into(),
            node: "api".into(),
            instance: "2".into(),
            curve: Default::default(),
        };
        let description = Description {
            nodelets: vec!["web".into()],
            routes: vec![RouteDescription {
                name: "jobs".into(),
                kind: "zmq_push",
                endpoints: vec!["tcp://a:1".into()],
            }],
            pools: vec!["render".into()],
        };
        let hello = Message::decode(&hello(&identity, &settings, &description).unwrap()).unwrap();
        let body = hello.body();
        assert_eq!(hello.name(), "dripdrop.hello");
        assert_eq!(
            body.get("id").and_then(Value::as_str),
            Some(identity.id.as_str())
        );
        assert_eq!(body.get("heartbeat_ms"), Some(&Value::Int(250)));
        assert_eq!(body.get("role").and_then(Value::as_str), Some("api"));
        let text = |key| body.get(key).and_then(Value::as_str);
        assert_eq!(
            (text("app"), text("node"), text("instance")),
            (Some("shop"), Some("api"), Some("2"))
        );
        let Some(Value::List(routes)) = body.get("routes") else {
            panic!("routes: {body:?}")
        };
        assert_eq!(
            routes[0].get("kind").and_then(Value::as_str),
            Some("zmq_push")
        );

        let stats = RouteStats {
            messages_out: 7,
            send_errors: 1,
            decode_errors: 2,
            ..RouteStats::default()
        };
        let beat_value = Beat {
            seq: 3,
            routes: vec![RouteBeat {
                name: "jobs".into(),
                stats,
            }],
            pools: vec![],
        };
        let beat = Message::decode(&beat(&identity.id, &beat_value, 5).unwrap()).unwrap();
        let body = beat.body();
        assert_eq!(body.get("seq"), Some(&Value::Int(3)));
        assert_eq!(body.get("reports_dropped"), Some(&Value::Int(5)));
        let Some(Value::List(routes)) = body.get("routes") else {
            panic!("routes: {body:?}")
        };
        assert_eq!(routes[0].get("messages_out"), Some(&Value::Int(7)));
        assert_eq!(routes[0].get("errors"), Some(&Value::Int(3)));
    }
}
