//! http_server routes driven by clients nobody here wrote: curl for what clients do, and
//! raw TCP for what they must not. Each node runs on a thread of its own; each test checks
//! what the client saw and that the node's loop and other routes went on.

mod support;

use dripdrop::{Message, Mode, Node, Response, RouteKind, RouteOptions, Value};
use std::cell::RefCell;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};
use support::web::{curl, host_port, json, NodeThread, PATIENCE};

const ANY_PORT: &str = "http://127.0.0.1:0";

/// The handler most tests use: by path, an echo of the request (its head and body), a
/// custom status, a file, a dropped Response, or one kept unanswered.
fn answer_by_path(files: Option<PathBuf>) -> impl FnOnce(&mut Node) + Send + 'static {
    move |node: &mut Node| {
        let kept: Rc<RefCell<Vec<Response>>> = Rc::default();
        node.on_request("web", move |node, request, response| {
            let path = request
                .head_get("http_path")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let echo = Message::new("echo")
                .unwrap()
                .with_head(Value::Dict(request.head().to_vec()))
                .unwrap()
                .with_body(Value::Dict(vec![
                    (Value::from("name"), Value::from(request.name())),
                    (Value::from("body"), request.body().clone()),
                ]));
            let result = match path.as_str() {
                "/created" => response.send_status(node, 201, &echo),
                "/file" => {
                    let dir = files.as_ref().expect("a folder of files");
                    response.send_file(node, dir.join("page.html"))
                }
                "/missing-file" => response.send_file(node, "/nonexistent/dripdrop/file.css"),
                "/drop" => {
                    drop(response);
                    Ok(())
                }
                "/panic" => panic!("the handler failed"),
                "/keep" => {
                    kept.borrow_mut().push(response);
                    Ok(())
                }
                _ => response.send_message(node, &echo),
            };
            result.expect("answer");
        })
        .unwrap();
    }
}

fn server(options: RouteOptions) -> NodeThread {
    NodeThread::start(
        RouteKind::HttpServer,
        ANY_PORT,
        Mode::Bind,
        options,
        answer_by_path(None),
    )
}

fn url(server: &NodeThread, path: &str) -> String {
    format!("http://{}{path}", host_port(&server.endpoint))
}

#[test]
fn the_endpoint_shows_the_port_picked() {
    let s = server(RouteOptions::default());
    assert!(
        s.endpoint.starts_with("http://127.0.0.1:"),
        "{}",
        s.endpoint
    );
    assert_ne!(host_port(&s.endpoint), "127.0.0.1:0");
}

#[test]
fn a_posted_json_message_is_answered_with_json_and_the_request_in_its_head() {
    let s = server(RouteOptions::default());
    let out = curl(&[
        "-H",
        "Content-Type: application/json",
        "-H",
        "X-Trace: abc",
        "--data",
        r#"{"name":"sum","head":{"reply_to":"me"},"body":[1,2,3]}"#,
        &url(&s, "/rpc?v=2"),
    ]);
    assert_eq!(out.statuses, [200]);
    assert_eq!(out.content_types, ["application/json"]);
    let reply = json(&out.body);
    assert_eq!(reply["name"], "echo");
    assert_eq!(reply["body"]["name"], "sum");
    assert_eq!(reply["body"]["body"], serde_json::json!([1, 2, 3]));
    let head = &reply["head"];
    assert_eq!(head["reply_to"], "me");
    assert_eq!(head["http_method"], "POST");
    assert_eq!(head["http_path"], "/rpc");
    assert_eq!(head["http_query"], "v=2");
    assert_eq!(head["http_headers"]["x-trace"], "abc");
    assert_eq!(head["http_headers"]["content-type"], "application/json");
    assert_eq!(s.stat("web", "messages_in"), 1);
    assert_eq!(s.stat("web", "messages_out"), 1);
    assert!(s.stat("web", "bytes_in") > 40);
    s.assert_loop_goes_on();
}

