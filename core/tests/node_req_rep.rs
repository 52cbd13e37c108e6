//! req (REQ) / rep (REP) routes: one request at a time in lockstep, queued requests, late
//! answers, timeouts, and mixing them with xreq and xrep.

mod support;

use dripdrop::{Error, Message, Mode, Node, Response, RouteKind, RouteOptions};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use support::node::{bind_tcp, collect_errors, inproc, number, numbered, run_until_stopped};

type Replies = Rc<RefCell<Vec<(i64, Result<Message, Error>)>>>;

/// Sends requests `numbers` on `route`, recording each outcome; stops after `stop_after`.
fn ask(node: &mut Node, route: &str, numbers: std::ops::Range<i64>, stop_after: usize) -> Replies {
    let replies: Replies = Rc::default();
    for i in numbers {
        let sink = Rc::clone(&replies);
        node.send_request(route, &numbered("q", i), move |node, reply| {
            sink.borrow_mut().push((i, reply));
            if sink.borrow().len() == stop_after {
                node.stop();
            }
        })
        .unwrap();
    }
    replies
}

fn doubling_server(node: &mut Node, route: &str) {
    node.on_request(route, |node, msg, response| {
        let reply = numbered("a", number(&msg) * 2);
        response.send_message(node, &reply).unwrap();
    })
    .unwrap();
}

fn assert_doubled(replies: &Replies, count: i64) {
    let replies = replies.borrow();
    let got: Vec<(i64, i64)> = replies
        .iter()
        .map(|(i, r)| (*i, number(r.as_ref().expect("a reply"))))
        .collect();
    let expected: Vec<(i64, i64)> = (0..count).map(|i| (i, i * 2)).collect();
    assert_eq!(got, expected);
}

#[test]
fn queued_requests_go_one_at_a_time_and_replies_come_in_order() {
    const N: i64 = 10;
    let mut node = Node::new().unwrap();
    let endpoint = bind_tcp(&mut node, "server", RouteKind::Rep);
    node.route("client", RouteKind::Req, &[&endpoint], Mode::Connect)
        .unwrap();
    doubling_server(&mut node, "server");
    let replies = ask(&mut node, "client", 0..N, N as usize);
    // All but the first wait in the route's queue: REQ sends one at a time.
    assert!(node.get_route("client").unwrap().stats().queue_depth >= N as u64 - 1);
    run_until_stopped(&mut node, "the replies");
    assert_doubled(&replies, N);
    let client = node.get_route("client").unwrap().stats();
    assert_eq!(client.queue_depth, 0);
    assert_eq!(
        (client.messages_out, client.messages_in),
        (N as u64, N as u64)
    );
}

#[test]
fn rep_reads_no_further_request_until_it_answered_the_last() {
    const N: i64 = 5;
    let mut node = Node::new().unwrap();
    let address = inproc("rep-late");
    node.route("server", RouteKind::Rep, &[&address], Mode::Bind)
        .unwrap();
    // An xreq client puts all its requests on the wire at once.
    node.route("client", RouteKind::Xreq, &[&address], Mode::Connect)
        .unwrap();
    let held: Rc<RefCell<Option<(Message, Response)>>> = Rc::default();
    let overlapped = Rc::new(RefCell::new(false));
    let (store, overlap) = (Rc::clone(&held), Rc::clone(&overlapped));
    node.on_request("server", move |node, msg, response| {
        if store.borrow().is_some() {
            *overlap.borrow_mut() = true;
        }
        *store.borrow_mut() = Some((msg, response));
        // Answer a little later, from a timer.
        let store = Rc::clone(&store);
        node.after(Duration::from_millis(5), move |node| {
            let (msg, response) = store.borrow_mut().take().expect("held");
            let reply = numbered("a", number(&msg) * 2);
            response.send_message(node, &reply).unwrap();
        });
    })
    .unwrap();
    let replies = ask(&mut node, "client", 0..N, N as usize);
    run_until_stopped(&mut node, "the late answers");
    assert!(
        !*overlapped.borrow(),
        "a second request reached the handler before the first was answered"
    );
    // Replies come back to the xreq client through the REP by request id.
    assert_doubled(&replies, N);
}

#[test]
fn a_req_route_is_served_by_an_xrep_route() {
    const N: i64 = 4;
    let mut node = Node::new().unwrap();
    let address = inproc("req-xrep");
    node.route("server", RouteKind::Xrep, &[&address], Mode::Bind)
        .unwrap();
    node.route("client", RouteKind::Req, &[&address], Mode::Connect)
        .unwrap();
    doubling_server(&mut node, "server");
    let replies = ask(&mut node, "client", 0..N, N as usize);
    run_until_stopped(&mut node, "the replies");
    assert_doubled(&replies, N);
}

#[test]
fn a_plain_zmq_rep_socket_answers_a_req_route() {
    const N: i64 = 3;
    let mut node = Node::new().unwrap();
    let context = zmq::Context::new();
    let rep = support::node::raw_socket(&context, zmq::REP);
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = rep.get_last_endpoint().unwrap().unwrap();
    node.route("client", RouteKind::Req, &[&endpoint], Mode::Connect)
        .unwrap();
    let server = std::thread::spawn(move || {
        for _ in 0..N {
            let frames = rep.recv_multipart(0).expect("a request");
            assert_eq!(frames.len(), 1, "{frames:?}");
            let msg = Message::decode(&frames[0]).unwrap();
            let reply = numbered("a", number(&msg) * 2).encode().unwrap();
            rep.send(reply, 0).unwrap();
        }
    });
    let replies = ask(&mut node, "client", 0..N, N as usize);
    run_until_stopped(&mut node, "the raw REP's replies");
    server.join().unwrap();
    assert_doubled(&replies, N);
}

