//! http_client routes against servers: Python's `http.server` (written by nobody here) and
//! an http_server route in another node. The client's node runs on the test's thread; each
//! test checks what every request's callback got.

mod support;

use dripdrop::{Error, Message, Mode, Node, Response, RouteKind, RouteOptions, Value};
use std::cell::RefCell;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::time::Duration;
use support::node::{collect_errors, numbered, route_stat, run_until_stopped};
use support::web::{host_port, NodeThread};

/// Python's threading HTTP server with a handler per path; it prints its port.
const PYTHON_SERVER: &str = r#"
import http.server, json, sys
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def answer(self, status, body, content_type="application/json", length=True):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        size = int(self.headers.get("Content-Length", "0"))
        request = json.loads(self.rfile.read(size))
        if self.path == "/echo":
            reply = {"name": "echoed", "head": {"port": self.client_address[1],
                     "content_type": self.headers.get("Content-Type")}, "body": request}
            self.answer(200, json.dumps(reply).encode())
        elif self.path == "/missing":
            self.answer(404, b"no such thing", "text/plain")
        elif self.path == "/error":
            error = {"name": "dripdrop.error", "head": {},
                     "body": {"class": "KeyError", "message": "boom"}}
            self.answer(500, json.dumps(error).encode())
        elif self.path == "/not-json":
            self.answer(200, b"<html>hello</html>", "text/html")
        elif self.path == "/chunked":
            body = json.dumps({"name": "chunked", "body": request["body"]}).encode()
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            half = len(body) // 2
            for part in (body[:half], body[half:]):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/until-close":
            self.answer(200, json.dumps({"name": "closed", "body": request["body"]}).encode(),
                        length=False)
        else:
            self.answer(400, b"unknown path", "text/plain")
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

/// A Python server running for the test; killed when dropped.
struct PythonServer {
    child: Child,
    port: u16,
}

