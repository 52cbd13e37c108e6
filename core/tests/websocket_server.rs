//! websocket_server routes driven by a WebSocket client nobody here wrote: Python's
//! `websockets` (its sync client), in child processes, reporting what they saw on stdout.
//! The node runs on the test thread until every client has exited (a thread waits for them
//! and stops the node through its handle), bounded by the usual safety timer.

mod support;

use dripdrop::{
    Connection, Error, Message, Mode, MsgFormat, Node, RouteKind, RouteOptions, RouteStats, Value,
};
use std::cell::RefCell;
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};
use support::hex;
use support::node::run_until_stopped;

/// What each client script starts with: its imports, and `URL` from its first argument.
const PRELUDE: &str = r#"
import sys, json, socket, time, base64, os
from websockets.sync.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
URL = sys.argv[1]
def out(*parts):
    print(*parts, flush=True)
"#;

/// A client: a Python script and the arguments after the URL.
struct Client {
    script: String,
    args: Vec<String>,
}

fn client(script: &str) -> Client {
    Client {
        script: format!("{PRELUDE}\n{script}"),
        args: Vec::new(),
    }
}

fn spawn(url: &str, client: &Client) -> Child {
    Command::new("python3")
        .arg("-c")
        .arg(&client.script)
        .arg(url)
        .args(&client.args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (scripts/test installs it with websockets)")
}

/// What one client printed, failing the test if it failed.
fn finished(child: Child) -> String {
    let output = child.wait_with_output().expect("wait for the client");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "client failed: {}\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Runs the node while the clients run, one after the other in `sequence` and all at once in
/// each step; stops it once the last has exited. Returns what each printed, in order.
fn run_clients(node: &mut Node, route: &str, clients: Vec<Client>) -> Vec<String> {
    let url = node.get_route(route).unwrap().endpoint().to_owned();
    let handle = node.handle();
    let waiter = std::thread::spawn(move || {
        let children: Vec<Child> = clients.iter().map(|c| spawn(&url, c)).collect();
        let outputs: Vec<String> = children
            .into_iter()
            .map(finished_or_stop(&handle))
            .collect();
        handle.stop();
        outputs
    });
    run_until_stopped(node, "the clients to finish");
    waiter
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// `finished`, stopping the node first if the client failed (so the panic is the client's).
fn finished_or_stop(handle: &dripdrop::NodeHandle) -> impl FnMut(Child) -> String + '_ {
    move |child| {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| finished(child)));
        result.unwrap_or_else(|e| {
            handle.stop();
            std::panic::resume_unwind(e)
        })
    }
}

fn bind(node: &mut Node, name: &str, path: &str, options: RouteOptions) -> String {
    let address = format!("ws://127.0.0.1:*{path}");
    node.route_with(
        name,
        RouteKind::WebSocketServer,
        &[&address],
        Mode::Bind,
        options,
    )
    .unwrap()
    .endpoint()
    .to_owned()
}

fn stats(node: &Node, route: &str) -> RouteStats {
    node.get_route(route).unwrap().stats()
}

fn text(value: &Value) -> String {
    match value {
        Value::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        other => format!("{other:?}"),
    }
}

/// Everything a route's connection handlers saw, in order.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Open(u64),
    Message(u64, String, String),
    Error(u64, String),
    Close(u64),
}

type Log = Rc<RefCell<Vec<Seen>>>;

/// Logs open, error and close events of `route`.
fn log_connections(node: &mut Node, route: &str) -> Log {
    let log: Log = Rc::default();
    let sink = Rc::clone(&log);
    node.on_open(route, move |_, c| {
        sink.borrow_mut().push(Seen::Open(c.signature()))
    })
    .unwrap();
    let sink = Rc::clone(&log);
    node.on_connection_error(route, move |_, reason, c| {
        sink.borrow_mut()
            .push(Seen::Error(c.signature(), reason.to_owned()))
    })
    .unwrap();
    let sink = Rc::clone(&log);
    node.on_close(route, move |_, c| {
        sink.borrow_mut().push(Seen::Close(c.signature()))
    })
    .unwrap();
    log
}

/// Logs every message and answers it with `reply` (body: the message's name and body).
fn echo_messages(node: &mut Node, route: &str, log: &Log) {
    let sink = Rc::clone(log);
    node.on_receive_from(route, move |node, message, c| {
        let body = text(message.body());
        sink.borrow_mut().push(Seen::Message(
            c.signature(),
            message.name().to_owned(),
            body.clone(),
        ));
        let reply = Message::new("reply")
            .unwrap()
            .with_head_entry("to", message.name())
            .with_body(format!("{} {body}", message.name()));
        c.send_message(node, &reply).unwrap();
    })
    .unwrap();
}

