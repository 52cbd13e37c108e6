//! The dashboard of `dripdrop control` (docs/control.md, "Dashboard"): its files over plain
//! HTTP, and the page in headless Chromium (Debian's, driven by Playwright for Python in
//! tests/browser/dashboard_page.py) following two processes over the WebSocket feed, one of
//! which stops reporting, without a reload. The server picks its ports and prints them; the
//! processes are DEALER sockets speaking the backchannel's contract from threads.

#[path = "support/control.rs"]
mod control;

use control::{dict, frame, Control};
use dripdrop::Value;
use serde_json::Value as Json;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the test processes beat, and the heartbeat they announce.
const HEARTBEAT: Duration = Duration::from_millis(200);

/// `GET path` over a plain HTTP/1.0 connection: the status line and headers, and the
/// body.
fn get(control: &Control, path: &str) -> (String, Vec<u8>) {
    let authority = control
        .http
        .strip_prefix("http://")
        .expect("http://host:port");
    let mut stream = TcpStream::connect(authority).expect("connect to the API");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {authority}\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read the answer");
    let at = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head and a body");
    let head = String::from_utf8(answer[..at].to_vec()).expect("an ASCII head");
    (head, answer[at + 4..].to_vec())
}

/// The status code of a head.
fn status(head: &str) -> Option<&str> {
    head.split(' ').nth(1)
}

/// The value of header `name` in `head` (names compared without case).
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