#[test]
fn a_get_is_a_message_named_after_its_path() {
    let s = server(RouteOptions::default());
    let out = curl(&[&url(&s, "/health?verbose=1&x")]);
    assert_eq!(out.statuses, [200]);
    let reply = json(&out.body);
    assert_eq!(reply["body"]["name"], "/health");
    assert_eq!(reply["body"]["body"], serde_json::Value::Null);
    assert_eq!(reply["head"]["http_method"], "GET");
    assert_eq!(reply["head"]["http_query"], "verbose=1&x");
    // HEAD: the same answer without its body; DELETE: a message too.
    let head = curl(&["-I", &url(&s, "/health")]);
    assert_eq!(head.statuses, [200]);
    assert!(!head.body.contains("echo"), "{}", head.body);
    let delete = curl(&["-X", "DELETE", &url(&s, "/things/7")]);
    assert_eq!(json(&delete.body)["head"]["http_method"], "DELETE");
    assert_eq!(json(&delete.body)["body"]["name"], "/things/7");
}

#[test]
fn a_chunked_body_is_read() {
    let s = server(RouteOptions::default());
    let out = curl(&[
        "-H",
        "Transfer-Encoding: chunked",
        "--data-binary",
        r#"{"name":"chunky","body":"x"}"#,
        &url(&s, "/c"),
    ]);
    assert_eq!(out.statuses, [200]);
    assert_eq!(json(&out.body)["body"]["name"], "chunky");
}

#[test]
fn send_status_answers_with_that_status() {
    let s = server(RouteOptions::default());
    let out = curl(&[&url(&s, "/created")]);
    assert_eq!(out.statuses, [201]);
    assert_eq!(json(&out.body)["name"], "echo");
}

fn folder_of_files(tag: &str) -> (PathBuf, PathBuf) {
    let root = std::env::temp_dir().join(format!("dd-http-{tag}-{}", std::process::id()));
    let public = root.join("public");
    std::fs::create_dir_all(public.join("js")).unwrap();
    std::fs::write(public.join("index.html"), "<h1>home</h1>").unwrap();
    std::fs::write(public.join("js/app.mjs"), "export default 1;").unwrap();
    std::fs::write(public.join("page.html"), "<p>page</p>").unwrap();
    std::fs::write(root.join("secret.txt"), "do not serve").unwrap();
    (root, public)
}

