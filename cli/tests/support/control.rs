//! `dripdrop control` as a process for the Redis tests, and a DEALER that speaks the
//! backchannel's contract (docs/control.md) with raw frames, as cli/tests/control.rs does.
//! Ports are picked by the server and read from its stdout; its stderr is kept, a line at a
//! time, for the tests to read.

#![allow(dead_code)] // each test file uses part of this

use dripdrop::{Message, Value};
use serde_json::Value as Json;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// The heartbeat the test processes announce: with `--missed 3`, 600 ms without a signal
/// makes a process unreachable.
pub const HEARTBEAT_MS: i64 = 200;

/// A running `dripdrop control`, killed when dropped.
pub struct Control {
    child: Child,
    pub listen: String,
    pub http: String,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Control {
    /// Starts one on ports of its own, with `extra` arguments.
    pub fn start(extra: &[&str]) -> Control {
        Control::start_with(extra, &[])
    }

    /// Starts one with these environment variables besides this process's.
    pub fn start_with(extra: &[&str], env: &[(&str, &str)]) -> Control {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dripdrop"))
            .envs(env.iter().copied())
            .args([
                "control",
                "--listen",
                "tcp://127.0.0.1:0",
                "--http",
                "127.0.0.1:0",
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start dripdrop control");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let kept = Arc::clone(&stderr);
        // Ends when the server does (its stderr closes).
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                kept.lock().unwrap().push(line);
            }
        });
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut endpoint = |what: &str| {
            let line = lines.next().expect("a line").expect("UTF-8");
            let (name, value) = line.split_once(' ').expect("name and endpoint");
            assert_eq!(name, what, "{line}");
            value.to_owned()
        };
        let listen = endpoint("listen");
        let http = endpoint("http");
        Control {
            child,
            listen,
            http,
            stderr,
        }
    }

    pub fn get(&self, path: &str) -> String {
        let out = Command::new("curl")
            .args(["-sS", "--fail", "--max-time", "5"])
            .arg(format!("{}{path}", self.http))
            .output()
            .expect("run curl");
        assert!(
            out.status.success(),
            "curl {path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8")
    }

    pub fn json(&self, path: &str) -> Json {
        serde_json::from_str(&self.get(path)).expect("JSON")
    }

    /// A series of `/metrics` without labels, if it is there.
    pub fn metric(&self, name: &str) -> Option<u64> {
        self.get("/metrics")
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.parse().ok())
    }

    /// The lines the server wrote on stderr so far.
    pub fn stderr(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    pub fn still_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Control {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn dict(pairs: Vec<(&str, Value)>) -> Value {
    Value::Dict(
        pairs
            .into_iter()
            .map(|(k, v)| (Value::from(k), v))
            .collect(),
    )
}

pub fn frame(name: &str, body: Value) -> Vec<u8> {
    Message::new(name)
        .unwrap()
        .with_body(body)
        .encode()
        .unwrap()
}

/// A process's backchannel: a DEALER with identity `id` on a context of its own, with one
/// route, `out`. Dropping it closes its connection, as a killed process's kernel does.
pub struct Reporter {
    id: String,
    socket: zmq::Socket,
    /// The `seq` of its next beat: 0 first, as a real process's loop counts.
    seq: i64,
    _context: zmq::Context,
}

impl Reporter {
    /// Connects and says hello.
    pub fn connect(control: &Control, id: &str) -> Reporter {
        let reporter = Reporter::connect_silent(control, id);
        reporter.hello();
        reporter
    }

    /// Connects and says nothing yet (a launcher, which is no reporting process).
    pub fn connect_silent(control: &Control, id: &str) -> Reporter {
        let context = zmq::Context::new();
        let socket = context.socket(zmq::DEALER).unwrap();
        socket.set_linger(0).unwrap();
        socket.set_identity(id.as_bytes()).unwrap();
        socket.connect(&control.listen).unwrap();
        Reporter {
            id: id.to_owned(),
            socket,
            seq: 0,
            _context: context,
        }
    }

    pub fn send(&self, frame: Vec<u8>) {
        self.socket.send(frame, 0).expect("send");
    }

    pub fn hello(&self) {
        self.hello_with(Vec::new());
    }

    /// A hello with `extra` fields besides the usual ones (a launched process's `app`,
    /// `node` and `instance`, another `pid`...); a field given twice takes the later value.
    pub fn hello_with(&self, extra: Vec<(&str, Value)>) {
        let given: Vec<&str> = extra.iter().map(|(key, _)| *key).collect();
        let route = dict(vec![
            ("name", Value::from("out")),
            ("kind", Value::from("zmq_push")),
            (
                "endpoints",
                Value::List(vec![Value::from("tcp://127.0.0.1:9")]),
            ),
        ]);
        self.send(frame(
            "dripdrop.hello",
            dict(
                vec![
                    ("id", Value::from(self.id.as_str())),
                    ("host", Value::from("testhost")),
                    ("pid", Value::Int(42)),
                    ("role", Value::from("worker")),
                    ("language", Value::from("rust")),
                    ("version", Value::from("0.1.0")),
                    ("heartbeat_ms", Value::Int(HEARTBEAT_MS)),
                    ("routes", Value::List(vec![route])),
                    ("pools", Value::List(vec![])),
                ]
                .into_iter()
                .filter(|(key, _)| !given.contains(key))
                .chain(extra)
                .collect(),
            ),
        ));
    }

    /// A beat: route `out` has sent `out` messages of 10 bytes since the process started.
    pub fn beat(&mut self, out: i64) {
        let route = dict(vec![
            ("name", Value::from("out")),
            ("messages_in", Value::Int(0)),
            ("messages_out", Value::Int(out)),
            ("bytes_out", Value::Int(out * 10)),
            ("backpressure", Value::Int(3)),
            ("queue_depth", Value::Int(2)),
        ]);
        let beat = frame(
            "dripdrop.beat",
            dict(vec![
                ("id", Value::from(self.id.as_str())),
                ("seq", Value::Int(self.seq)),
                ("routes", Value::List(vec![route])),
            ]),
        );
        self.seq += 1;
        self.send(beat);
    }
}