#[test]
fn a_client_opens_sends_gets_an_answer_and_closes_in_that_order() {
    let mut node = Node::new().unwrap();
    let endpoint = bind(&mut node, "ws", "/chat", RouteOptions::default());
    assert!(endpoint.starts_with("ws://127.0.0.1:") && endpoint.ends_with("/chat"));
    assert!(!endpoint.contains('*'), "{endpoint}");
    let log = log_connections(&mut node, "ws");
    echo_messages(&mut node, "ws", &log);
    let outputs = run_clients(
        &mut node,
        "ws",
        vec![client(
            r#"
with connect(URL) as ws:
    ws.send(json.dumps({"name": "hello", "head": {"k": "v"}, "body": "world"}))
    reply = json.loads(ws.recv(timeout=10))
    out("reply", reply["name"], reply["head"]["to"], reply["body"])
    ws.ping().wait(10)
    out("pong")
"#,
        )],
    );
    assert_eq!(outputs[0], "reply reply hello hello world\npong\n");
    let log = log.borrow();
    let Seen::Open(id) = log[0] else {
        panic!("{log:?}")
    };
    assert_eq!(
        *log,
        [
            Seen::Open(id),
            Seen::Message(id, "hello".into(), "world".into()),
            Seen::Close(id)
        ]
    );
    let s = stats(&node, "ws");
    assert_eq!((s.messages_in, s.messages_out, s.connections), (1, 1, 0));
    assert_eq!((s.decode_errors, s.connections_refused), (0, 0));
    assert!(s.bytes_in > 0 && s.bytes_out > 0);
}

#[test]
fn a_binary_frame_carries_a_bert_message() {
    let mut node = Node::new().unwrap();
    bind(&mut node, "ws", "/", RouteOptions::default());
    let log = log_connections(&mut node, "ws");
    echo_messages(&mut node, "ws", &log);
    let bert = Message::new("bert")
        .unwrap()
        .with_body("binary")
        .encode()
        .unwrap();
    let mut sender = client(
        r#"
with connect(URL) as ws:
    ws.send(bytes.fromhex(sys.argv[2]))
    out(json.loads(ws.recv(timeout=10))["body"])
"#,
    );
    sender.args.push(hex(&bert));
    let outputs = run_clients(&mut node, "ws", vec![sender]);
    assert_eq!(outputs[0], "bert binary\n");
    assert!(log
        .borrow()
        .contains(&Seen::Message(1, "bert".into(), "binary".into())));
}

#[test]
fn the_server_closes_a_connection_normally_after_what_it_queued() {
    let mut node = Node::new().unwrap();
    bind(&mut node, "ws", "/", RouteOptions::default());
    let log = log_connections(&mut node, "ws");
    let after_close: Rc<RefCell<Option<Error>>> = Rc::default();
    let sink = Rc::clone(&after_close);
    node.on_open("ws", move |node, c| {
        let bye = Message::new("bye").unwrap();
        c.send_message(node, &bye).unwrap();
        c.close(node).unwrap();
        *sink.borrow_mut() = c.send_message(node, &bye).err();
    })
    .unwrap();
    let outputs = run_clients(
        &mut node,
        "ws",
        vec![client(
            r#"
with connect(URL) as ws:
    out(json.loads(ws.recv(timeout=10))["name"])
    try:
        ws.recv(timeout=10)
    except ConnectionClosed as e:
        out("closed", e.rcvd.code)
"#,
        )],
    );
    assert_eq!(outputs[0], "bye\nclosed 1000\n");
    assert_eq!(*log.borrow(), [Seen::Close(1)]);
    let after_close = after_close.borrow().clone();
    match after_close {
        Some(Error::Connection { message, .. }) => {
            assert_eq!(message, "connection 1 is closed")
        }
        other => panic!("sending after close: {other:?}"),
    }
}

#[test]
fn a_broadcast_reaches_every_open_connection() {
    let mut node = Node::new().unwrap();
    bind(&mut node, "ws", "/live", RouteOptions::default());
    let reached: Rc<RefCell<Option<usize>>> = Rc::default();
    let (opened, sink) = (Rc::new(RefCell::new(0)), Rc::clone(&reached));
    node.on_open("ws", move |node, _| {
        *opened.borrow_mut() += 1;
        if *opened.borrow() == 3 {
            let news = Message::new("news").unwrap().with_body("for all");
            *sink.borrow_mut() = Some(node.broadcast("ws", &news).unwrap());
        }
    })
    .unwrap();
    let listener = || {
        client(
            r#"
with connect(URL) as ws:
    out(json.loads(ws.recv(timeout=10))["body"])
"#,
        )
    };
    let outputs = run_clients(&mut node, "ws", vec![listener(), listener(), listener()]);
    assert_eq!(outputs, ["for all\n", "for all\n", "for all\n"]);
    assert_eq!(*reached.borrow(), Some(3));
    assert_eq!(stats(&node, "ws").messages_out, 3);
}

