//! `dripdrop control` as a process, driven by DEALER sockets that speak the backchannel's
//! contract (docs/control.md) and read back through its HTTP API with curl. Ports are picked
//! by the server and read from its stdout; every wait polls the API against a deadline.

#[path = "support/control.rs"]
mod control;

use control::{
    alive_frame, beat_frame, dict, frame, goodbye_frame, hello_frame, Control, Reporter,
    HEARTBEAT_MS,
};
use dripdrop::{Message, Value};
use serde_json::Value as Json;
use std::process::Command;
use std::time::{Duration, Instant};

/// How long any wait may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(20);

#[test]
fn the_states_follow_beats_alive_signals_and_goodbyes() {
    let control = Control::start(&["--missed", "3"]);
    let a = Reporter::connect(&control, "testhost:1:a");
    let b = Reporter::connect(&control, "testhost:2:b");
    a.beat(1);
    b.beat(1);
    control.wait_for("testhost:1:a", "up", || a.beat(1));
    control.wait_for("testhost:2:b", "up", || b.beat(1));
    // Beats stop, alive signals go on: the loop is stuck.
    let stuck = control.wait_for("testhost:1:a", "stuck", || {
        a.alive();
        b.beat(1);
    });
    assert!(stuck >= Duration::from_millis(400), "stuck after {stuck:?}");
    control.wait_for("testhost:1:a", "up", || a.beat(2));
    // Every signal stops: unreachable (the connection is still open, so not down).
    control.wait_for("testhost:1:a", "unreachable", || b.beat(1));
    control.wait_for("testhost:1:a", "up", || a.beat(3));
    // A goodbye from a stranger naming b, and one from a naming b: each speaks only for
    // its own identity.
    let stranger = Reporter::connect(&control, "testhost:3:c");
    stranger.send(goodbye_frame("testhost:2:b"));
    a.send(goodbye_frame("testhost:2:b"));
    control.wait_for("testhost:1:a", "gone", || b.beat(1));
    assert_eq!(control.state("testhost:2:b").as_deref(), Some("up"));
    let events = control.json("/api/events");
    let to_b: Vec<&Json> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["id"] == "testhost:2:b")
        .collect();
    assert_eq!(to_b.len(), 1, "b only came up: {to_b:?}");
    let a_went: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["id"] == "testhost:1:a")
        .map(|e| e["to"].as_str().unwrap())
        .collect();
    assert_eq!(a_went, ["up", "stuck", "up", "unreachable", "up", "gone"]);
    let process = control.process("testhost:2:b").unwrap();
    assert_eq!(process["role"], "worker");
    assert_eq!(process["routes"][0]["endpoints"][0], "tcp://127.0.0.1:9");
}

