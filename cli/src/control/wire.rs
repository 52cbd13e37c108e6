//! The backchannel's messages (docs/control.md, "The backchannel") read from a frame a peer
//! sent: every field checked and bounded here, so the table only ever holds what fits.

use dripdrop::{DecodeLimits, Message, Value};

/// Longest text kept from a field (host, role, names...); longer text is cut.
pub const MAX_TEXT: usize = 256;
/// Most routes and most pools kept per process; the rest of a list is ignored.
pub const MAX_ROUTES: usize = 64;
pub const MAX_POOLS: usize = 64;
/// Most latency buckets kept per pool: a histogram has 144 (docs/control.md).
pub const MAX_LATENCY_BUCKETS: usize = 160;
/// Most endpoints kept per route.
pub const MAX_ENDPOINTS: usize = 16;
/// The largest frame the server accepts: a hello with every list full is far smaller.
pub const MAX_FRAME_BYTES: usize = 1 << 20;
/// The heartbeat a process may ask for, in ms: below it the server's 100 ms tick could not
/// tell a late beat from a missed one; above it a dead process would stay `up` for hours.
const HEARTBEAT_MS: std::ops::RangeInclusive<u64> = 100..=600_000;

/// Why a frame is not a report.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("not a DripDrop message: {0}")]
    Decode(#[from] dripdrop::Error),
    #[error("unknown message {0:?}")]
    UnknownName(String),
    #[error("the body of {0} is not a dict")]
    NotADict(&'static str),
}

/// One report, as the table takes it.
#[derive(Debug)]
pub enum Report {
    Hello(Hello),
    Beat(Beat),
    Alive,
    Goodbye,
    /// From a launcher: it started a process.
    Started(Launched),
    /// From a launcher: a process it started ended.
    Exited(Exited),
}

/// A process a launcher started (docs/deploy.md, "The launcher").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Launched {
    pub host: String,
    pub pid: u64,
    pub app: String,
    pub node: String,
    pub instance: u64,
}

/// A process a launcher saw end: its exit code or signal, and what the launcher does next.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exited {
    pub process: Launched,
    pub code: Option<i64>,
    pub signal: Option<i64>,
    pub restarting: bool,
    /// It ended too often too fast: the launcher stopped restarting it.
    pub flapping: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Hello {
    pub host: String,
    pub pid: u64,
    pub role: String,
    pub language: String,
    pub version: String,
    /// When the process started, in seconds since the Unix epoch (as its clock says).
    pub started_at: Option<i64>,
    pub heartbeat_ms: u64,
    /// The app, node and instance a launcher started it as (empty when none did).
    pub app: String,
    pub node: String,
    pub instance: String,
    pub routes: Vec<RouteInfo>,
    pub pools: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct RouteInfo {
    pub name: String,
    pub kind: String,
    pub endpoints: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Beat {
    /// The loop's beats before this one: 0 for a process's first beat.
    pub seq: u64,
    pub routes: Vec<RouteCounters>,
    pub pools: Vec<PoolCounters>,
}

/// A route's cumulative counters, as a beat carries them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RouteCounters {
    pub name: String,
    pub messages_in: u64,
    pub messages_out: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub errors: u64,
    pub dropped: u64,
    pub backpressure: u64,
    /// A gauge, not cumulative: the messages waiting on the route at the beat.
    pub queue_depth: u64,
    /// CURVE handshakes refused (a key not allowed) and failed otherwise (plain text,
    /// wrong keys); 0 from a process that sends neither.
    pub auth_refused: u64,
    pub handshake_failed: u64,
}

/// A pool's counters, as a beat carries them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PoolCounters {
    pub name: String,
    pub pending: u64,
    pub in_flight: u64,
    pub completed: u64,
    pub failed: u64,
    pub workers: u64,
    /// CURVE: workers refused, and handshakes that failed otherwise.
    pub auth_refused: u64,
    pub handshake_failed: u64,
    /// The cumulative task latency histogram: (upper bound µs, tasks) of each non-empty
    /// bucket, in the order sent.
    pub latency_us: Vec<(u64, u64)>,
}