#[test]
fn send_file_and_static_dir_serve_files_and_nothing_outside() {
    let (root, public) = folder_of_files("static");
    let options = RouteOptions {
        static_dir: Some(public.clone()),
        ..RouteOptions::default()
    };
    let s = NodeThread::start(
        RouteKind::HttpServer,
        ANY_PORT,
        Mode::Bind,
        options,
        answer_by_path(Some(public.clone())),
    );
    let file = curl(&[&url(&s, "/file")]);
    assert_eq!((file.statuses[0], file.body.as_str()), (200, "<p>page</p>"));
    assert_eq!(file.content_types, ["text/html; charset=utf-8"]);
    let missing = curl(&[&url(&s, "/missing-file")]);
    assert_eq!(missing.statuses, [404]);
    assert_eq!(json(&missing.body)["name"], "dripdrop.error");
    let index = curl(&[&url(&s, "/")]);
    assert_eq!(index.body, "<h1>home</h1>");
    let module = curl(&[&url(&s, "/js/app.mjs")]);
    assert_eq!(module.content_types, ["text/javascript; charset=utf-8"]);
    assert_eq!(module.body, "export default 1;");
    // A path that names no file under the folder goes to the handler, never to the disk.
    for escape in [
        "/../secret.txt",
        "/js/../../secret.txt",
        "/%2e%2e/secret.txt",
    ] {
        let out = curl(&["--path-as-is", &url(&s, escape)]);
        assert!(!out.body.contains("do not serve"), "{escape}: {}", out.body);
        assert_eq!(json(&out.body)["name"], "echo", "{escape}");
    }
    // POST to a file's path goes to the handler too.
    let post = curl(&["--data", r#"{"name":"p"}"#, &url(&s, "/index.html")]);
    assert_eq!(json(&post.body)["body"]["name"], "p");
    s.assert_loop_goes_on();
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn a_dropped_or_panicking_handler_answers_500_with_an_error_message() {
    let s = server(RouteOptions::default());
    for path in ["/drop", "/panic"] {
        let out = curl(&[&url(&s, path)]);
        assert_eq!(out.statuses, [500], "{path}");
        let error = json(&out.body);
        assert_eq!(error["name"], "dripdrop.error");
        assert_eq!(error["body"]["class"], "Unanswered");
    }
    s.assert_loop_goes_on();
}

#[test]
fn a_handler_that_never_answers_gets_504_and_a_late_answer_is_dropped() {
    let options = RouteOptions {
        request_timeout: Some(Duration::from_millis(200)),
        ..RouteOptions::default()
    };
    let s = NodeThread::start(
        RouteKind::HttpServer,
        ANY_PORT,
        Mode::Bind,
        options,
        |node: &mut Node| {
            let kept: Rc<RefCell<Option<Response>>> = Rc::default();
            let later = Rc::clone(&kept);
            node.on_request("web", move |_, _, response| {
                *kept.borrow_mut() = Some(response);
            })
            .unwrap();
            // Answers the kept request when the test asks (after its 504).
            node.on_receive("pull", move |node, message| {
                if message.name() == "answer-now" {
                    let response = later.borrow_mut().take().expect("a kept response");
                    response
                        .send_message(node, &Message::new("late").unwrap())
                        .unwrap();
                }
            })
            .unwrap();
        },
    );
    let started = Instant::now();
    let out = curl(&[&url(&s, "/slow")]);
    assert_eq!(out.statuses, [504]);
    assert!(started.elapsed() >= Duration::from_millis(200));
    let error = json(&out.body);
    assert_eq!(
        (&error["name"], &error["body"]["class"]),
        (
            &serde_json::json!("dripdrop.error"),
            &serde_json::json!("Timeout")
        )
    );
    assert_eq!(s.stat("web", "timeouts"), 1);
    s.on_node(|node| node.send_message("push", &Message::new("answer-now").unwrap()))
        .unwrap();
    s.wait_for_stat("dropped", |n| n == 1);
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let s = server(RouteOptions::default());
    let out = curl(&[&url(&s, "/a"), &url(&s, "/b"), &url(&s, "/c")]);
    assert_eq!(out.statuses, [200, 200, 200]);
    assert_eq!(out.connects, 1, "curl reused its connection");
    // HTTP/1.0 closes after each response unless it asks for keep-alive.
    let old = curl(&["--http1.0", &url(&s, "/a"), &url(&s, "/b")]);
    assert_eq!(
        (old.statuses.as_slice(), old.connects),
        ([200, 200].as_slice(), 2)
    );
    let kept = curl(&[
        "--http1.0",
        "-H",
        "Connection: keep-alive",
        &url(&s, "/a"),
        &url(&s, "/b"),
    ]);
    assert_eq!(
        (kept.statuses.as_slice(), kept.connects),
        ([200, 200].as_slice(), 1)
    );
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let s = server(RouteOptions::default());
    let mut stream = TcpStream::connect(host_port(&s.endpoint)).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let requests = "GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n\
                    GET /three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    stream.write_all(requests.as_bytes()).unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let one = text.find("\"/one\"").expect("one answered");
    let two = text.find("\"/two\"").expect("two answered");
    let three = text.find("\"/three\"").expect("three answered");
    assert!(one < two && two < three, "{text}");
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 3);
}

/// Sends `bytes` on a new connection and reads until the server closes it.
fn raw_exchange(s: &NodeThread, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(host_port(&s.endpoint)).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.write_all(bytes).unwrap();
    let mut out = Vec::new();
    // A reset after the response is read is the server closing: what came counts.
    let _ = stream.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn status_of(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {response:?}"))
}

fn body_of(response: &str) -> &str {
    response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or("")
}

#[test]
fn content_length_and_transfer_encoding_together_are_refused() {
    let s = server(RouteOptions::default());
    let response = raw_exchange(
        &s,
        b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    );
    assert_eq!(status_of(&response), 400, "{response}");
    assert_eq!(json(body_of(&response))["name"], "dripdrop.error");
    let two_lengths = raw_exchange(
        &s,
        b"POST /x HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
    );
    assert_eq!(status_of(&two_lengths), 400);
    let garbage = raw_exchange(&s, b"\x16\x03\x01 hello there\r\n\r\n");
    assert_eq!(status_of(&garbage), 400);
    assert_eq!(s.stat("web", "decode_errors"), 3);
    assert_eq!(curl(&[&url(&s, "/after")]).statuses, [200]);
    s.assert_loop_goes_on();
}

#[test]
fn a_body_that_is_not_a_json_message_gets_400_with_an_error_message() {
    let s = server(RouteOptions::default());
    let out = curl(&["--data", "name=not-json", &url(&s, "/form")]);
    assert_eq!(out.statuses, [400]);
    let error = json(&out.body);
    assert_eq!(error["name"], "dripdrop.error");
    assert_eq!(error["head"], serde_json::json!({}));
    assert_eq!(error["body"]["class"], "DecodeError");
    assert!(
        error["body"]["message"].as_str().unwrap().contains("JSON"),
        "{error}"
    );
    let no_name = curl(&["--data", r#"{"body":1}"#, &url(&s, "/x")]);
    assert_eq!(no_name.statuses, [400]);
    assert_eq!(s.stat("web", "decode_errors"), 2);
    s.assert_loop_goes_on();
}

#[test]
fn a_head_over_the_bound_gets_431() {
    let options = RouteOptions {
        max_header_bytes: 1024,
        ..RouteOptions::default()
    };
    let s = server(options);
    let big = format!("GET / HTTP/1.1\r\nX-Big: {}\r\n\r\n", "a".repeat(4000));
    let response = raw_exchange(&s, big.as_bytes());
    assert_eq!(status_of(&response), 431, "{response}");
    assert_eq!(s.stat("web", "connections_refused"), 1);
    let fits = curl(&[
        "-H",
        &format!("X-Small: {}", "b".repeat(500)),
        &url(&s, "/"),
    ]);
    assert_eq!(fits.statuses, [200]);
    s.assert_loop_goes_on();
}

#[test]
fn a_body_over_the_bound_gets_413_before_it_is_read() {
    let options = RouteOptions {
        max_frame_bytes: 1000,
        ..RouteOptions::default()
    };
    let s = server(options);
    // Declared too large: refused from its Content-Length, the body never sent.
    let response = raw_exchange(
        &s,
        b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n",
    );
    assert_eq!(status_of(&response), 413, "{response}");
    // Chunked, growing past the bound.
    let chunk = format!("{:x}\r\n{}\r\n", 600, "z".repeat(600));
    let chunked =
        format!("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n{chunk}{chunk}0\r\n\r\n");
    assert_eq!(status_of(&raw_exchange(&s, chunked.as_bytes())), 413);
    // curl with a large body (it waits for 100 Continue, and gets 413 instead).
    let big = format!(r#"{{"name":"big","body":"{}"}}"#, "y".repeat(5000));
    assert_eq!(curl(&["--data", &big, &url(&s, "/x")]).statuses, [413]);
    assert_eq!(s.stat("web", "connections_refused"), 3);
    let small = curl(&["--data", r#"{"name":"small"}"#, &url(&s, "/x")]);
    assert_eq!(small.statuses, [200]);
    s.assert_loop_goes_on();
}

#[test]
fn a_body_under_the_bound_after_100_continue_is_read() {
    let s = server(RouteOptions::default());
    let big = format!(r#"{{"name":"big","body":"{}"}}"#, "y".repeat(5000));
    let started = Instant::now();
    let out = curl(&["--data", &big, &url(&s, "/x")]);
    assert_eq!(out.statuses, [200]);
    assert_eq!(json(&out.body)["body"]["name"], "big");
    // curl waits a second for 100 Continue unless it gets it.
    assert!(started.elapsed() < Duration::from_millis(900));
}

#[test]
fn a_client_too_slow_with_its_head_is_closed() {
    let options = RouteOptions {
        header_timeout: Duration::from_millis(300),
        ..RouteOptions::default()
    };
    let s = server(options);
    let mut stream = TcpStream::connect(host_port(&s.endpoint)).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let started = Instant::now();
    // One byte every 50 ms: the head would take seconds.
    let slow = std::thread::spawn(move || {
        for byte in
            b"GET / HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
        {
            if writer.write_all(&[*byte]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    let elapsed = started.elapsed();
    let response = String::from_utf8_lossy(&out);
    assert_eq!(status_of(&response), 408, "{response}");
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    slow.join().unwrap();
    assert_eq!(s.stat("web", "connections_refused"), 1);
    assert_eq!(curl(&[&url(&s, "/")]).statuses, [200]);
    s.assert_loop_goes_on();
}

#[test]
fn an_idle_kept_alive_connection_is_closed() {
    let options = RouteOptions {
        idle_timeout: Duration::from_millis(200),
        ..RouteOptions::default()
    };
    let s = server(options);
    let mut stream = TcpStream::connect(host_port(&s.endpoint)).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
        .write_all(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let started = Instant::now();
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200 OK"));
    assert!(started.elapsed() >= Duration::from_millis(200));
    s.wait_for_stat("connections", |n| n == 0);
}

#[test]
fn connections_over_the_bound_are_refused_and_counted() {
    let options = RouteOptions {
        max_connections: 2,
        ..RouteOptions::default()
    };
    let s = server(options);
    // Two connections, each shown open by an answered request.
    let mut open = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(host_port(&s.endpoint)).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        stream
            .write_all(b"GET /held HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut buffer = [0u8; 4096];
        let n = stream.read(&mut buffer).unwrap();
        assert!(buffer[..n].starts_with(b"HTTP/1.1 200"));
        open.push(stream);
    }
    assert_eq!(s.stat("web", "connections"), 2);
    // The third is accepted and closed at once.
    let mut third = TcpStream::connect(host_port(&s.endpoint)).unwrap();
    third.set_read_timeout(Some(PATIENCE)).unwrap();
    let _ = third.write_all(b"GET / HTTP/1.1\r\n\r\n");
    let mut out = Vec::new();
    let _ = third.read_to_end(&mut out);
    assert!(out.is_empty(), "{}", String::from_utf8_lossy(&out));
    assert_eq!(s.stat("web", "connections_refused"), 1);
    s.assert_loop_goes_on();
    drop(open);
    s.wait_for_stat("connections", |n| n == 0);
    assert_eq!(curl(&[&url(&s, "/after")]).statuses, [200]);
}

#[test]
fn routes_that_do_not_fit_are_refused() {
    let mut node = Node::new().unwrap();
    let connect = node.route(
        "c",
        RouteKind::HttpServer,
        &["http://127.0.0.1:0"],
        Mode::Connect,
    );
    assert!(connect.is_err());
    let wrong = node.route(
        "w",
        RouteKind::HttpServer,
        &["ws://127.0.0.1:0"],
        Mode::Bind,
    );
    assert!(wrong.is_err());
    let route = node
        .route(
            "ok",
            RouteKind::HttpServer,
            &["http://127.0.0.1:*"],
            Mode::Bind,
        )
        .unwrap();
    assert!(route.endpoint().starts_with("http://127.0.0.1:"));
    assert!(matches!(
        node.send_message("ok", &Message::new("m").unwrap()),
        Err(dripdrop::Error::WrongKind { .. })
    ));
}

#[test]
fn a_pipelined_request_waits_for_a_later_answer_then_is_delivered() {
    // Answers come from a timer, outside any event of the connection: the request read
    // after each answer must still reach the handler.
    let s = NodeThread::start(
        RouteKind::HttpServer,
        ANY_PORT,
        Mode::Bind,
        RouteOptions::default(),
        |node: &mut Node| {
            node.on_request("web", |node, request, response| {
                let name = request.name().to_owned();
                node.after(Duration::from_millis(5), move |node| {
                    let reply = Message::new("later").unwrap().with_body(name);
                    response.send_message(node, &reply).unwrap();
                });
            })
            .unwrap();
        },
    );
    let mut stream = TcpStream::connect(host_port(&s.endpoint)).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
        .write_all(b"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let order: Vec<usize> = ["\"/1\"", "\"/2\"", "\"/3\""]
        .iter()
        .map(|n| text.find(n).unwrap_or_else(|| panic!("{n} in {text}")))
        .collect();
    assert!(order[0] < order[1] && order[1] < order[2], "{text}");
}

#[test]
fn a_connection_that_sends_nothing_is_closed_after_the_header_timeout() {
    let options = RouteOptions {
        header_timeout: Duration::from_millis(200),
        ..RouteOptions::default()
    };
    let s = server(options);
    let mut silent = TcpStream::connect(host_port(&s.endpoint)).unwrap();
    silent.set_read_timeout(Some(PATIENCE)).unwrap();
    let started = Instant::now();
    let mut out = Vec::new();
    let _ = silent.read_to_end(&mut out);
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(status_of(&String::from_utf8_lossy(&out)), 408);
    assert_eq!(s.stat("web", "connections_refused"), 1);
    s.assert_loop_goes_on();
}

/// The resident set size of this process, in bytes.
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("a VmRSS line")
        * 1024
}

#[test]
fn ten_thousand_idle_connections_meet_the_limit_and_cost_bounded_memory() {
    const CLIENTS: u64 = 10_000;
    // The default bounds: 1,024 connections, a header timeout of 10 s (longer than the
    // flood takes, so every refusal below is one of the limit).
    let options = RouteOptions::default();
    let limit = options.max_connections as u64;
    let s = server(options);
    let before = rss_bytes();
    // Connections that say nothing: the kernel completes each connect from its backlog
    // whether or not the route accepts it.
    let idle: Vec<TcpStream> = (0..CLIENTS)
        .map(|_| TcpStream::connect(host_port(&s.endpoint)).expect("connect"))
        .collect();
    s.wait_for_stat("connections_refused", |n| n >= CLIENTS - limit);
    let peak = rss_bytes();
    assert_eq!(s.stat("web", "connections"), limit);
    assert_eq!(s.stat("web", "connections_refused"), CLIENTS - limit);
    // The node's side of 1,024 connections, and the client's of 10,000 sockets, in one
    // process: a few KiB each at most.
    let grew = peak.saturating_sub(before);
    assert!(grew < 48 << 20, "RSS grew {} MB", grew >> 20);
    s.assert_loop_goes_on();
    // The clients leave; their places are freed, and the route serves again.
    drop(idle);
    s.wait_for_stat("connections", |n| n == 0);
    assert_eq!(curl(&[&url(&s, "/after")]).statuses, [200]);
    println!(
        "{CLIENTS} idle connections: {limit} held, {} refused, RSS grew {:.1} MB",
        CLIENTS - limit,
        grew as f64 / (1 << 20) as f64
    );
}
