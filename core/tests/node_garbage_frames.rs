//! Garbage from raw ZeroMQ peers: non-BERT frames, BERT that is not a message, truncated
//! frames and wrong frame counts are counted in `decode_errors`, reported to `on_error` as
//! `Error::Receive`, and the route goes on serving: a valid message afterwards still arrives.

mod support;

use dripdrop::{Error, Message, Mode, Node, RouteKind, Value};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use support::node::{bind_tcp, collect_errors, number, numbered, raw_socket, run_until_stopped};

fn valid(n: i64) -> Vec<u8> {
    numbered("valid", n).encode().unwrap()
}

fn truncated() -> Vec<u8> {
    let mut frame = valid(1);
    frame.truncate(frame.len() - 3);
    frame
}

fn not_a_message() -> Vec<u8> {
    dripdrop::bert::encode(&Value::List(vec![Value::Int(1), Value::Int(2)])).unwrap()
}

/// Every reported error is a `Receive` error on `route`.
fn assert_all_receive_errors(errors: &[Error], route: &str) {
    for error in errors {
        match error {
            Error::Receive { route: r, .. } => assert_eq!(r, route, "{error}"),
            other => panic!("expected a receive error on {route}, got {other:?}"),
        }
    }
}

#[test]
fn a_pull_route_counts_reports_and_survives_garbage() {
    let mut node = Node::new().unwrap();
    let endpoint = bind_tcp(&mut node, "in", RouteKind::Pull);
    let errors = collect_errors(&mut node);
    let got: Rc<RefCell<Vec<Message>>> = Rc::default();
    let sink = Rc::clone(&got);
    node.on_receive("in", move |node, msg| {
        sink.borrow_mut().push(msg);
        node.stop();
    })
    .unwrap();

    let context = zmq::Context::new();
    let push = raw_socket(&context, zmq::PUSH);
    push.connect(&endpoint).unwrap();
    let garbage: Vec<Vec<Vec<u8>>> = vec![
        vec![b"not bert at all".to_vec()],
        vec![Vec::new()],
        vec![vec![131]],
        vec![not_a_message()],
        vec![truncated()],
        vec![valid(0), valid(0)],
        vec![b"GET / HTTP/1.1\r\n\r\n".to_vec()],
    ];
    for frames in &garbage {
        push.send_multipart(frames, 0).unwrap();
    }
    push.send(valid(42), 0).unwrap();
    run_until_stopped(&mut node, "the valid message after the garbage");

    let got = got.borrow();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0], numbered("valid", 42));
    let stats = node.get_route("in").unwrap().stats();
    assert_eq!(stats.decode_errors, garbage.len() as u64);
    assert_eq!(stats.messages_in, garbage.len() as u64 + 1);
    let errors = errors.borrow();
    assert_eq!(errors.len(), garbage.len(), "{errors:?}");
    assert_all_receive_errors(&errors, "in");
    assert_eq!(
        support::node::route_stat(&node, "in", "decode_errors"),
        garbage.len() as u64
    );
}

#[test]
fn a_subscribe_route_counts_reports_and_survives_garbage() {
    let mut node = Node::new().unwrap();
    let context = zmq::Context::new();
    let publisher = raw_socket(&context, zmq::PUB);
    publisher.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = publisher.get_last_endpoint().unwrap().unwrap();
    node.route("sub", RouteKind::Subscribe, &[&endpoint], Mode::Connect)
        .unwrap();
    let errors = collect_errors(&mut node);
    let valid_seen = Rc::new(RefCell::new(0));
    let seen = Rc::clone(&valid_seen);
    node.on_receive("sub", move |node, msg| {
        assert_eq!(msg, numbered("valid", 7));
        *seen.borrow_mut() += 1;
        // After one whole round of garbage has come through, stop.
        if node.get_route("sub").unwrap().stats().decode_errors >= 4 {
            node.stop();
        }
    })
    .unwrap();
    // The raw publisher lives on the node's thread, in a timer, and sends until stopped.
    node.every(Duration::from_millis(2), move |_| {
        let rounds: [Vec<Vec<u8>>; 5] = [
            vec![b"garbage".to_vec()],
            vec![b"valid".to_vec(), b"\x83garbage".to_vec()],
            vec![b"valid".to_vec(), truncated()],
            vec![b"valid".to_vec(), valid(7), valid(7)],
            vec![b"valid".to_vec(), valid(7)],
        ];
        for frames in rounds {
            publisher.send_multipart(frames, 0).unwrap();
        }
    });
    run_until_stopped(&mut node, "a round of garbage and a valid message");

    let stats = node.get_route("sub").unwrap().stats();
    assert!(stats.decode_errors >= 4);
    assert!(*valid_seen.borrow() >= 1);
    let errors = errors.borrow();
    assert_eq!(errors.len() as u64, stats.decode_errors, "{errors:?}");
    assert_all_receive_errors(&errors, "sub");
}

