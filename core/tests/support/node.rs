//! Helpers for the reactor tests (`node_*.rs`): unique inproc names, a bounded `run`,
//! error collection and stats look-ups.

use dripdrop::{Error, Message, Mode, Node, RouteKind, Value};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How long any test's loop may run before it is stopped and the test fails.
pub const SAFETY: Duration = Duration::from_secs(10);

/// A timeout for blocking calls on raw ZeroMQ sockets in tests, so they cannot hang.
pub const RAW_TIMEOUT_MS: i32 = 10_000;

/// Makes route `name` of `kind` bound to an ephemeral tcp loopback port; returns the endpoint
/// to connect to.
pub fn bind_tcp(node: &mut Node, name: &str, kind: RouteKind) -> String {
    node.route(name, kind, &["tcp://127.0.0.1:*"], Mode::Bind)
        .unwrap()
        .endpoint()
        .to_owned()
}

/// An `inproc://` address unique to this process and call, so tests can run in parallel.
pub fn inproc(tag: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("inproc://node-test-{tag}-{}-{n}", std::process::id())
}

/// An `ipc://` address in the temp directory, unique to this process and call.
pub fn ipc(tag: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("dd-{tag}-{}-{n}.ipc", std::process::id()));
    format!("ipc://{}", path.display())
}

/// Runs the node until it stops or `SAFETY` passes. Returns true if the node stopped by
/// itself, false if the safety timer had to stop it. The safety timer is cancelled after.
pub fn run_bounded(node: &mut Node) -> bool {
    let timed_out = Rc::new(RefCell::new(false));
    let flag = Rc::clone(&timed_out);
    let safety = node.after(SAFETY, move |node| {
        *flag.borrow_mut() = true;
        node.stop();
    });
    node.run().expect("node.run");
    node.cancel_timer(safety);
    let stopped_by_itself = !*timed_out.borrow();
    stopped_by_itself
}

/// Runs the node bounded and fails the test if the safety timer had to stop it.
pub fn run_until_stopped(node: &mut Node, what: &str) {
    assert!(
        run_bounded(node),
        "the node was still waiting for {what} after {SAFETY:?}"
    );
}

/// Collects every error the node reports (the `on_error` handler).
pub fn collect_errors(node: &mut Node) -> Rc<RefCell<Vec<Error>>> {
    let errors = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&errors);
    node.on_error(move |_, error| sink.borrow_mut().push(error.clone()));
    errors
}

/// A counter of `node.stats()`: `routes.<route>.<key>`.
pub fn route_stat(node: &Node, route: &str, key: &str) -> u64 {
    let stats = node.stats();
    let value = stats
        .get("routes")
        .and_then(|routes| routes.get(route))
        .and_then(|entry| entry.get(key))
        .unwrap_or_else(|| panic!("no stats entry routes.{route}.{key} in {stats:?}"));
    match value {
        Value::Int(n) => u64::try_from(*n).expect("counters are not negative"),
        other => panic!("routes.{route}.{key} is {other:?}, expected an integer"),
    }
}

/// A top-level counter of `node.stats()` (`timers`, `errors`) or one under `defer`
/// (`defer.threads`, `defer.pending`).
pub fn node_stat(node: &Node, path: &str) -> u64 {
    let stats = node.stats();
    let value = path
        .split('.')
        .try_fold(&stats, |value, key| value.get(key))
        .unwrap_or_else(|| panic!("no stats entry {path} in {stats:?}"));
    match value {
        Value::Int(n) => u64::try_from(*n).expect("counters are not negative"),
        other => panic!("{path} is {other:?}, expected an integer"),
    }
}

/// A numbered message `name` with body `Int(n)`.
pub fn numbered(name: &str, n: i64) -> Message {
    Message::new(name)
        .expect("valid name")
        .with_body(Value::Int(n))
}

/// The integer body of a message made by [`numbered`].
pub fn number(message: &Message) -> i64 {
    match message.body() {
        Value::Int(n) => *n,
        other => panic!(
            "message {} has body {other:?}, expected an Int",
            message.name()
        ),
    }
}

/// A raw ZeroMQ socket on a context of its own (so only tcp and ipc reach the node), with
/// bounded linger and blocking timeouts.
pub fn raw_socket(context: &zmq::Context, kind: zmq::SocketType) -> zmq::Socket {
    let socket = context.socket(kind).expect("raw socket");
    socket.set_linger(0).expect("linger");
    socket.set_rcvtimeo(RAW_TIMEOUT_MS).expect("rcvtimeo");
    socket.set_sndtimeo(RAW_TIMEOUT_MS).expect("sndtimeo");
    socket
}
