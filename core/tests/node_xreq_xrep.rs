//! xreq (DEALER) / xrep (ROUTER) requests and replies: correlation by request id with several
//! requests in flight, replies to the right client, timeouts, the frames on the wire, and
//! plain ZeroMQ REQ and DEALER peers.

mod support;

use dripdrop::{Error, Message, Mode, Node, NodeOptions, Response, RouteKind, RouteOptions, Value};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};
use support::node::{
    bind_tcp, collect_errors, inproc, number, numbered, raw_socket, run_until_stopped,
};

/// Request number and what its callback got.
type Outcomes = Rc<RefCell<Vec<(i64, Result<Message, Error>)>>>;
/// Client name, request number, reply.
type ClientReply = (&'static str, i64, Message);
/// Request number, what its callback got, and when.
type TimedOutcome = (i64, Result<Message, Error>, Duration);

/// A node with an xrep route bound on tcp and an xreq route connected to it.
fn pair_of_routes(xreq_options: RouteOptions) -> Node {
    let mut node = Node::new().unwrap();
    let endpoint = bind_tcp(&mut node, "server", RouteKind::Xrep);
    node.route_with(
        "client",
        RouteKind::Xreq,
        &[&endpoint],
        Mode::Connect,
        xreq_options,
    )
    .unwrap();
    node
}

#[test]
fn replies_answered_out_of_order_reach_their_own_callbacks() {
    const N: i64 = 6;
    let mut node = pair_of_routes(RouteOptions::default());
    // The server holds every request until it has all of them, then answers newest first.
    let held: Rc<RefCell<Vec<(Message, Response)>>> = Rc::default();
    let store = Rc::clone(&held);
    node.on_request("server", move |node, msg, response| {
        store.borrow_mut().push((msg, response));
        if store.borrow().len() as i64 == N {
            let all: Vec<_> = store.borrow_mut().drain(..).collect();
            for (msg, response) in all.into_iter().rev() {
                let reply = numbered("reply", number(&msg) * 10)
                    .with_head_entry("request", msg.name().to_owned());
                response.send_message(node, &reply).unwrap();
            }
        }
    })
    .unwrap();

    let answered: Outcomes = Rc::default();
    for i in 0..N {
        let sink = Rc::clone(&answered);
        let request = numbered(&format!("question{i}"), i);
        node.send_request("client", &request, move |node, reply| {
            sink.borrow_mut().push((i, reply));
            if sink.borrow().len() as i64 == N {
                node.stop();
            }
        })
        .unwrap();
    }
    run_until_stopped(&mut node, "the replies");

    let answered = answered.borrow();
    let order: Vec<i64> = answered.iter().map(|(i, _)| *i).collect();
    assert_eq!(
        order,
        (0..N).rev().collect::<Vec<_>>(),
        "answered newest first"
    );
    for (i, reply) in answered.iter() {
        let reply = reply.as_ref().expect("a reply, not an error");
        assert_eq!(reply.name(), "reply");
        assert_eq!(number(reply), i * 10, "request {i} got another's reply");
        assert_eq!(
            reply.head_get("request").and_then(Value::as_str),
            Some(format!("question{i}").as_str())
        );
    }
    let client = node.get_route("client").unwrap().stats();
    let server = node.get_route("server").unwrap().stats();
    assert_eq!(
        (client.messages_out, client.messages_in),
        (N as u64, N as u64)
    );
    assert_eq!(
        (server.messages_in, server.messages_out),
        (N as u64, N as u64)
    );
    assert_eq!(client.timeouts, 0);
}

#[test]
fn each_client_gets_its_own_replies() {
    const EACH: i64 = 20;
    let mut node = Node::new().unwrap();
    let address = inproc("two-clients");
    node.route("server", RouteKind::Xrep, &[&address], Mode::Bind)
        .unwrap();
    for client in ["a", "b"] {
        node.route(client, RouteKind::Xreq, &[&address], Mode::Connect)
            .unwrap();
    }
    node.on_request("server", |node, msg, response| {
        let reply = msg.clone().with_head_entry("answered", true);
        response.send_message(node, &reply).unwrap();
    })
    .unwrap();

    let replies: Rc<RefCell<Vec<ClientReply>>> = Rc::default();
    for i in 0..EACH {
        for client in ["a", "b"] {
            let sink = Rc::clone(&replies);
            let msg = numbered(client, i);
            node.send_request(client, &msg, move |node, reply| {
                sink.borrow_mut().push((client, i, reply.unwrap()));
                if sink.borrow().len() as i64 == 2 * EACH {
                    node.stop();
                }
            })
            .unwrap();
        }
    }
    run_until_stopped(&mut node, "both clients' replies");
    for (client, i, reply) in replies.borrow().iter() {
        assert_eq!(reply.name(), *client, "client {client} got {reply:?}");
        assert_eq!(number(reply), *i);
        assert_eq!(reply.head_get("answered"), Some(&Value::Bool(true)));
    }
}

#[test]
fn a_timeout_ends_the_wait_and_the_late_reply_is_ignored() {
    let timeout = Duration::from_millis(100);
    let mut node = pair_of_routes(RouteOptions {
        request_timeout: Some(timeout),
        ..Default::default()
    });
    let errors = collect_errors(&mut node);
    // The server holds request 1 and answers everything else at once.
    let held: Rc<RefCell<Option<Response>>> = Rc::default();
    let store = Rc::clone(&held);
    node.on_request("server", move |node, msg, response| {
        if number(&msg) == 1 {
            *store.borrow_mut() = Some(response);
        } else {
            response
                .send_message(node, &numbered("reply", number(&msg)))
                .unwrap();
        }
    })
    .unwrap();

    let outcomes: Rc<RefCell<Vec<TimedOutcome>>> = Rc::default();
    let started = Instant::now();
    let sink = Rc::clone(&outcomes);
    node.send_request("client", &numbered("q", 1), move |node, result| {
        sink.borrow_mut().push((1, result, started.elapsed()));
        // Now the late reply to 1 goes out, and request 2 follows it.
        let late = held
            .borrow_mut()
            .take()
            .expect("the server holds request 1");
        late.send_message(node, &numbered("reply", 1)).unwrap();
        let sink2 = Rc::clone(&sink);
        node.send_request("client", &numbered("q", 2), move |node, result| {
            sink2.borrow_mut().push((2, result, started.elapsed()));
            // Let the late reply (sent before reply 2) be read before stopping.
            node.next_tick(|node| node.stop());
        })
        .unwrap();
    })
    .unwrap();
    run_until_stopped(&mut node, "the timeout and the second reply");

    let outcomes = outcomes.borrow();
    assert_eq!(outcomes.len(), 2, "each callback runs once: {outcomes:?}");
    let (first, result, elapsed) = &outcomes[0];
    assert_eq!(*first, 1);
    assert_eq!(
        result,
        &Err(Error::Timeout {
            route: "client".into(),
            timeout_ms: 100
        })
    );
    assert!(*elapsed >= timeout, "timed out after {elapsed:?}");
    let (second, result, _) = &outcomes[1];
    assert_eq!(*second, 2);
    let reply = result.as_ref().expect("request 2 is answered");
    assert_eq!(
        number(reply),
        2,
        "request 2 must not get the late reply to 1"
    );

    let stats = node.get_route("client").unwrap().stats();
    assert_eq!(stats.timeouts, 1);
    assert_eq!(stats.messages_in, 2, "the late reply did arrive");
    assert_eq!(
        support::node::route_stat(&node, "client", "timeouts"),
        1,
        "node.stats() counts the timeout too"
    );
    assert!(errors.borrow().is_empty(), "{:?}", errors.borrow());
}

#[test]
fn a_timeout_fires_even_when_the_request_never_left_the_queue() {
    // No peer at all: the request waits in the send queue, and its wait still ends. (It
    // stays queued after its timeout, so stop lingers: keep that short.)
    let mut node = Node::with_options(NodeOptions {
        stop_linger: Duration::from_millis(20),
        ..Default::default()
    })
    .unwrap();
    node.route_with(
        "client",
        RouteKind::Xreq,
        &[&inproc("nobody-there")],
        Mode::Bind,
        RouteOptions {
            request_timeout: Some(Duration::from_millis(20)),
            ..Default::default()
        },
    )
    .unwrap();
    let outcome: Rc<RefCell<Option<Result<Message, Error>>>> = Rc::default();
    let sink = Rc::clone(&outcome);
    node.send_request("client", &numbered("q", 1), move |node, result| {
        *sink.borrow_mut() = Some(result);
        node.stop();
    })
    .unwrap();
    run_until_stopped(&mut node, "the timeout");
    assert!(matches!(
        outcome.borrow().as_ref(),
        Some(Err(Error::Timeout { .. }))
    ));
}

#[test]
fn a_plain_zmq_req_socket_is_served_by_an_xrep_route() {
    let mut node = Node::new().unwrap();
    let endpoint = bind_tcp(&mut node, "server", RouteKind::Xrep);
    node.on_request("server", |node, msg, response| {
        let reply = numbered("answer", number(&msg) + 100);
        response.send_message(node, &reply).unwrap();
    })
    .unwrap();
    let handle = node.handle();
    let client = std::thread::spawn(move || {
        let context = zmq::Context::new();
        let req = raw_socket(&context, zmq::REQ);
        req.connect(&endpoint).unwrap();
        let mut replies = Vec::new();
        for i in 0..3 {
            req.send(numbered("ask", i).encode().unwrap(), 0).unwrap();
            let frames = req.recv_multipart(0);
            replies.push(frames);
        }
        handle.stop();
        replies
    });
    run_until_stopped(&mut node, "the REQ client");
    let replies = client.join().unwrap();
    for (i, frames) in replies.into_iter().enumerate() {
        let frames = frames.unwrap_or_else(|e| panic!("reply {i}: {e}"));
        assert_eq!(frames.len(), 1, "a REQ sees the reply alone: {frames:?}");
        let reply = Message::decode(&frames[0]).unwrap();
        assert_eq!(reply.name(), "answer");
        assert_eq!(number(&reply), i as i64 + 100);
    }
}

#[test]
fn xreq_frames_are_delimiter_request_id_message() {
    let mut node = Node::new().unwrap();
    let context = zmq::Context::new();
    let router = raw_socket(&context, zmq::ROUTER);
    router.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = router.get_last_endpoint().unwrap().unwrap();
    node.route("client", RouteKind::Xreq, &[&endpoint], Mode::Connect)
        .unwrap();
    let server = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..2 {
            let mut frames = router.recv_multipart(0).expect("a request");
            seen.push(frames.clone());
            // Answer as an xrep would: identity, "", id, reply.
            let request = Message::decode(frames.last().unwrap()).unwrap();
            let reply = numbered("reply", number(&request) * 2).encode().unwrap();
            *frames.last_mut().unwrap() = reply;
            router.send_multipart(frames, 0).unwrap();
        }
        seen
    });
    let replies: Rc<RefCell<Vec<i64>>> = Rc::default();
    for i in [7, 8] {
        let sink = Rc::clone(&replies);
        node.send_request("client", &numbered("q", i), move |node, reply| {
            sink.borrow_mut().push(number(&reply.unwrap()));
            if sink.borrow().len() == 2 {
                node.stop();
            }
        })
        .unwrap();
    }
    run_until_stopped(&mut node, "the raw router's replies");
    let seen = server.join().unwrap();
    assert_eq!(*replies.borrow(), vec![14, 16]);
    let mut ids = Vec::new();
    for (frames, i) in seen.iter().zip([7, 8]) {
        assert_eq!(
            frames.len(),
            4,
            "identity, delimiter, id, message: {frames:?}"
        );
        assert!(frames[1].is_empty(), "the delimiter");
        assert_eq!(frames[2].len(), 8, "an 8-byte request id");
        ids.push(u64::from_be_bytes(frames[2].as_slice().try_into().unwrap()));
        assert_eq!(Message::decode(&frames[3]).unwrap(), numbered("q", i));
    }
    assert_ne!(ids[0], ids[1], "each request has its own id");
}