#[test]
fn the_page_its_script_and_the_browser_client_are_served_over_plain_http() {
    let control = Control::start(&["--missed", "3"]);
    let (head, page) = get(&control, "/");
    assert_eq!(status(&head), Some("200"), "{head}");
    assert!(header(&head, "content-type").is_some_and(|t| t.starts_with("text/html")));
    let page = String::from_utf8(page).expect("UTF-8");
    assert!(page.contains(r#"<script type="module" src="/dashboard.js">"#));
    let (head, client) = get(&control, "/dripdrop.js");
    assert_eq!(status(&head), Some("200"), "{head}");
    assert!(header(&head, "content-type").is_some_and(|t| t.starts_with("text/javascript")));
    // The repository's one copy of the browser client, as it is.
    assert_eq!(client, include_bytes!("../../bindings/js/dripdrop.js"));
    let (head, script) = get(&control, "/dashboard.js");
    assert!(header(&head, "content-type").is_some_and(|t| t.starts_with("text/javascript")));
    assert!(String::from_utf8(script)
        .unwrap()
        .contains("from \"/dripdrop.js\""));
    // Where the feed is: the port the server printed.
    let (head, live) = get(&control, "/api/live");
    assert_eq!(status(&head), Some("200"), "{head}");
    let live: Json = serde_json::from_slice(&live).expect("JSON");
    let port = live["port"].as_u64().expect("a port").to_string();
    assert!(control.websocket.ends_with(&format!(":{port}/")), "{live}");
    assert_eq!(live["websocket"], control.websocket);
    // The API is still there beside it.
    let (head, _) = get(&control, "/api/processes");
    assert_eq!(status(&head), Some("200"), "{head}");
}

fn hello(id: &str, role: &str) -> Vec<u8> {
    let route = |name: &str, kind: &str| {
        dict(vec![
            ("name", Value::from(name)),
            ("kind", Value::from(kind)),
            (
                "endpoints",
                Value::List(vec![Value::from("tcp://127.0.0.1:9")]),
            ),
        ])
    };
    frame(
        "dripdrop.hello",
        dict(vec![
            ("id", Value::from(id)),
            ("host", Value::from("testhost")),
            ("pid", Value::Int(42)),
            ("role", Value::from(role)),
            ("language", Value::from("rust")),
            ("version", Value::from("0.1.0")),
            ("heartbeat_ms", Value::Int(HEARTBEAT.as_millis() as i64)),
            (
                "routes",
                Value::List(vec![route("in", "zmq_pull"), route("out", "zmq_push")]),
            ),
            ("pools", Value::List(vec![Value::from("jobs")])),
        ]),
    )
}

/// The `n`th beat: counters that grow at a steady rate, so the charts have something to
/// draw and the pool a throughput and latency.
fn beat(id: &str, n: i64) -> Vec<u8> {
    let route = |name: &str, messages_in: i64, messages_out: i64| {
        dict(vec![
            ("name", Value::from(name)),
            ("messages_in", Value::Int(messages_in)),
            ("messages_out", Value::Int(messages_out)),
        ])
    };
    let pool = dict(vec![
        ("name", Value::from("jobs")),
        ("pending", Value::Int(n % 5)),
        ("in_flight", Value::Int(2)),
        ("completed", Value::Int(n * 12)),
        ("failed", Value::Int(0)),
        ("workers", Value::Int(4)),
        // Every task under 2 ms: the page shows a p50 of 2 ms between two beats.
        (
            "latency_us",
            Value::List(vec![Value::List(vec![
                Value::Int(2_000),
                Value::Int(n * 12),
            ])]),
        ),
    ]);
    frame(
        "dripdrop.beat",
        dict(vec![
            ("id", Value::from(id)),
            ("seq", Value::Int(n)),
            (
                "routes",
                Value::List(vec![route("in", n * 40, 0), route("out", 0, n * 25)]),
            ),
            ("pools", Value::List(vec![pool])),
        ]),
    )
}

/// A process reporting from a thread until stopped: a hello, then a beat and an alive
/// signal every heartbeat. Stopping drops its DEALER, which closes its connection as a
/// killed process's kernel would.
struct Reporter {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Reporter {
    fn start(listen: &str, id: &str, role: &str) -> Reporter {
        let (stop, stopped) = mpsc::channel::<()>();
        let (listen, id, role) = (listen.to_owned(), id.to_owned(), role.to_owned());
        let thread = std::thread::spawn(move || {
            let context = zmq::Context::new();
            let socket = context.socket(zmq::DEALER).unwrap();
            socket.set_linger(0).unwrap();
            socket.set_identity(id.as_bytes()).unwrap();
            socket.connect(&listen).unwrap();
            socket.send(hello(&id, &role), 0).unwrap();
            let alive = frame("dripdrop.alive", dict(vec![("id", Value::from(&*id))]));
            for n in 1.. {
                socket.send(beat(&id, n), 0).unwrap();
                socket.send(&alive, 0).unwrap();
                // The heartbeat's pace; a stop (or the test's end) ends it at once.
                match stopped.recv_timeout(HEARTBEAT) {
                    Err(RecvTimeoutError::Timeout) => continue,
                    _ => break,
                }
            }
        });
        Reporter {
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn stop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            thread.join().expect("the reporter ran");
        }
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Where test artifacts go: `target/artifacts` (under CARGO_TARGET_DIR when set).
fn artifacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("artifacts");
    std::fs::create_dir_all(&dir).expect("create target/artifacts");
    dir.canonicalize().expect("target/artifacts")
}

#[test]
fn the_page_follows_two_processes_live_and_shows_one_stopping_without_a_reload() {
    let control = Control::start(&["--missed", "3"]);
    let (stays, leaves) = ("testhost:1:stays", "testhost:2:leaves");
    let _stays = Reporter::start(&control.listen, stays, "frontend");
    let mut leaving = Reporter::start(&control.listen, leaves, "worker");
    let screenshot = artifacts().join("dashboard.png");
    let _ = std::fs::remove_file(&screenshot);
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/browser/dashboard_page.py"
    );
    let mut browser = Command::new("python3")
        .arg(script)
        .arg(format!("{}/", control.http))
        .args([stays, leaves])
        .arg(&screenshot)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    // Read apart, so a chatty stderr cannot fill its pipe and stall the browser.
    let mut stderr = browser.stderr.take().expect("stderr");
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut said = Vec::new();
    for line in BufReader::new(browser.stdout.take().expect("stdout")).lines() {
        let line = line.expect("UTF-8");
        eprintln!("browser: {line}");
        // The page shows both up: now one stops reporting, while the page stays open.
        if line == "both up" {
            leaving.stop();
        }
        said.push(line);
    }
    let status = browser.wait().expect("wait for the browser");
    let errors = errors.join().expect("stderr read");
    assert!(
        status.success(),
        "the browser's checks failed ({status})\nstdout:\n{}\nstderr:\n{errors}",
        said.join("\n")
    );
    assert!(said.iter().any(|l| l == "both up"), "{said:?}");
    let went = format!("{leaves} went ");
    assert!(
        said.iter()
            .any(|l| l == &format!("{went}down") || l == &format!("{went}unreachable")),
        "{said:?}"
    );
    let size = std::fs::metadata(&screenshot).map_or(0, |m| m.len());
    assert!(size > 0, "no screenshot at {}", screenshot.display());
    println!("screenshot: {}", screenshot.display());
}