impl PythonServer {
    fn start() -> PythonServer {
        let mut child = Command::new("python3")
            .args(["-c", PYTHON_SERVER])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs (install Debian's python3; scripts/test does)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout piped"))
            .read_line(&mut line)
            .expect("the server prints its port");
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("no port in {line:?}"));
        PythonServer { child, port }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

type Outcomes = Rc<RefCell<Vec<Result<Message, Error>>>>;

/// Sends `requests` on a new http_client route to `url` and runs the node until each has
/// its outcome; returns them in the order they came, and the node.
fn exchange(
    url: &str,
    options: RouteOptions,
    requests: Vec<Message>,
) -> (Vec<Result<Message, Error>>, Node) {
    let mut node = Node::new().unwrap();
    node.route_with("api", RouteKind::HttpClient, &[url], Mode::Connect, options)
        .unwrap();
    let outcomes: Outcomes = Rc::default();
    let expected = requests.len();
    for request in requests {
        let sink = Rc::clone(&outcomes);
        node.send_request("api", &request, move |node, outcome| {
            sink.borrow_mut().push(outcome);
            if sink.borrow().len() == expected {
                node.stop();
            }
        })
        .unwrap();
    }
    run_until_stopped(&mut node, "the replies");
    let got = outcomes.borrow_mut().drain(..).collect();
    (got, node)
}

fn one(url: &str, request: Message) -> Result<Message, Error> {
    exchange(url, RouteOptions::default(), vec![request])
        .0
        .remove(0)
}

#[test]
fn a_reply_comes_back_from_python() {
    let python = PythonServer::start();
    let request = numbered("ask", 7).with_head_entry("trace", "t1");
    let reply = one(&python.url("/echo"), request).unwrap();
    assert_eq!(reply.name(), "echoed");
    assert_eq!(
        reply.head_get("content_type").and_then(Value::as_str),
        Some("application/json")
    );
    let sent = reply.body();
    assert_eq!(sent.get("name").and_then(Value::as_str), Some("ask"));
    assert_eq!(sent.get("body"), Some(&Value::Int(7)));
    assert_eq!(
        sent.get("head")
            .and_then(|h| h.get("trace"))
            .and_then(Value::as_str),
        Some("t1")
    );
}

#[test]
fn chunked_and_close_delimited_responses_are_read() {
    let python = PythonServer::start();
    let chunked = one(&python.url("/chunked"), numbered("c", 1)).unwrap();
    assert_eq!(
        (chunked.name(), chunked.body()),
        ("chunked", &Value::Int(1))
    );
    let closed = one(&python.url("/until-close"), numbered("c", 2)).unwrap();
    assert_eq!((closed.name(), closed.body()), ("closed", &Value::Int(2)));
}

#[test]
fn a_status_that_is_not_2xx_is_a_remote_error() {
    let python = PythonServer::start();
    match one(&python.url("/missing"), numbered("q", 1)) {
        Err(Error::Remote { class, message, .. }) => {
            assert_eq!(
                (class.as_str(), message.as_str()),
                ("HTTP 404", "no such thing")
            );
        }
        other => panic!("expected a remote error, got {other:?}"),
    }
    match one(&python.url("/error"), numbered("q", 1)) {
        Err(Error::Remote { class, message, .. }) => {
            assert_eq!(
                (class.as_str(), message.as_str()),
                ("HTTP 500", "KeyError: boom")
            );
        }
        other => panic!("expected a remote error, got {other:?}"),
    }
}

#[test]
fn a_body_that_is_not_a_json_message_is_a_json_error() {
    let python = PythonServer::start();
    let (mut outcomes, node) = exchange(
        &python.url("/not-json"),
        RouteOptions::default(),
        vec![numbered("q", 1)],
    );
    assert!(matches!(outcomes.remove(0), Err(Error::Json(_))));
    assert_eq!(route_stat(&node, "api", "decode_errors"), 1);
}

#[test]
fn a_refused_connection_is_a_connection_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/x");
    let (outcomes, _node) = exchange(
        &url,
        RouteOptions::default(),
        vec![numbered("q", 1), numbered("q", 2)],
    );
    assert_eq!(outcomes.len(), 2);
    for outcome in outcomes {
        match outcome {
            Err(Error::Connection { route, message }) => {
                assert_eq!(route, "api");
                assert!(message.contains("refused"), "{message}");
            }
            other => panic!("expected a connection error, got {other:?}"),
        }
    }
}

#[test]
fn a_response_over_the_bound_is_refused() {
    let python = PythonServer::start();
    let options = RouteOptions {
        max_frame_bytes: 64,
        ..RouteOptions::default()
    };
    let big = Message::new("big").unwrap().with_body("x".repeat(200));
    let (mut outcomes, node) = exchange(&python.url("/echo"), options, vec![big]);
    assert!(matches!(outcomes.remove(0), Err(Error::Connection { .. })));
    assert_eq!(route_stat(&node, "api", "decode_errors"), 1);
}

#[test]
fn connections_are_kept_alive_and_reused() {
    let python = PythonServer::start();
    let mut node = Node::new().unwrap();
    node.route(
        "api",
        RouteKind::HttpClient,
        &[&python.url("/echo")],
        Mode::Connect,
    )
    .unwrap();
    let ports: Rc<RefCell<Vec<i64>>> = Rc::default();
    // Each request goes after the reply to the one before.
    fn ask(node: &mut Node, n: i64, ports: Rc<RefCell<Vec<i64>>>) {
        node.send_request("api", &numbered("q", n), move |node, reply| {
            let reply = reply.unwrap();
            let port = reply.head_get("port").cloned();
            ports.borrow_mut().push(match port {
                Some(Value::Int(p)) => p,
                other => panic!("no port: {other:?}"),
            });
            if n < 3 {
                ask(node, n + 1, ports);
            } else {
                node.stop();
            }
        })
        .unwrap();
    }
    ask(&mut node, 1, Rc::clone(&ports));
    run_until_stopped(&mut node, "three replies");
    let ports = ports.borrow();
    assert_eq!(ports.len(), 3);
    assert!(
        ports.iter().all(|p| *p == ports[0]),
        "one connection: {ports:?}"
    );
    assert_eq!(route_stat(&node, "api", "connections"), 1);
}

/// An http_server node whose handler answers each request with its number, except those
/// whose body is negative, which it keeps unanswered.
fn own_server() -> NodeThread {
    NodeThread::start(
        RouteKind::HttpServer,
        "http://127.0.0.1:0",
        Mode::Bind,
        RouteOptions::default(),
        |node: &mut Node| {
            let kept: Rc<RefCell<Vec<Response>>> = Rc::default();
            node.on_request("web", move |node, request, response| match request.body() {
                Value::Int(n) if *n < 0 => kept.borrow_mut().push(response),
                Value::Nil => drop(response),
                body => response
                    .send_message(node, &Message::new("done").unwrap().with_body(body.clone()))
                    .unwrap(),
            })
            .unwrap();
        },
    )
}

fn own_url(server: &NodeThread) -> String {
    format!("http://{}/rpc", host_port(&server.endpoint))
}

#[test]
fn a_reply_comes_back_from_our_own_http_server() {
    let server = own_server();
    let reply = one(&own_url(&server), numbered("q", 5)).unwrap();
    assert_eq!((reply.name(), reply.body()), ("done", &Value::Int(5)));
    match one(&own_url(&server), Message::new("nil-body").unwrap()) {
        Err(Error::Remote { class, message, .. }) => {
            assert_eq!(class, "HTTP 500");
            assert!(message.starts_with("Unanswered: "), "{message}");
        }
        other => panic!("expected a remote error, got {other:?}"),
    }
    server.assert_loop_goes_on();
}

#[test]
fn send_message_is_a_request_nobody_waits_for() {
    let server = own_server();
    let mut node = Node::new().unwrap();
    let errors = collect_errors(&mut node);
    node.route(
        "api",
        RouteKind::HttpClient,
        &[&own_url(&server)],
        Mode::Connect,
    )
    .unwrap();
    node.send_message("api", &numbered("fire", 1)).unwrap();
    // The server answers; the reply is counted when it comes, and the node stops then.
    node.every(Duration::from_millis(5), |node| {
        if route_stat(node, "api", "messages_in") == 1 {
            node.stop();
        }
    });
    run_until_stopped(&mut node, "the reply nobody waits for");
    assert_eq!(server.stat("web", "messages_in"), 1);
    assert!(errors.borrow().is_empty(), "{:?}", errors.borrow());
}

#[test]
fn a_request_without_a_reply_in_time_times_out_and_frees_its_connection() {
    let server = own_server();
    // One connection: the request after the one that timed out goes only if the timeout
    // freed it.
    let options = RouteOptions {
        request_timeout: Some(Duration::from_millis(200)),
        max_connections: 1,
        ..RouteOptions::default()
    };
    let mut node = Node::new().unwrap();
    node.route_with(
        "api",
        RouteKind::HttpClient,
        &[&own_url(&server)],
        Mode::Connect,
        options,
    )
    .unwrap();
    let outcomes: Outcomes = Rc::default();
    let sink = Rc::clone(&outcomes);
    node.send_request("api", &numbered("never", -1), move |node, outcome| {
        sink.borrow_mut().push(outcome);
        let sink = Rc::clone(&sink);
        node.send_request("api", &numbered("soon", 1), move |node, outcome| {
            sink.borrow_mut().push(outcome);
            node.stop();
        })
        .unwrap();
    })
    .unwrap();
    run_until_stopped(&mut node, "a timeout, then a reply");
    let outcomes = outcomes.borrow();
    match &outcomes[0] {
        Err(Error::Timeout { route, timeout_ms }) => {
            assert_eq!((route.as_str(), *timeout_ms), ("api", 200));
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(
        matches!(outcomes[1], Ok(ref m) if m.body() == &Value::Int(1)),
        "{outcomes:?}"
    );
    assert_eq!(route_stat(&node, "api", "timeouts"), 1);
    server.assert_loop_goes_on();
}

#[test]
fn more_requests_than_connections_are_all_answered() {
    let python = PythonServer::start();
    let options = RouteOptions {
        max_connections: 3,
        ..RouteOptions::default()
    };
    let mut node = Node::new().unwrap();
    node.route_with(
        "api",
        RouteKind::HttpClient,
        &[&python.url("/echo")],
        Mode::Connect,
        options,
    )
    .unwrap();
    let got: Rc<RefCell<Vec<i64>>> = Rc::default();
    let most_open = Rc::new(RefCell::new(0));
    const COUNT: i64 = 40;
    for n in 0..COUNT {
        let got = Rc::clone(&got);
        let most_open = Rc::clone(&most_open);
        node.send_request("api", &numbered("q", n), move |node, reply| {
            let reply = reply.unwrap();
            let open = route_stat(node, "api", "connections");
            let most = open.max(*most_open.borrow());
            *most_open.borrow_mut() = most;
            got.borrow_mut().push(match reply.body().get("body") {
                Some(Value::Int(n)) => *n,
                other => panic!("bad echo {other:?}"),
            });
            if got.borrow().len() == COUNT as usize {
                node.stop();
            }
        })
        .unwrap();
    }
    assert_eq!(route_stat(&node, "api", "queue_depth"), COUNT as u64);
    run_until_stopped(&mut node, "every reply");
    let mut got = got.borrow().clone();
    got.sort();
    assert_eq!(got, (0..COUNT).collect::<Vec<_>>(), "none lost, none twice");
    assert!(
        *most_open.borrow() <= 3,
        "at most 3 connections: {}",
        most_open.borrow()
    );
}

#[test]
fn past_the_send_queue_requests_are_refused_with_backpressure() {
    let server = own_server();
    let options = RouteOptions {
        max_connections: 1,
        send_queue: 2,
        ..RouteOptions::default()
    };
    let mut node = Node::new().unwrap();
    node.route_with(
        "api",
        RouteKind::HttpClient,
        &[&own_url(&server)],
        Mode::Connect,
        options,
    )
    .unwrap();
    let got: Rc<RefCell<Vec<i64>>> = Rc::default();
    for n in 0..3 {
        let got = Rc::clone(&got);
        node.send_request("api", &numbered("q", n), move |node, reply| {
            got.borrow_mut()
                .push(support::node::number(&reply.unwrap()));
            if got.borrow().len() == 3 {
                node.stop();
            }
        })
        .unwrap();
    }
    match node.send_request("api", &numbered("q", 3), |_, _| {}) {
        Err(Error::Backpressure { route, bound }) => {
            assert_eq!((route.as_str(), bound), ("api", 2))
        }
        other => panic!("expected backpressure, got {other:?}"),
    }
    assert!(matches!(
        node.send_message("api", &numbered("q", 4)),
        Err(Error::Backpressure { .. })
    ));
    assert_eq!(route_stat(&node, "api", "backpressure"), 2);
    run_until_stopped(&mut node, "three replies");
    // One connection: the replies come in the order the requests were sent.
    assert_eq!(*got.borrow(), [0, 1, 2]);
}

#[test]
fn routes_that_do_not_fit_are_refused() {
    let mut node = Node::new().unwrap();
    assert!(node
        .route(
            "b",
            RouteKind::HttpClient,
            &["http://127.0.0.1:80/x"],
            Mode::Bind
        )
        .is_err());
    assert!(node
        .route(
            "n",
            RouteKind::HttpClient,
            &["http://no-such-host.invalid:80/x"],
            Mode::Connect
        )
        .is_err());
    let route = node
        .route(
            "ok",
            RouteKind::HttpClient,
            &["http://localhost:8080/api"],
            Mode::Connect,
        )
        .unwrap();
    assert_eq!(route.endpoint(), "http://localhost:8080/api");
}

/// Reads one request (head and Content-Length body) from a blocking stream; `None` at
/// end of file.
fn read_request(stream: &mut std::net::TcpStream) -> Option<String> {
    use std::io::Read;
    let mut data = Vec::new();
    let mut byte = [0u8; 1];
    while !data.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => data.push(byte[0]),
            _ => return None,
        }
    }
    let head = String::from_utf8_lossy(&data).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).ok()?;
    Some(String::from_utf8_lossy(&body).into_owned())
}