#[test]
fn xrep_answers_a_raw_dealer_with_identity_delimiter_id_reply() {
    let mut node = Node::new().unwrap();
    let endpoint = bind_tcp(&mut node, "server", RouteKind::Xrep);
    node.on_request("server", |node, msg, response| {
        response
            .send_message(node, &numbered("pong", number(&msg)))
            .unwrap();
        node.stop();
    })
    .unwrap();
    let context = zmq::Context::new();
    let dealer = raw_socket(&context, zmq::DEALER);
    dealer.set_identity(b"dealer-1").unwrap();
    dealer.connect(&endpoint).unwrap();
    let id = 0xdead_beef_u64.to_be_bytes().to_vec();
    let request = numbered("ping", 5).encode().unwrap();
    dealer
        .send_multipart([Vec::new(), id.clone(), request], 0)
        .unwrap();
    run_until_stopped(&mut node, "the raw dealer's request");
    let frames = dealer.recv_multipart(0).expect("the reply");
    assert_eq!(frames.len(), 3, "{frames:?}");
    assert!(frames[0].is_empty());
    assert_eq!(frames[1], id, "the request id comes back unchanged");
    assert_eq!(Message::decode(&frames[2]).unwrap(), numbered("pong", 5));
}

/// A handler that drops its `Response` (or panics) does not leave the asker waiting: the
/// asker's callback gets `Error::Remote` from the `dripdrop.error` reply.
#[test]
fn an_unanswered_request_comes_back_as_a_remote_error() {
    let mut node = pair_of_routes(RouteOptions::default());
    node.on_request("server", |_node, msg, response| {
        if msg.name() == "panic" {
            panic!("handler failed");
        }
        drop(response);
    })
    .unwrap();
    let errors = collect_errors(&mut node);
    let outcomes: Rc<RefCell<Vec<Result<Message, Error>>>> = Rc::default();
    for name in ["drop", "panic"] {
        let sink = Rc::clone(&outcomes);
        node.send_request(
            "client",
            &Message::new(name).unwrap(),
            move |node, reply| {
                sink.borrow_mut().push(reply);
                if sink.borrow().len() == 2 {
                    node.stop();
                }
            },
        )
        .unwrap();
    }
    run_until_stopped(&mut node, "both error replies");
    let outcomes = outcomes.borrow();
    for outcome in outcomes.iter() {
        match outcome {
            Err(Error::Remote { class, message, .. }) => {
                assert_eq!(class, "Unanswered");
                assert!(message.contains("without answering"), "{message}");
            }
            other => panic!("expected a remote error, got {other:?}"),
        }
    }
    assert_eq!(outcomes.len(), 2);
    // The panic itself still reaches on_error on the serving side.
    assert!(errors
        .borrow()
        .iter()
        .any(|e| matches!(e, Error::Callback { message, .. } if message == "handler failed")));
}