#[test]
fn an_xrep_route_counts_reports_and_survives_garbage() {
    let mut node = Node::new().unwrap();
    let endpoint = bind_tcp(&mut node, "server", RouteKind::Xrep);
    let errors = collect_errors(&mut node);
    node.on_request("server", |node, msg, response| {
        let reply = numbered("answer", number(&msg));
        response.send_message(node, &reply).unwrap();
        node.stop();
    })
    .unwrap();
    let context = zmq::Context::new();
    let dealer = raw_socket(&context, zmq::DEALER);
    dealer.set_identity(b"rogue").unwrap();
    dealer.connect(&endpoint).unwrap();
    let id = 9u64.to_be_bytes().to_vec();
    let garbage: Vec<Vec<Vec<u8>>> = vec![
        // No delimiter.
        vec![b"garbage".to_vec()],
        // Delimiter, then not BERT.
        vec![Vec::new(), b"garbage".to_vec()],
        // Too many frames after the delimiter.
        vec![Vec::new(), id.clone(), valid(1), valid(1)],
        // A request id, then BERT that is not a message.
        vec![Vec::new(), id.clone(), not_a_message()],
    ];
    for frames in &garbage {
        dealer.send_multipart(frames, 0).unwrap();
    }
    dealer
        .send_multipart([Vec::new(), id.clone(), valid(5)], 0)
        .unwrap();
    run_until_stopped(&mut node, "the valid request after the garbage");

    // Garbage with a readable envelope is answered with a `dripdrop.error` reply (so an
    // asker is never left waiting); the valid request gets its answer.
    let mut replies = Vec::new();
    loop {
        let reply = dealer.recv_multipart(0).expect("a reply");
        let last = Message::decode(reply.last().unwrap()).unwrap();
        let done = last.name() == "answer";
        replies.push((reply, last));
        if done {
            break;
        }
    }
    let (answer, answered) = replies.pop().unwrap();
    assert_eq!(answer.len(), 3, "{answer:?}");
    assert_eq!(answer[1], id);
    assert_eq!(answered, numbered("answer", 5));
    let error_names: Vec<&str> = replies.iter().map(|(_, m)| m.name()).collect();
    assert_eq!(error_names, ["dripdrop.error", "dripdrop.error"]);
    // The not-BERT request came without an id; the not-a-message one with its id.
    assert_eq!(replies[0].0.len(), 2);
    assert_eq!((replies[1].0.len(), &replies[1].0[1]), (3, &id));
    assert_eq!(
        node.get_route("server").unwrap().stats().decode_errors,
        garbage.len() as u64
    );
    let errors = errors.borrow();
    assert_eq!(errors.len(), garbage.len(), "{errors:?}");
    assert_all_receive_errors(&errors, "server");
}

