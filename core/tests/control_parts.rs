//! The two core parts the control server stands on: `router_notify` on a raw zmq_xrep route
//! (a peer's connect and disconnect as `[identity, ""]`, over real tcp), and
//! `Response::send_body` on an http_server route (any body, any type, checked by curl).

mod support;

use dripdrop::{Error, Mode, MsgFormat, Node, RouteKind, RouteOptions, Value};
use std::sync::mpsc;
use std::time::Instant;
use support::node::raw_socket;
use support::web::{curl, host_port, NodeThread, PATIENCE};

type Frames = Vec<Vec<u8>>;

fn notifying() -> RouteOptions {
    RouteOptions {
        msg_format: MsgFormat::Raw,
        router_notify: true,
        ..Default::default()
    }
}

/// A node on its own thread with a notifying ROUTER on tcp, handing every frame set it
/// receives to the test.
fn router() -> (NodeThread, mpsc::Receiver<Frames>) {
    let (tx, rx) = mpsc::channel();
    let node = NodeThread::start(
        RouteKind::Xrep,
        "tcp://127.0.0.1:*",
        Mode::Bind,
        notifying(),
        move |node: &mut Node| {
            node.on_frames("web", move |_, frames| {
                let _ = tx.send(frames);
            })
            .unwrap();
        },
    );
    (node, rx)
}

fn next(rx: &mpsc::Receiver<Frames>) -> Frames {
    rx.recv_timeout(PATIENCE).expect("frames from the router")
}

fn notice(identity: &[u8]) -> Frames {
    vec![identity.to_vec(), Vec::new()]
}

#[test]
fn a_peer_that_connects_speaks_and_is_killed_is_reported_both_ways() {
    let (node, rx) = router();
    let context = zmq::Context::new();
    let dealer = raw_socket(&context, zmq::DEALER);
    dealer.set_identity(b"host:1:a").unwrap();
    dealer.connect(&node.endpoint).unwrap();
    dealer.send(&b"hello"[..], 0).unwrap();
    assert_eq!(next(&rx), notice(b"host:1:a"), "the connect comes first");
    assert_eq!(next(&rx), vec![b"host:1:a".to_vec(), b"hello".to_vec()]);
    dealer.send(&b"again"[..], 0).unwrap();
    assert_eq!(next(&rx), vec![b"host:1:a".to_vec(), b"again".to_vec()]);
    // Closing the socket (linger 0) and its context closes the connection as a killed
    // process's kernel would.
    let started = Instant::now();
    drop(dealer);
    drop(context);
    assert_eq!(next(&rx), notice(b"host:1:a"), "then the disconnect");
    assert!(started.elapsed() < PATIENCE);
    assert_eq!(node.stat("web", "messages_in"), 4);
    node.assert_loop_goes_on();
}

#[test]
fn each_peer_is_reported_as_itself() {
    let (node, rx) = router();
    let (one, two) = (zmq::Context::new(), zmq::Context::new());
    let first = raw_socket(&one, zmq::DEALER);
    first.set_identity(b"one").unwrap();
    first.connect(&node.endpoint).unwrap();
    let second = raw_socket(&two, zmq::DEALER);
    second.set_identity(b"two").unwrap();
    second.connect(&node.endpoint).unwrap();
    first.send(&b"1"[..], 0).unwrap();
    assert_eq!(next(&rx), notice(b"one"));
    assert_eq!(next(&rx), vec![b"one".to_vec(), b"1".to_vec()]);
    second.send(&b"2"[..], 0).unwrap();
    assert_eq!(next(&rx), notice(b"two"));
    assert_eq!(next(&rx), vec![b"two".to_vec(), b"2".to_vec()]);
    drop(second);
    drop(two);
    assert_eq!(next(&rx), notice(b"two"), "only the peer that left");
    first.send(&b"still here"[..], 0).unwrap();
    assert_eq!(next(&rx), vec![b"one".to_vec(), b"still here".to_vec()]);
}

#[test]
fn router_notify_is_for_raw_xrep_routes_only_and_read_by_name() {
    let mut node = Node::new().unwrap();
    let dripdrop = RouteOptions {
        router_notify: true,
        ..Default::default()
    };
    for (kind, options) in [
        (RouteKind::Xrep, dripdrop),
        (RouteKind::Pull, notifying()),
        (RouteKind::Xreq, notifying()),
    ] {
        let refused = node.route_with("r", kind, &["tcp://127.0.0.1:*"], Mode::Bind, options);
        assert!(
            matches!(&refused, Err(Error::InvalidArgument(why)) if why.contains("router_notify")),
            "{kind:?}: {:?}",
            refused.map(|_| ())
        );
    }
    let named = RouteOptions::from_named([
        ("router_notify", Value::Bool(true)),
        ("msg_format", Value::atom("raw")),
    ])
    .unwrap();
    assert!(named.router_notify);
    assert!(RouteOptions::from_named([("router_notify", Value::Int(1))]).is_err());
}

/// An http_server that answers `/metrics` with Prometheus text, `/json` with plain JSON,
/// and `/bad-type` with a content type that would inject a header (refused, so the
/// dropped Response answers 500).
fn bodies() -> NodeThread {
    NodeThread::start(
        RouteKind::HttpServer,
        "http://127.0.0.1:0",
        Mode::Bind,
        RouteOptions::default(),
        |node: &mut Node| {
            node.on_request("web", |node, request, response| {
                let path = request.head_get("http_path").and_then(Value::as_str);
                let result = match path.unwrap_or_default() {
                    "/metrics" => response.send_body(
                        node,
                        200,
                        "text/plain; version=0.0.4",
                        b"dripdrop_up 1\n",
                    ),
                    "/json" => response.send_body(node, 201, "application/json", b"{\"a\":[1]}"),
                    "/bad-type" => {
                        let refused = response.send_body(node, 200, "a/b\r\nX-Evil: 1", b"x");
                        assert!(matches!(refused, Err(Error::InvalidArgument(_))));
                        Ok(())
                    }
                    _ => response.send_body(node, 1000, "text/plain", b"no such status"),
                };
                let _ = result;
            })
            .unwrap();
        },
    )
}

#[test]
fn send_body_answers_with_any_bytes_and_type() {
    let server = bodies();
    let base = format!("http://{}", host_port(&server.endpoint));
    let got = curl(&[&format!("{base}/metrics")]);
    assert_eq!(got.statuses, [200]);
    assert_eq!(got.content_types, ["text/plain; version=0.0.4"]);
    assert_eq!(got.body, "dripdrop_up 1\n");
    let got = curl(&[&format!("{base}/json")]);
    assert_eq!((got.statuses[0], got.body.as_str()), (201, "{\"a\":[1]}"));
    assert_eq!(got.content_types, ["application/json"]);
    let got = curl(&["-i", &format!("{base}/bad-type")]);
    assert_eq!(got.statuses, [500], "{}", got.body);
    assert!(!got.body.contains("X-Evil"), "{}", got.body);
    let got = curl(&[&format!("{base}/bad-status")]);
    assert_eq!(got.statuses, [500], "{}", got.body);
    assert_eq!(server.stat("web", "messages_out"), 4);
    server.assert_loop_goes_on();
}
