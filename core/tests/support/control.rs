//! A stand-in control server for the backchannel tests: a raw ZeroMQ ROUTER, hearing each
//! peer's reports and the end of its connection. Every wait is bounded.
//!
//! `ZMQ_ROUTER_NOTIFY` (which would hand the ROUTER `[identity, ""]` at a disconnection) is
//! draft API, and the libzmq the zmq crate builds (4.3.4) leaves the draft API out. So the
//! server watches its ROUTER with a socket monitor: a `DISCONNECTED` event names the closed
//! connection's file descriptor, and each report's `ZMQ_SRCFD` says which descriptor it came
//! on, which ties a descriptor to an identity.

use dripdrop::{Message, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// `zmq_msg_get`'s "descriptor it came on" (deprecated, still in 4.3.4; zmq-sys does not
/// re-export its name).
const ZMQ_SRCFD: i32 = 2;
/// How long a test waits for what it expects before failing.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// What the server heard.
#[derive(Clone, Debug)]
pub enum Heard {
    /// The connection the peer with this identity reported on ended.
    Disconnected(String),
    /// A report, decoded, and the identity it came from.
    Report(String, Message),
}

impl Heard {
    /// The body of a report named `name` from `from`.
    pub fn report<'a>(&'a self, from: &str, name: &str) -> Option<&'a Value> {
        match self {
            Heard::Report(id, message) if id == from && message.name() == name => {
                Some(message.body())
            }
            _ => None,
        }
    }
}

pub struct ControlServer {
    router: zmq::Socket,
    monitor: zmq::Socket,
    /// Which identity reported on which connection (file descriptor).
    peers: HashMap<i32, String>,
    /// Held for the sockets' life.
    _context: zmq::Context,
    pub endpoint: String,
}

impl ControlServer {
    /// A server on an ephemeral tcp loopback port.
    pub fn bind() -> ControlServer {
        ControlServer::bind_at("tcp://127.0.0.1:*")
    }

    pub fn bind_at(address: &str) -> ControlServer {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let context = zmq::Context::new();
        let router = context.socket(zmq::ROUTER).expect("router");
        router.set_linger(0).expect("linger");
        router.bind(address).expect("bind");
        let endpoint = router
            .get_last_endpoint()
            .expect("endpoint")
            .expect("utf-8 endpoint");
        let watch = format!(
            "inproc://control-monitor-{}",
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        router
            .monitor(&watch, zmq_sys::ZMQ_EVENT_DISCONNECTED as i32)
            .expect("monitor");
        let monitor = context.socket(zmq::PAIR).expect("pair");
        monitor.connect(&watch).expect("connect the monitor");
        ControlServer {
            router,
            monitor,
            peers: HashMap::new(),
            _context: context,
            endpoint,
        }
    }

    /// The next thing heard before `deadline`, if any. Reports first: a peer's last report
    /// is read before the end of its connection.
    pub fn next_before(&mut self, deadline: Instant) -> Option<Heard> {
        loop {
            if let Some(report) = self.report() {
                return Some(report);
            }
            if let Some(gone) = self.disconnection() {
                return Some(gone);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            let mut items = [
                self.router.as_poll_item(zmq::POLLIN),
                self.monitor.as_poll_item(zmq::POLLIN),
            ];
            zmq::poll(&mut items, left.as_millis().max(1) as i64).expect("poll");
        }
    }

    /// A report waiting on the ROUTER, noting the connection it came on.
    fn report(&mut self) -> Option<Heard> {
        let (identity, _) = self.frame()?;
        let (payload, fd) = self.frame().expect("a report is [identity, frame]");
        let identity = String::from_utf8(identity).expect("a text identity");
        self.peers.insert(fd, identity.clone());
        let message = Message::decode(&payload).expect("a report is a DripDrop message");
        Some(Heard::Report(identity, message))
    }

    /// One frame and the descriptor it came on, without waiting.
    fn frame(&mut self) -> Option<(Vec<u8>, i32)> {
        // SAFETY: a message initialised, received into from a live socket, read and closed.
        unsafe {
            let mut msg = std::mem::zeroed::<zmq_sys::zmq_msg_t>();
            zmq_sys::zmq_msg_init(&mut msg);
            let rc = zmq_sys::zmq_msg_recv(
                &mut msg,
                self.router.as_mut_ptr(),
                zmq_sys::ZMQ_DONTWAIT as i32,
            );
            if rc < 0 {
                zmq_sys::zmq_msg_close(&mut msg);
                return None;
            }
            let data = zmq_sys::zmq_msg_data(&mut msg) as *const u8;
            let bytes = std::slice::from_raw_parts(data, zmq_sys::zmq_msg_size(&msg)).to_vec();
            let fd = zmq_sys::zmq_msg_get(&msg, ZMQ_SRCFD);
            zmq_sys::zmq_msg_close(&mut msg);
            Some((bytes, fd))
        }
    }

    /// A disconnection the monitor reported, of a connection a known peer reported on.
    fn disconnection(&mut self) -> Option<Heard> {
        loop {
            let frames = self.monitor.recv_multipart(zmq::DONTWAIT).ok()?;
            let event = &frames[0];
            let kind = u16::from_ne_bytes([event[0], event[1]]);
            let fd = i32::from_ne_bytes([event[2], event[3], event[4], event[5]]);
            if u32::from(kind) == zmq_sys::ZMQ_EVENT_DISCONNECTED {
                if let Some(identity) = self.peers.remove(&fd) {
                    return Some(Heard::Disconnected(identity));
                }
            }
        }
    }

    /// Reads until `wanted` says yes; returns everything read, the wanted one last. Fails
    /// the test, showing what was heard, after `PATIENCE`.
    pub fn until(&mut self, what: &str, mut wanted: impl FnMut(&Heard) -> bool) -> Vec<Heard> {
        let deadline = Instant::now() + PATIENCE;
        let mut heard = Vec::new();
        while let Some(next) = self.next_before(deadline) {
            let done = wanted(&next);
            heard.push(next);
            if done {
                return heard;
            }
        }
        let names: Vec<String> = heard.iter().map(describe).collect();
        panic!("no {what} within {PATIENCE:?}; heard: {names:#?}")
    }

    /// Reads until a hello arrives; returns the id it names (the identity it came from).
    pub fn hello(&mut self) -> (String, Value) {
        let heard = self.until(
            "hello",
            |h| matches!(h, Heard::Report(_, m) if m.name() == "dripdrop.hello"),
        );
        let Some(Heard::Report(from, hello)) = heard.last() else {
            unreachable!()
        };
        let id = hello.body().get("id").and_then(Value::as_str);
        assert_eq!(id, Some(from.as_str()), "the hello's id is its identity");
        (from.clone(), hello.body().clone())
    }
}

/// A short line for a failure message.
fn describe(heard: &Heard) -> String {
    match heard {
        Heard::Disconnected(id) => format!("{id} disconnected"),
        Heard::Report(id, m) => format!("{} from {id}: {:?}", m.name(), m.body()),
    }
}

/// The entry named `name` in a beat's `routes` or `pools` list.
pub fn named<'a>(body: &'a Value, list: &str, name: &str) -> Option<&'a Value> {
    let Some(Value::List(items)) = body.get(list) else {
        return None;
    };
    items
        .iter()
        .find(|item| item.get("name").and_then(Value::as_str) == Some(name))
}

/// An integer under `key`.
pub fn int(value: &Value, key: &str) -> Option<i64> {
    match value.get(key) {
        Some(Value::Int(n)) => Some(*n),
        _ => None,
    }
}
