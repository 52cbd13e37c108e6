//! Helpers for the web route tests: a node running on a thread of its own (so real clients
//! such as curl can talk to it from the test's thread), its counters read through its
//! handle, a ZeroMQ route beside the web ones to show the loop goes on, and curl.

use super::node::{inproc, number, numbered, route_stat};
use dripdrop::{Mode, Node, NodeHandle, RouteKind, RouteOptions};
use std::process::Command;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a test waits for anything before it fails.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A node running on its own thread with one web route named `web`, plus a ZeroMQ
/// push/pull pair (`push` → `pull`) whose messages come back to the test.
pub struct NodeThread {
    pub endpoint: String,
    pub handle: NodeHandle,
    thread: Option<JoinHandle<()>>,
    pings: mpsc::Receiver<i64>,
}

impl NodeThread {
    /// Starts the node: route `web` of `kind` on `address` with `options`, then `setup` (to
    /// add handlers and more routes), then the loop.
    pub fn start(
        kind: RouteKind,
        address: &str,
        mode: Mode,
        options: RouteOptions,
        setup: impl FnOnce(&mut Node) + Send + 'static,
    ) -> NodeThread {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (ping_tx, pings) = mpsc::channel();
        let address = address.to_owned();
        let thread = std::thread::spawn(move || {
            let mut node = Node::new().expect("node");
            let endpoint = node
                .route_with("web", kind, &[&address], mode, options)
                .expect("web route")
                .endpoint()
                .to_owned();
            let zmq = inproc("web-ping");
            node.route("pull", RouteKind::Pull, &[&zmq], Mode::Bind)
                .unwrap();
            node.route("push", RouteKind::Push, &[&zmq], Mode::Connect)
                .unwrap();
            node.on_receive("pull", move |_, message| {
                let _ = ping_tx.send(number(&message));
            })
            .unwrap();
            setup(&mut node);
            ready_tx.send((endpoint, node.handle())).unwrap();
            node.run().expect("node.run");
        });
        let (endpoint, handle) = ready_rx.recv_timeout(PATIENCE).expect("node started");
        NodeThread {
            endpoint,
            handle,
            thread: Some(thread),
            pings,
        }
    }

    /// Runs `f` on the node's thread and returns what it gives.
    pub fn on_node<T: Send + 'static>(&self, f: impl FnOnce(&mut Node) -> T + Send + 'static) -> T {
        let (tx, rx) = mpsc::channel();
        self.handle
            .post(move |node| {
                let _ = tx.send(f(node));
            })
            .expect("post");
        rx.recv_timeout(PATIENCE)
            .expect("the node ran the posted closure")
    }

    /// A counter of route `route`.
    pub fn stat(&self, route: &'static str, key: &'static str) -> u64 {
        self.on_node(move |node| route_stat(node, route, key))
    }

    /// Waits until counter `key` of route `web` satisfies `ok`, checking every few ms.
    pub fn wait_for_stat(&self, key: &'static str, ok: impl Fn(u64) -> bool) -> u64 {
        let start = Instant::now();
        loop {
            let value = self.stat("web", key);
            if ok(value) {
                return value;
            }
            assert!(start.elapsed() < PATIENCE, "web.{key} stayed at {value}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Shows the loop and the node's other routes go on: a message sent on the ZeroMQ
    /// `push` route comes back through `pull`.
    pub fn assert_loop_goes_on(&self) {
        static NEXT: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(1);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.on_node(move |node| node.send_message("push", &numbered("ping", n)))
            .expect("send on push");
        loop {
            let got = self
                .pings
                .recv_timeout(PATIENCE)
                .expect("the ZeroMQ route answered");
            if got == n {
                return;
            }
        }
    }
}

impl Drop for NodeThread {
    fn drop(&mut self) {
        self.handle.stop();
        if let Some(thread) = self.thread.take() {
            let outcome = thread.join();
            if !std::thread::panicking() {
                outcome.expect("the node's thread");
            }
        }
    }
}

/// What curl got: the status of each URL, the body (all of them together) and how many
/// connections it made.
#[derive(Debug)]
pub struct CurlOutput {
    pub statuses: Vec<u16>,
    pub body: String,
    pub connects: u64,
    pub content_types: Vec<String>,
}

/// Runs curl with `args` (URLs among them); fails the test if curl cannot run.
pub fn curl(args: &[&str]) -> CurlOutput {
    const MARK: &str = "\n@@curl@@";
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10", "-w"])
        .arg(format!(
            "{MARK}%{{http_code}} %{{num_connects}} %{{content_type}}\n"
        ))
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run curl ({e}); install Debian's curl (scripts/test does)")
        });
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut body = String::new();
    let mut statuses = Vec::new();
    let mut content_types = Vec::new();
    let mut connects = 0;
    for (i, part) in text.split(MARK).enumerate() {
        if i == 0 {
            body.push_str(part);
            continue;
        }
        let (line, rest) = part.split_once('\n').unwrap_or((part, ""));
        let mut fields = line.splitn(3, ' ');
        statuses.push(fields.next().unwrap_or("0").parse().unwrap_or(0));
        connects += fields.next().unwrap_or("0").parse::<u64>().unwrap_or(0);
        content_types.push(fields.next().unwrap_or("").to_owned());
        body.push_str(rest);
    }
    CurlOutput {
        statuses,
        body,
        connects,
        content_types,
    }
}

/// The JSON of a body.
pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text:?}"))
}

/// `host:port` of an `http://host:port/...` endpoint.
pub fn host_port(endpoint: &str) -> String {
    let rest = endpoint.split_once("://").expect("a scheme").1;
    rest.split('/').next().expect("an authority").to_owned()
}