/// Reads one frame. Decoding is bounded by the frame's size, nesting and term count.
pub fn read(frame: &[u8]) -> Result<Report, WireError> {
    let limits = DecodeLimits {
        max_input_bytes: MAX_FRAME_BYTES,
        // A BERT dict is three levels (tuple, list, pair): a hello's endpoints sit at about 14.
        max_depth: 32,
        max_elements: 100_000,
        max_bigint_bytes: 16,
    };
    let message = Message::decode_with_limits(frame, &limits)?;
    let body = message.body();
    let dict = |name: &'static str| match body {
        Value::Dict(_) => Ok(body),
        _ => Err(WireError::NotADict(name)),
    };
    match message.name() {
        "dripdrop.hello" => Ok(Report::Hello(hello(dict("dripdrop.hello")?))),
        "dripdrop.beat" => Ok(Report::Beat(beat(dict("dripdrop.beat")?))),
        "dripdrop.alive" => Ok(Report::Alive),
        "dripdrop.goodbye" => Ok(Report::Goodbye),
        "dripdrop.started" => Ok(Report::Started(launched(dict("dripdrop.started")?))),
        "dripdrop.exited" => {
            let body = dict("dripdrop.exited")?;
            Ok(Report::Exited(Exited {
                process: launched(body),
                code: integer(body, "code"),
                signal: integer(body, "signal"),
                restarting: flag(body, "restarting"),
                flapping: flag(body, "flapping"),
            }))
        }
        other => Err(WireError::UnknownName(text_of(other))),
    }
}

fn hello(body: &Value) -> Hello {
    let heartbeat = number(body, "heartbeat_ms");
    Hello {
        host: text(body, "host"),
        pid: number(body, "pid"),
        role: text(body, "role"),
        language: text(body, "language"),
        version: text(body, "version"),
        app: text(body, "app"),
        node: text(body, "node"),
        instance: text(body, "instance"),
        started_at: match body.get("started_at") {
            Some(Value::Time(time)) => Some(time.seconds()),
            _ => None,
        },
        heartbeat_ms: if heartbeat == 0 {
            1000
        } else {
            heartbeat.clamp(*HEARTBEAT_MS.start(), *HEARTBEAT_MS.end())
        },
        routes: list(body, "routes", MAX_ROUTES)
            .map(|route| RouteInfo {
                name: text(route, "name"),
                kind: text(route, "kind"),
                endpoints: list(route, "endpoints", MAX_ENDPOINTS)
                    .map(|e| text_value(e).unwrap_or_default())
                    .collect(),
            })
            .collect(),
        pools: list(body, "pools", MAX_POOLS)
            .map(|p| text_value(p).unwrap_or_default())
            .collect(),
    }
}

fn beat(body: &Value) -> Beat {
    Beat {
        seq: number(body, "seq"),
        routes: list(body, "routes", MAX_ROUTES)
            .map(|route| RouteCounters {
                name: text(route, "name"),
                messages_in: number(route, "messages_in"),
                messages_out: number(route, "messages_out"),
                bytes_in: number(route, "bytes_in"),
                bytes_out: number(route, "bytes_out"),
                errors: number(route, "errors"),
                dropped: number(route, "dropped"),
                backpressure: number(route, "backpressure"),
                queue_depth: number(route, "queue_depth"),
                auth_refused: number(route, "auth_refused"),
                handshake_failed: number(route, "handshake_failed"),
            })
            .collect(),
        pools: list(body, "pools", MAX_POOLS)
            .map(|pool| PoolCounters {
                name: text(pool, "name"),
                pending: number(pool, "pending"),
                in_flight: number(pool, "in_flight"),
                completed: number(pool, "completed"),
                failed: number(pool, "failed"),
                workers: number(pool, "workers"),
                auth_refused: number(pool, "auth_refused"),
                handshake_failed: number(pool, "handshake_failed"),
                latency_us: list(pool, "latency_us", MAX_LATENCY_BUCKETS)
                    .filter_map(pair)
                    .collect(),
            })
            .collect(),
    }
}

fn launched(body: &Value) -> Launched {
    Launched {
        host: text(body, "host"),
        pid: number(body, "pid"),
        app: text(body, "app"),
        node: text(body, "node"),
        instance: number(body, "instance"),
    }
}

/// An integer that fits 64 bits, or `None` (nil, absent, anything else).
fn integer(body: &Value, key: &str) -> Option<i64> {
    match body.get(key) {
        Some(Value::Int(n)) => Some(*n),
        _ => None,
    }
}

/// `true` only for BERT's true.
fn flag(body: &Value, key: &str) -> bool {
    matches!(body.get(key), Some(Value::Bool(true)))
}