#[test]
fn an_undecodable_reply_reaches_the_request_callback_as_an_error() {
    let mut node = Node::new().unwrap();
    let context = zmq::Context::new();
    let router = raw_socket(&context, zmq::ROUTER);
    router.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = router.get_last_endpoint().unwrap().unwrap();
    node.route("client", RouteKind::Xreq, &[&endpoint], Mode::Connect)
        .unwrap();
    let errors = collect_errors(&mut node);
    let server = std::thread::spawn(move || {
        // Request 1 gets garbage back, plus a reply for an id nobody asked for and one with
        // no delimiter; request 2 gets a proper reply.
        let first = router.recv_multipart(0).expect("request 1");
        let (identity, id) = (first[0].clone(), first[2].clone());
        router
            .send_multipart([identity.clone(), Vec::new(), id, b"garbage".to_vec()], 0)
            .unwrap();
        let second = router.recv_multipart(0).expect("request 2");
        let stray = 999_999u64.to_be_bytes().to_vec();
        router
            .send_multipart([identity.clone(), Vec::new(), stray, valid(0)], 0)
            .unwrap();
        router
            .send_multipart([identity.clone(), b"no delimiter".to_vec()], 0)
            .unwrap();
        let reply = numbered("answer", 2).encode().unwrap();
        router
            .send_multipart([identity, Vec::new(), second[2].clone(), reply], 0)
            .unwrap();
    });
    let outcomes: Rc<RefCell<Vec<Result<Message, Error>>>> = Rc::default();
    let sink = Rc::clone(&outcomes);
    node.send_request("client", &numbered("q", 1), move |node, result| {
        sink.borrow_mut().push(result);
        let sink = Rc::clone(&sink);
        node.send_request("client", &numbered("q", 2), move |node, result| {
            sink.borrow_mut().push(result);
            node.stop();
        })
        .unwrap();
    })
    .unwrap();
    run_until_stopped(&mut node, "both replies");
    server.join().unwrap();

    let outcomes = outcomes.borrow();
    assert_eq!(outcomes.len(), 2);
    match &outcomes[0] {
        Err(Error::Receive { route, .. }) => assert_eq!(route, "client"),
        other => panic!("request 1 should get a receive error, got {other:?}"),
    }
    assert_eq!(outcomes[1], Ok(numbered("answer", 2)));
    let stats = node.get_route("client").unwrap().stats();
    // The garbage reply and the one without a delimiter.
    assert_eq!(stats.decode_errors, 2);
    let errors = errors.borrow();
    assert_eq!(
        errors.len(),
        1,
        "the frame-count error is reported: {errors:?}"
    );
    assert_all_receive_errors(&errors, "client");
}

#[test]
fn a_rep_route_survives_a_garbage_request() {
    let mut node = Node::new().unwrap();
    let endpoint = bind_tcp(&mut node, "server", RouteKind::Rep);
    let errors = collect_errors(&mut node);
    node.on_request("server", |node, msg, response| {
        response
            .send_message(node, &numbered("answer", number(&msg)))
            .unwrap();
    })
    .unwrap();
    let handle = node.handle();
    let clients = std::thread::spawn(move || {
        let context = zmq::Context::new();
        let rogue = raw_socket(&context, zmq::REQ);
        rogue.connect(&endpoint).unwrap();
        rogue.send(&b"garbage"[..], 0).unwrap();
        // Wait (by asking the node) until the garbage has been read and counted.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let (tx, rx) = std::sync::mpsc::channel();
            handle
                .post(move |node| {
                    let stats = node.get_route("server").unwrap().stats();
                    let _ = tx.send(stats.decode_errors);
                })
                .unwrap();
            let counted = rx
                .recv_timeout(Duration::from_secs(10))
                .expect("the node answers");
            if counted >= 1 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the garbage was never read"
            );
        }
        // Whatever the rogue gets back (or not), an honest client must be served.
        let honest = raw_socket(&context, zmq::REQ);
        honest.set_rcvtimeo(2_000).unwrap();
        honest.connect(&endpoint).unwrap();
        honest.send(valid(3), 0).unwrap();
        let reply = honest.recv_bytes(0);
        handle.stop();
        reply
    });
    run_until_stopped(&mut node, "the honest client");
    let reply = clients.join().unwrap();
    let reply = reply.expect("the honest client is answered");
    assert_eq!(Message::decode(&reply).unwrap(), numbered("answer", 3));
    assert_eq!(node.get_route("server").unwrap().stats().decode_errors, 1);
    let errors = errors.borrow();
    assert!(
        matches!(errors.first(), Some(Error::Receive { route, .. }) if route == "server"),
        "{errors:?}"
    );
}