#[test]
fn a_kept_alive_connection_the_server_dropped_is_retried_once_on_a_new_one() {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // A server that answers the first request and keeps the connection, then drops it
    // when the second request comes, unanswered; a new connection gets its answer.
    let server = std::thread::spawn(move || {
        let reply = |stream: &mut std::net::TcpStream, name: &str| {
            let body = format!(r#"{{"name":"{name}"}}"#);
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(body.as_bytes()).unwrap();
        };
        let (mut first, _) = listener.accept().unwrap();
        read_request(&mut first).expect("the first request");
        reply(&mut first, "first");
        read_request(&mut first).expect("the second request");
        drop(first);
        let (mut second, _) = listener.accept().unwrap();
        read_request(&mut second).expect("the second request again");
        reply(&mut second, "second");
        read_request(&mut second)
    });
    let url = format!("http://127.0.0.1:{port}/x");
    let mut node = Node::new().unwrap();
    node.route("api", RouteKind::HttpClient, &[&url], Mode::Connect)
        .unwrap();
    let names: Rc<RefCell<Vec<String>>> = Rc::default();
    let sink = Rc::clone(&names);
    node.send_request("api", &numbered("q", 1), move |node, reply| {
        sink.borrow_mut().push(reply.unwrap().name().to_owned());
        let sink = Rc::clone(&sink);
        node.send_request("api", &numbered("q", 2), move |node, reply| {
            sink.borrow_mut().push(match reply {
                Ok(m) => m.name().to_owned(),
                Err(e) => format!("error: {e}"),
            });
            node.stop();
        })
        .unwrap();
    })
    .unwrap();
    run_until_stopped(&mut node, "two replies");
    assert_eq!(*names.borrow(), ["first", "second"]);
    drop(node);
    assert_eq!(server.join().unwrap(), None, "nothing sent a third time");
}