/// The first `max` items of the list under `key` (none if it is not a list).
fn list<'a>(body: &'a Value, key: &str, max: usize) -> impl Iterator<Item = &'a Value> {
    let items = match body.get(key) {
        Some(Value::List(items)) => items.as_slice(),
        _ => &[],
    };
    items.iter().take(max)
}

/// A `[a, b]` pair of whole numbers; anything else is skipped.
fn pair(value: &Value) -> Option<(u64, u64)> {
    let whole = |v: &Value| match v {
        Value::Int(n) => u64::try_from(*n).ok(),
        _ => None,
    };
    match value {
        Value::List(items) | Value::Tuple(items) if items.len() == 2 => {
            Some((whole(&items[0])?, whole(&items[1])?))
        }
        _ => None,
    }
}

/// A counter: a whole number from 0 up; anything else (negative, a big integer, text) is 0.
fn number(body: &Value, key: &str) -> u64 {
    match body.get(key) {
        Some(Value::Int(n)) => u64::try_from(*n).unwrap_or(0),
        _ => 0,
    }
}

fn text(body: &Value, key: &str) -> String {
    body.get(key).and_then(text_value).unwrap_or_default()
}

/// Text from a binary or an atom, cut to [`MAX_TEXT`] bytes (at a character boundary).
fn text_value(value: &Value) -> Option<String> {
    let raw = match value {
        Value::Binary(bytes) => String::from_utf8_lossy(bytes),
        Value::Atom(atom) => atom.as_str().into(),
        _ => return None,
    };
    Some(text_of(&raw))
}

/// `raw` cut to [`MAX_TEXT`] bytes at a character boundary.
pub fn text_of(raw: &str) -> String {
    let mut end = raw.len().min(MAX_TEXT);
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    raw[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(name: &str, body: Value) -> Vec<u8> {
        Message::new(name)
            .unwrap()
            .with_body(body)
            .encode()
            .unwrap()
    }

    #[test]
    fn a_hello_is_read_and_bounded() {
        let routes = (0..100)
            .map(|i| {
                Value::Dict(vec![
                    ("name".into(), Value::from(format!("r{i}"))),
                    ("kind".into(), Value::atom("zmq_push")),
                ])
            })
            .collect();
        let body = Value::Dict(vec![
            ("host".into(), Value::from("é".repeat(200))),
            ("pid".into(), Value::Int(-4)),
            ("heartbeat_ms".into(), Value::Int(1)),
            ("routes".into(), Value::List(routes)),
        ]);
        let Report::Hello(hello) = read(&frame("dripdrop.hello", body)).unwrap() else {
            panic!("a hello")
        };
        assert!(hello.host.len() <= MAX_TEXT && hello.host.starts_with('é'));
        assert_eq!((hello.pid, hello.heartbeat_ms), (0, 100));
        assert_eq!(hello.routes.len(), MAX_ROUTES);
        assert_eq!(hello.routes[3].kind, "zmq_push");
    }

    #[test]
    fn a_beat_carries_its_seq_and_every_route_counter() {
        let route = Value::Dict(vec![
            ("name".into(), Value::from("out")),
            ("backpressure".into(), Value::Int(3)),
            ("queue_depth".into(), Value::Int(2)),
        ]);
        let body = Value::Dict(vec![
            ("seq".into(), Value::Int(7)),
            ("routes".into(), Value::List(vec![route])),
        ]);
        let Report::Beat(beat) = read(&frame("dripdrop.beat", body)).unwrap() else {
            panic!("a beat")
        };
        assert_eq!(beat.seq, 7);
        let out = &beat.routes[0];
        assert_eq!((out.backpressure, out.queue_depth), (3, 2));
        let started = Value::Time(dripdrop::bert::Time::new(1_700_000_000, 5).unwrap());
        let body = Value::Dict(vec![("started_at".into(), started)]);
        let Report::Hello(hello) = read(&frame("dripdrop.hello", body)).unwrap() else {
            panic!("a hello")
        };
        assert_eq!(hello.started_at, Some(1_700_000_000));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(matches!(read(b"\x83garbage"), Err(WireError::Decode(_))));
        assert!(matches!(read(b""), Err(WireError::Decode(_))));
        let other = frame("hello", Value::Nil);
        assert!(matches!(read(&other), Err(WireError::UnknownName(_))));
        let nil = frame("dripdrop.beat", Value::Int(3));
        assert!(matches!(read(&nil), Err(WireError::NotADict(_))));
    }
}