#[test]
fn a_handshake_for_another_path_is_refused_with_404() {
    let mut node = Node::new().unwrap();
    bind(&mut node, "ws", "/chat", RouteOptions::default());
    let log = log_connections(&mut node, "ws");
    let outputs = run_clients(
        &mut node,
        "ws",
        vec![client(
            r#"
other = URL.replace("/chat", "/other")
try:
    connect(other)
    out("opened")
except InvalidStatus as e:
    out("refused", e.response.status_code)
with connect(URL + "?with=query") as ws:
    out("opened", URL.endswith("/chat"))
"#,
        )],
    );
    assert_eq!(outputs[0], "refused 404\nopened True\n");
    assert_eq!(*log.borrow(), [Seen::Open(2), Seen::Close(2)]);
    assert_eq!(stats(&node, "ws").connections_refused, 1);
}

#[test]
fn a_message_over_max_frame_bytes_closes_with_1009() {
    let mut node = Node::new().unwrap();
    let options = RouteOptions {
        max_frame_bytes: 1000,
        ..Default::default()
    };
    bind(&mut node, "ws", "/", options);
    let log = log_connections(&mut node, "ws");
    echo_messages(&mut node, "ws", &log);
    let outputs = run_clients(
        &mut node,
        "ws",
        vec![client(
            r#"
with connect(URL) as ws:
    ws.send("x" * 2000)
    try:
        ws.recv(timeout=10)
    except ConnectionClosed as e:
        out("closed", e.rcvd.code)
"#,
        )],
    );
    assert_eq!(outputs[0], "closed 1009\n");
    let log = log.borrow();
    assert!(matches!(&log[1], Seen::Error(1, reason) if reason.contains("max_frame_bytes")));
    assert_eq!(log.len(), 3, "{log:?}");
    assert_eq!(log[2], Seen::Close(1));
}

#[test]
fn text_that_is_not_utf8_closes_with_1007() {
    let mut node = Node::new().unwrap();
    bind(&mut node, "ws", "/", RouteOptions::default());
    let log = log_connections(&mut node, "ws");
    echo_messages(&mut node, "ws", &log);
    let outputs = run_clients(
        &mut node,
        "ws",
        vec![client(
            r#"
with connect(URL) as ws:
    ws.send(b"\xff\xfe not utf-8", text=True)
    try:
        ws.recv(timeout=10)
    except ConnectionClosed as e:
        out("closed", e.rcvd.code)
"#,
        )],
    );
    assert_eq!(outputs[0], "closed 1007\n");
    let log = log.borrow();
    assert!(matches!(&log[1], Seen::Error(1, reason) if reason.contains("UTF-8")));
    assert_eq!(log[2..], [Seen::Close(1)]);
}

#[test]
fn text_that_is_not_a_message_is_an_error_and_the_connection_goes_on() {
    let mut node = Node::new().unwrap();
    bind(&mut node, "ws", "/", RouteOptions::default());
    let log = log_connections(&mut node, "ws");
    echo_messages(&mut node, "ws", &log);
    let outputs = run_clients(
        &mut node,
        "ws",
        vec![client(
            r#"
with connect(URL) as ws:
    ws.send("this is not JSON")
    ws.send(json.dumps({"name": "after", "head": {}, "body": "still here"}))
    out(json.loads(ws.recv(timeout=10))["body"])
"#,
        )],
    );
    assert_eq!(outputs[0], "after still here\n");
    let log = log.borrow();
    assert!(matches!(&log[1], Seen::Error(1, reason) if reason.contains("not a message")));
    assert_eq!(
        log[2],
        Seen::Message(1, "after".into(), "still here".into())
    );
    assert_eq!(stats(&node, "ws").decode_errors, 1);
}