#[test]
fn metrics_carry_the_exact_counter_a_beat_carried() {
    let control = Control::start(&[]);
    let a = Reporter::connect(&control, "testhost:7:m");
    let series = "dripdrop_route_messages_out_total{process=\"testhost:7:m\",role=\"worker\",\
                  host=\"testhost\",route=\"out\"} 10000\n";
    let start = Instant::now();
    loop {
        a.beat(10_000);
        let metrics = control.get("/metrics");
        if metrics.contains(series) {
            assert!(metrics.contains(
                "dripdrop_process_up{process=\"testhost:7:m\",role=\"worker\",host=\"testhost\"} 1\n"
            ));
            break;
        }
        assert!(start.elapsed() < PATIENCE, "no such series in:\n{metrics}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let process = control.process("testhost:7:m").unwrap();
    assert_eq!(process["routes"][0]["msgs_out"], 10_000);
}

#[test]
fn a_pools_rate_and_latency_percentiles_come_from_the_two_last_beats() {
    let control = Control::start(&[]);
    let reporter = Reporter::connect(&control, "testhost:8:pool");
    let hello = frame(
        "dripdrop.hello",
        dict(vec![
            ("host", Value::from("testhost")),
            ("heartbeat_ms", Value::Int(HEARTBEAT_MS)),
            ("pools", Value::List(vec![Value::from("render")])),
        ]),
    );
    reporter.send(hello);
    // Cumulative histograms, as `[upper bound µs, tasks]`: 90 tasks under 1 ms, then 10
    // more under 1 ms and 10 under 50 ms.
    let beat = |completed: i64, buckets: &[(i64, i64)]| {
        let latency = buckets
            .iter()
            .map(|&(upper, count)| Value::List(vec![Value::Int(upper), Value::Int(count)]))
            .collect();
        let pool = dict(vec![
            ("name", Value::from("render")),
            ("completed", Value::Int(completed)),
            ("latency_us", Value::List(latency)),
        ]);
        frame(
            "dripdrop.beat",
            dict(vec![("pools", Value::List(vec![pool]))]),
        )
    };
    let first = beat(90, &[(1_000, 90)]);
    let second = beat(110, &[(1_000, 100), (50_000, 10)]);
    let start = Instant::now();
    let pool = loop {
        reporter.send(first.clone());
        reporter.send(second.clone());
        let found = control
            .process("testhost:8:pool")
            .map(|p| p["pools"][0].clone());
        if let Some(pool) = found.clone().filter(|p| p["completed"] == 110) {
            break pool;
        }
        assert!(start.elapsed() < PATIENCE, "no pool counters: {found:?}");
        std::thread::sleep(Duration::from_millis(20));
    };
    // Between the two beats: 10 tasks under 1 ms and 10 under 50 ms.
    let latency = &pool["latency_ms"];
    assert_eq!(latency["tasks"], 20, "{pool}");
    assert_eq!(latency["p50"], 1.0, "{pool}");
    assert_eq!(latency["p90"], 50.0, "{pool}");
    assert_eq!(latency["p99"], 50.0, "{pool}");
    assert!(
        pool["rate_completed"].as_f64().is_some_and(|r| r > 0.0),
        "{pool}"
    );
}

#[test]
fn every_event_is_published_as_a_dripdrop_event_message() {
    let control = Control::start(&["--events", "tcp://127.0.0.1:0"]);
    let context = zmq::Context::new();
    let subscriber = context.socket(zmq::SUB).unwrap();
    subscriber.set_subscribe(b"").unwrap();
    subscriber.set_rcvtimeo(100).unwrap();
    subscriber
        .connect(control.events.as_deref().expect("an events line"))
        .unwrap();
    // A subscription takes a moment to reach the PUB: new processes keep coming (each one an
    // event) until one is heard.
    let start = Instant::now();
    let mut reporters = Vec::new();
    let frame = loop {
        reporters.push(Reporter::connect(
            &control,
            &format!("testhost:{}:ev", reporters.len()),
        ));
        // A publish route sends the message's name as a topic frame, then the message.
        if let Ok(frames) = subscriber.recv_multipart(0) {
            assert_eq!(frames.len(), 2, "{frames:?}");
            assert_eq!(frames[0], b"dripdrop.event");
            break frames[1].clone();
        }
        assert!(start.elapsed() < PATIENCE, "no event published");
    };
    let event = Message::decode(&frame).expect("a DripDrop message");
    assert_eq!(event.name(), "dripdrop.event");
    let body = event.body();
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
    assert!(
        text("id").is_some_and(|id| id.starts_with("testhost:")),
        "{body:?}"
    );
    assert_eq!(text("to").as_deref(), Some("up"));
    assert_eq!(text("role").as_deref(), Some("worker"));
    assert_eq!(body.get("from"), Some(&Value::Nil), "a new process");
    assert_eq!(body.get("alert"), Some(&Value::Bool(false)));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A real process reporting over pyzmq until it is killed.
const PYTHON_REPORTER: &str = "
import sys, time, zmq
socket = zmq.Context().socket(zmq.DEALER)
socket.setsockopt(zmq.IDENTITY, sys.argv[2].encode())
socket.connect(sys.argv[1])
hello, beat, alive = (bytes.fromhex(a) for a in sys.argv[3:6])
socket.send(hello)
while True:
    socket.send(beat)
    socket.send(alive)
    time.sleep(0.05)
";

#[test]
fn a_killed_process_is_down_within_seconds_with_an_event() {
    let log = std::env::temp_dir().join(format!("dripdrop-control-events-{}", std::process::id()));
    let _ = std::fs::remove_file(&log);
    let on_event = format!("cat >> '{}'", log.display());
    let control = Control::start(&["--on-event", &on_event, "--events", "tcp://127.0.0.1:0"]);
    let id = "testhost:99:killed";
    let mut child = Command::new("python3")
        .args(["-c", PYTHON_REPORTER, &control.listen, id])
        .args([hello_frame(id), beat_frame(id, 5, 0), alive_frame(id)].map(|f| hex(&f)))
        .spawn()
        .expect("python3 with pyzmq");
    control.wait_for(id, "up", || {});
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    let took = control.wait_for(id, "down", || {});
    eprintln!("down {took:?} after SIGKILL");
    assert!(took < Duration::from_secs(4), "down after {took:?}");
    let events = control.json("/api/events");
    let last = events["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["id"].as_str(), last["from"].as_str()),
        (Some(id), Some("up"))
    );
    assert_eq!(last["to"], "down");
    assert_eq!(last["role"], "worker");
    // The hook runs apart from the loop: poll its file.
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<Json> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON event per line"))
            .collect();
        if lines.iter().any(|e| e["to"] == "down" && e["id"] == id) {
            assert!(lines.iter().any(|e| e["to"] == "up" && e["from"].is_null()));
            break;
        }
        assert!(start.elapsed() < PATIENCE, "the hook wrote {text:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = std::fs::remove_file(&log);
}

#[test]
fn garbage_and_a_flood_of_identities_leave_it_up_and_bounded() {
    let mut control = Control::start(&[]);
    // Garbage from one peer: not BERT, the wrong frame count, an unknown name, a body
    // that is not a dict, and a report from an identity that never said hello.
    let context = zmq::Context::new();
    let socket = context.socket(zmq::DEALER).unwrap();
    socket.set_linger(1000).unwrap();
    socket.connect(&control.listen).unwrap();
    socket.send(&b"\x83garbage"[..], 0).unwrap();
    socket.send_multipart([&b"a"[..], b"b", b"c"], 0).unwrap();
    socket.send(frame("someone.else", Value::Nil), 0).unwrap();
    socket
        .send(frame("dripdrop.hello", Value::Int(1)), 0)
        .unwrap();
    socket.send(beat_frame("nobody", 1, 0), 0).unwrap();
    // 10,050 identities say hello, 100 connections at a time (each closed once its hello
    // went): the table keeps 10,000.
    const FLOOD: usize = 10_100;
    for batch in 0..FLOOD / 100 {
        let context = zmq::Context::new();
        let sockets: Vec<zmq::Socket> = (0..100)
            .map(|i| {
                let socket = context.socket(zmq::DEALER).unwrap();
                socket.set_linger(5000).unwrap();
                socket
                    .set_identity(format!("flood:{batch}:{i}").as_bytes())
                    .unwrap();
                socket.connect(&control.listen).unwrap();
                socket.send(hello_frame("flood"), 0).unwrap();
                socket
            })
            .collect();
        drop(sockets);
        drop(context); // waits until each hello is written (within the linger)
    }
    let start = Instant::now();
    loop {
        let metrics = control.get("/metrics");
        let value = |name: &str| -> u64 {
            metrics
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{name} ")))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        if value("dripdrop_control_refused_total") == (FLOOD - 10_000) as u64 {
            assert_eq!(value("dripdrop_control_processes"), 10_000);
            assert_eq!(value("dripdrop_control_garbage_total"), 4);
            assert_eq!(value("dripdrop_control_unknown_total"), 1);
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "refused {}, processes {}, garbage {}",
            value("dripdrop_control_refused_total"),
            value("dripdrop_control_processes"),
            value("dripdrop_control_garbage_total"),
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(control.still_running());
    let events = control.json("/api/events");
    assert!(events["events"].as_array().unwrap().len() <= 1000);
    assert_eq!(
        control.json("/api/processes")["processes"]
            .as_array()
            .unwrap()
            .len(),
        10_000
    );
}

/// Sends `signal` (a name, as kill(1) takes it) to a process.
fn signal(pid: u32, signal: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -{signal} {pid}");
}

#[test]
fn a_real_process_reports_through_its_environment_and_its_signals_are_seen() {
    let watcher = Control::start(&["--missed", "3"]);
    // The watched process: another `dripdrop control`, itself a DripDrop node, reporting to
    // the first through the environment alone (docs/control.md), with the default 1 s
    // heartbeat.
    let watched = Control::start_with_env(
        &[],
        &[
            ("DRIPDROP_CONTROL", watcher.listen.as_str()),
            ("DRIPDROP_ROLE", "watched"),
        ],
    );
    let pid = watched.child.id();
    let start = Instant::now();
    let process = loop {
        let all = watcher.json("/api/processes");
        let found = all["processes"]
            .as_array()
            .expect("a list")
            .iter()
            .find(|p| p["role"] == "watched")
            .cloned();
        if let Some(process) = found {
            break process;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "the watched process never said hello"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let id = process["id"].as_str().expect("an id").to_owned();
    assert_eq!(process["pid"], pid);
    assert_eq!(process["language"], "rust");
    watcher.wait_for(&id, "up", || {});
    // Its routes (the backchannel's ROUTER, the API) come with their counters.
    let routes = watcher.process(&id).expect("listed")["routes"].clone();
    assert!(routes.as_array().is_some_and(|r| !r.is_empty()), "{routes}");
    // Stopped: no signal comes, the connection stays: unreachable. Continued: up again.
    signal(pid, "STOP");
    watcher.wait_for(&id, "unreachable", || {});
    signal(pid, "CONT");
    watcher.wait_for(&id, "up", || {});
    // Killed: its kernel closes the connection, with no goodbye: down, at once.
    signal(pid, "KILL");
    let took = watcher.wait_for(&id, "down", || {});
    assert!(took < Duration::from_secs(4), "down after {took:?}");
    let events = watcher.json("/api/events");
    let states: Vec<&str> = events["events"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|e| e["id"] == id.as_str())
        .filter_map(|e| e["to"].as_str())
        .collect();
    assert_eq!(states, ["up", "unreachable", "up", "down"], "{events}");
    drop(watched);
}

#[test]
fn a_restarted_control_server_sees_every_live_process_again_within_3_s() {
    let first = Control::start(&["--missed", "3"]);
    let watched = Control::start_with_env(
        &[],
        &[
            ("DRIPDROP_CONTROL", first.listen.as_str()),
            ("DRIPDROP_ROLE", "watched"),
        ],
    );
    let find = |control: &Control| {
        control.json("/api/processes")["processes"]
            .as_array()
            .expect("a list")
            .iter()
            .find(|p| p["role"] == "watched")
            .and_then(|p| p["id"].as_str().map(str::to_owned))
    };
    let start = Instant::now();
    let id = loop {
        if let Some(id) = find(&first) {
            break id;
        }
        assert!(start.elapsed() < PATIENCE, "never seen");
        std::thread::sleep(Duration::from_millis(20));
    };
    // The server goes away and comes back on the same address (the port it was given):
    // it knows nobody, and learns of the process from its next hello.
    let listen = first.listen.clone();
    drop(first);
    let second = Control::start(&["--listen", &listen, "--missed", "3"]);
    let took = second.wait_for(&id, "up", || {});
    assert!(took < Duration::from_secs(3), "seen again after {took:?}");
    drop(watched);
}

#[test]
fn dripdrop_top_prints_what_the_server_knows_once_as_a_table_or_json() {
    let control = Control::start(&["--missed", "3"]);
    let reporter = Reporter::connect(&control, "host:42:top");
    reporter.beat(10_000);
    control.wait_for("host:42:top", "up", || reporter.beat(10_000));
    let top = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_dripdrop"))
            .arg("top")
            .args(args)
            .output()
            .expect("run dripdrop top")
    };
    let table = top(&["--control", &control.http, "--once"]);
    assert!(
        table.status.success(),
        "{}",
        String::from_utf8_lossy(&table.stderr)
    );
    let text = String::from_utf8(table.stdout).expect("UTF-8");
    let row = text
        .lines()
        .find(|l| l.starts_with("host:42:top"))
        .unwrap_or_else(|| panic!("no row:\n{text}"));
    assert!(row.contains(" up "), "{row}");
    assert!(text.contains("10000"), "{text}");
    let json = top(&["--control", &control.http, "--json"]);
    let parsed: Json = serde_json::from_slice(&json.stdout).expect("JSON");
    assert!(parsed["processes"].as_array().is_some_and(|p| p.len() == 1));
    // Nobody there: one line on stderr, status 1.
    drop(control);
    let nobody = top(&["--control", "http://127.0.0.1:9", "--once"]);
    assert_eq!(nobody.status.code(), Some(1));
    let said = String::from_utf8_lossy(&nobody.stderr);
    assert!(
        said.starts_with("dripdrop: cannot reach the control server"),
        "{said}"
    );
    assert_eq!(said.lines().count(), 1);
}