#[test]
fn a_req_timeout_lets_the_next_request_go_and_drops_the_late_reply() {
    let mut node = Node::new().unwrap();
    let address = inproc("req-timeout");
    node.route("server", RouteKind::Rep, &[&address], Mode::Bind)
        .unwrap();
    node.route_with(
        "client",
        RouteKind::Req,
        &[&address],
        Mode::Connect,
        RouteOptions {
            request_timeout: Some(Duration::from_millis(50)),
            ..Default::default()
        },
    )
    .unwrap();
    let errors = collect_errors(&mut node);
    let held: Rc<RefCell<Option<Response>>> = Rc::default();
    let store = Rc::clone(&held);
    node.on_request("server", move |node, msg, response| {
        if number(&msg) == 1 {
            *store.borrow_mut() = Some(response);
        } else {
            let reply = numbered("a", number(&msg) * 2);
            response.send_message(node, &reply).unwrap();
        }
    })
    .unwrap();
    let outcomes: Replies = Rc::default();
    let sink = Rc::clone(&outcomes);
    node.send_request("client", &numbered("q", 1), move |node, result| {
        sink.borrow_mut().push((1, result));
        let late = held.borrow_mut().take().expect("request 1 is held");
        late.send_message(node, &numbered("a", 1000)).unwrap();
        let sink = Rc::clone(&sink);
        node.send_request("client", &numbered("q", 2), move |node, result| {
            sink.borrow_mut().push((2, result));
            node.stop();
        })
        .unwrap();
    })
    .unwrap();
    run_until_stopped(&mut node, "the timeout and the next reply");
    let outcomes = outcomes.borrow();
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    assert!(matches!(outcomes[0], (1, Err(Error::Timeout { .. }))));
    let (second, reply) = &outcomes[1];
    assert_eq!(*second, 2);
    assert_eq!(
        number(reply.as_ref().expect("a reply")),
        4,
        "not the late reply"
    );
    assert_eq!(node.get_route("client").unwrap().stats().timeouts, 1);
    // The late reply is dropped quietly: nothing about it reaches on_error. (The spurious
    // receive error of a REQ with nothing in flight is the subject of its own test below.)
    let errors = errors.borrow();
    assert!(
        errors.iter().all(|e| !matches!(
            e,
            Error::Timeout { .. } | Error::Receive { .. } | Error::Callback { .. }
        )),
        "{errors:?}"
    );
}

#[test]
fn a_req_route_reports_no_error_after_its_last_reply() {
    let mut node = Node::new().unwrap();
    let address = inproc("req-quiet");
    node.route("server", RouteKind::Rep, &[&address], Mode::Bind)
        .unwrap();
    node.route("client", RouteKind::Req, &[&address], Mode::Connect)
        .unwrap();
    doubling_server(&mut node, "server");
    let errors = collect_errors(&mut node);
    let replies = ask(&mut node, "client", 0..2, 2);
    run_until_stopped(&mut node, "the replies");
    assert_doubled(&replies, 2);
    assert!(
        errors.borrow().is_empty(),
        "a REQ with no request in flight must not be read: {:?}",
        errors.borrow()
    );
}

#[test]
fn a_rep_handler_that_panics_does_not_wedge_the_route() {
    let mut node = Node::new().unwrap();
    let address = inproc("rep-panic");
    node.route("server", RouteKind::Rep, &[&address], Mode::Bind)
        .unwrap();
    node.route_with(
        "client",
        RouteKind::Req,
        &[&address],
        Mode::Connect,
        RouteOptions {
            request_timeout: Some(Duration::from_millis(100)),
            ..Default::default()
        },
    )
    .unwrap();
    let errors = collect_errors(&mut node);
    node.on_request("server", |node, msg, response| {
        if number(&msg) == 1 {
            panic!("handler fails on request 1");
        }
        let reply = numbered("a", number(&msg) * 2);
        response.send_message(node, &reply).unwrap();
    })
    .unwrap();
    let outcomes: Replies = Rc::default();
    let sink = Rc::clone(&outcomes);
    node.send_request("client", &numbered("q", 1), move |node, result| {
        sink.borrow_mut().push((1, result));
        let sink = Rc::clone(&sink);
        node.send_request("client", &numbered("q", 2), move |node, result| {
            sink.borrow_mut().push((2, result));
            node.stop();
        })
        .unwrap();
    })
    .unwrap();
    run_until_stopped(&mut node, "the answer to request 2");
    let outcomes = outcomes.borrow();
    assert!(
        errors.borrow().iter().any(|e| matches!(
            e,
            Error::Callback { message, .. } if message.contains("handler fails on request 1")
        )),
        "the panic is reported: {:?}",
        errors.borrow()
    );
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    let (second, reply) = &outcomes[1];
    assert_eq!(*second, 2);
    assert_eq!(
        number(reply.as_ref().expect("the rep route serves request 2")),
        4
    );
}