#[test]
fn connections_over_max_connections_are_refused_and_the_route_serves_on() {
    let mut node = Node::new().unwrap();
    let options = RouteOptions {
        max_connections: 2,
        ..Default::default()
    };
    bind(&mut node, "ws", "/", options);
    let log = log_connections(&mut node, "ws");
    echo_messages(&mut node, "ws", &log);
    let outputs = run_clients(
        &mut node,
        "ws",
        vec![client(
            r#"
one, two = connect(URL), connect(URL)
for extra in range(2):
    try:
        connect(URL, open_timeout=10).close()
        out("opened")
    except Exception as e:
        out("refused")
two.close()
with connect(URL) as three:
    three.send(json.dumps({"name": "late", "body": "served"}))
    out(json.loads(three.recv(timeout=10))["body"])
one.close()
"#,
        )],
    );
    assert_eq!(outputs[0], "refused\nrefused\nlate served\n");
    let s = stats(&node, "ws");
    assert_eq!((s.connections_refused, s.connections), (2, 0));
}

#[test]
fn a_handshake_slower_than_header_timeout_is_closed() {
    let mut node = Node::new().unwrap();
    let options = RouteOptions {
        header_timeout: Duration::from_millis(300),
        ..Default::default()
    };
    bind(&mut node, "ws", "/", options);
    let log = log_connections(&mut node, "ws");
    let started = Instant::now();
    // One byte every 100 ms: the whole handshake would take some 20 s.
    let outputs = run_clients(
        &mut node,
        "ws",
        vec![client(
            r#"
host, port = URL[len("ws://"):].split("/")[0].rsplit(":", 1)
request = (b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
sock = socket.create_connection((host, int(port)))
sock.settimeout(0.1)
sent = 0
try:
    for byte in request:
        sock.send(bytes([byte]))
        sent += 1
        try:
            if sock.recv(100) == b"":
                break
        except socket.timeout:
            pass
except (BrokenPipeError, ConnectionResetError):
    pass
out("closed" if sent < len(request) else "answered", sent < 30)
"#,
        )],
    );
    assert_eq!(outputs[0], "closed True\n");
    assert!(started.elapsed() < Duration::from_secs(8));
    assert!(log.borrow().is_empty(), "{:?}", log.borrow());
    assert_eq!(stats(&node, "ws").connections_refused, 1);
}

#[test]
fn a_raw_route_echoes_frames_untouched() {
    let mut node = Node::new().unwrap();
    let options = RouteOptions {
        msg_format: MsgFormat::Raw,
        ..Default::default()
    };
    bind(&mut node, "raw", "/raw", options);
    let seen: Rc<RefCell<Vec<Vec<u8>>>> = Rc::default();
    let sink = Rc::clone(&seen);
    node.on_frames_from("raw", move |node, frames, c: Connection| {
        for frame in frames {
            c.send_frame(node, &frame).unwrap();
            sink.borrow_mut().push(frame);
        }
    })
    .unwrap();
    let outputs = run_clients(
        &mut node,
        "raw",
        vec![client(
            r#"
with connect(URL) as ws:
    ws.send("plain text, not JSON")
    ws.send(b"\x00\xff\x83 binary")
    out(repr(ws.recv(timeout=10)))
    out(repr(ws.recv(timeout=10)))
"#,
        )],
    );
    assert_eq!(
        outputs[0],
        "'plain text, not JSON'\nb'\\x00\\xff\\x83 binary'\n"
    );
    assert_eq!(
        *seen.borrow(),
        [
            b"plain text, not JSON".to_vec(),
            b"\x00\xff\x83 binary".to_vec()
        ]
    );
}

#[test]
fn a_client_that_never_reads_gets_backpressure_and_the_others_are_served() {
    let mut node = Node::new().unwrap();
    let options = RouteOptions {
        send_queue: 4,
        ..Default::default()
    };
    bind(&mut node, "ws", "/", options);
    let log = log_connections(&mut node, "ws");
    let flood: Rc<RefCell<Option<(usize, u64)>>> = Rc::default();
    let (sink, echo_log) = (Rc::clone(&flood), Rc::clone(&log));
    node.on_receive_from("ws", move |node, message, c| {
        if message.name() == "flood me" {
            // Sends never block: past the queue, Backpressure, at once.
            let big = Message::new("big")
                .unwrap()
                .with_body("x".repeat(64 * 1024));
            let sent = (0..100_000)
                .take_while(|_| match c.send_message(node, &big) {
                    Ok(()) => true,
                    Err(Error::Backpressure { bound: 4, .. }) => false,
                    Err(other) => panic!("{other}"),
                })
                .count();
            let depth = node.get_route("ws").unwrap().stats().queue_depth;
            *sink.borrow_mut() = Some((sent, depth));
            return;
        }
        echo_log.borrow_mut().push(Seen::Message(
            c.signature(),
            message.name().to_owned(),
            String::new(),
        ));
        let reply = Message::new("served").unwrap();
        c.send_message(node, &reply).unwrap();
    })
    .unwrap();
    let url = node.get_route("ws").unwrap().endpoint().to_owned();
    // The slow client asks for the flood, then reads nothing until its stdin closes, and
    // leaves without a close handshake (its buffers are full of what it never read).
    let slow = client(
        r#"
ws = connect(URL, max_queue=1)
ws.send(json.dumps({"name": "flood me"}))
out("asked")
sys.stdin.read()
os._exit(0)
"#,
    );
    let other = client(
        r#"
with connect(URL) as ws:
    for n in range(3):
        ws.send(json.dumps({"name": "ping"}))
        out(json.loads(ws.recv(timeout=10))["name"])
"#,
    );
    let handle = node.handle();
    let waiter = std::thread::spawn(move || {
        let mut slow = spawn(&url, &slow);
        let mut line = String::new();
        let mut stdout = std::io::BufReader::new(slow.stdout.take().unwrap());
        std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
        let served = finished(spawn(&url, &other));
        slow.stdin.take().unwrap().write_all(b"").unwrap();
        let status = slow.wait().unwrap();
        handle.stop();
        (line, served, status)
    });
    run_until_stopped(&mut node, "the clients to finish");
    let (asked, served, status) = waiter.join().unwrap();
    assert_eq!(asked, "asked\n");
    assert_eq!(served, "served\nserved\nserved\n");
    assert!(status.success());
    let (sent, depth) = flood.borrow().expect("the flood ran");
    assert!(sent >= 4, "{sent} sent before backpressure");
    assert_eq!(depth, 4, "a full queue holds send_queue messages");
    let s = stats(&node, "ws");
    assert_eq!(s.backpressure, 1);
    assert_eq!(s.messages_out, sent as u64 + 3);
}

/// The browser client, `bindings/js/dripdrop.js`, run by Node's own WebSocket (undici's, a
/// browser-compatible implementation): `script` follows an import of the module as
/// `DripDrop`, with `URL` set.
fn run_js_client(node: &mut Node, route: &str, script: &str) -> String {
    let url = node.get_route(route).unwrap().endpoint().to_owned();
    let module = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../bindings/js/dripdrop.js")
        .canonicalize()
        .expect("bindings/js/dripdrop.js exists");
    let program = format!(
        "import DripDrop, {{ Message, WebSocket }} from {module:?};\n\
         const URL = process.argv[1];\n{script}",
        module = format!("file://{}", module.display()),
    );
    let handle = node.handle();
    let waiter = std::thread::spawn(move || {
        let child = Command::new("node")
            .args(["--experimental-websocket", "--input-type=module", "-e"])
            .arg(&program)
            .arg(&url)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("node runs (Node.js 20.10 or later; scripts/test installs nodejs)");
        let output = finished_or_stop(&handle)(child);
        handle.stop();
        output
    });
    run_until_stopped(node, "the JavaScript client to finish");
    waiter
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
}

#[test]
fn the_browser_client_sends_and_receives_messages() {
    let mut node = Node::new().unwrap();
    bind(&mut node, "ws", "/app", RouteOptions::default());
    let log = log_connections(&mut node, "ws");
    echo_messages(&mut node, "ws", &log);
    let output = run_js_client(
        &mut node,
        "ws",
        r#"
if (DripDrop.Message !== Message || DripDrop.WebSocket !== WebSocket) process.exit(2);
const ws = new DripDrop.WebSocket(URL)
  .onOpen(() => {
    console.log("open");
    ws.sendMessage(new DripDrop.Message("greet", { head: { from: "js" }, body: "hi" }));
  })
  .onReceive((msg) => {
    console.log(msg instanceof Message, msg.name, msg.head.to, msg.body);
    ws.close();
  })
  .onClose((event) => console.log("closed", event.code))
  .onError((error) => { console.log("error", String(error)); process.exit(1); });
const back = Message.fromJSON(JSON.stringify(new Message("x", { body: [1, { a: null }] })));
console.log(back.name, JSON.stringify(back.head), JSON.stringify(back.body));
"#,
    );
    assert_eq!(
        output,
        "x {} [1,{\"a\":null}]\nopen\ntrue reply greet greet hi\nclosed 1000\n"
    );
    assert_eq!(
        *log.borrow(),
        [
            Seen::Open(1),
            Seen::Message(1, "greet".into(), "hi".into()),
            Seen::Close(1)
        ]
    );
}
