//! Push/pull end to end: order, message content, several addresses and transports on one
//! route, either side binding, and messages nobody handles.

mod support;

use dripdrop::{Message, Mode, Node, RouteKind, Value};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use support::node::{bind_tcp, inproc, ipc, number, numbered, route_stat, run_until_stopped};

#[test]
fn messages_arrive_whole_and_in_order_over_tcp() {
    const N: i64 = 200;
    let mut node = Node::new().unwrap();
    let endpoint = bind_tcp(&mut node, "in", RouteKind::Pull);
    assert!(endpoint.starts_with("tcp://127.0.0.1:"), "{endpoint}");
    assert!(
        !endpoint.ends_with(":*"),
        "the bound port is reported: {endpoint}"
    );
    node.route("out", RouteKind::Push, &[&endpoint], Mode::Connect)
        .unwrap();

    let got = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&got);
    node.on_receive("in", move |node, msg| {
        sink.borrow_mut().push(msg);
        if sink.borrow().len() as i64 == N {
            node.stop();
        }
    })
    .unwrap();
    for i in 0..N {
        let msg = numbered("job", i)
            .with_head_entry("seq", Value::Int(i))
            .with_head_entry("from", "pusher");
        node.send_message("out", &msg).unwrap();
    }
    run_until_stopped(&mut node, "the pushed messages");

    let got = got.borrow();
    assert_eq!(got.len() as i64, N);
    for (i, msg) in got.iter().enumerate() {
        let expected = numbered("job", i as i64)
            .with_head_entry("seq", Value::Int(i as i64))
            .with_head_entry("from", "pusher");
        assert_eq!(msg, &expected, "message {i}");
    }
}

#[test]
fn one_pull_route_binds_tcp_ipc_and_inproc_at_once() {
    const EACH: i64 = 20;
    let mut node = Node::new().unwrap();
    let addresses = ["tcp://127.0.0.1:*".to_owned(), ipc("pull"), inproc("pull")];
    let refs: Vec<&str> = addresses.iter().map(String::as_str).collect();
    let endpoints = node
        .route("in", RouteKind::Pull, &refs, Mode::Bind)
        .unwrap()
        .endpoints()
        .to_vec();
    assert_eq!(endpoints.len(), 3);
    assert!(endpoints[0].starts_with("tcp://127.0.0.1:") && !endpoints[0].ends_with('*'));
    assert!(endpoints[1].starts_with("ipc://"), "{endpoints:?}");
    assert_eq!(endpoints[2], addresses[2]);

    let names = ["via_tcp", "via_ipc", "via_inproc"];
    for (name, endpoint) in names.iter().zip(&endpoints) {
        node.route(name, RouteKind::Push, &[endpoint], Mode::Connect)
            .unwrap();
    }
    let got: Rc<RefCell<Vec<(String, i64)>>> = Rc::default();
    let sink = Rc::clone(&got);
    node.on_receive("in", move |node, msg| {
        sink.borrow_mut()
            .push((msg.name().to_owned(), number(&msg)));
        if sink.borrow().len() as i64 == 3 * EACH {
            node.stop();
        }
    })
    .unwrap();
    for i in 0..EACH {
        for name in names {
            node.send_message(name, &numbered(name, i)).unwrap();
        }
    }
    run_until_stopped(&mut node, "messages over three transports");

    let got = got.borrow();
    for name in names {
        let seen: Vec<i64> = got
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, i)| *i)
            .collect();
        assert_eq!(seen, (0..EACH).collect::<Vec<_>>(), "messages {name}");
    }
    if let Some(path) = endpoints[1].strip_prefix("ipc://") {
        let _ = std::fs::remove_file(path);
    }
}

#[test]
fn push_may_bind_and_pull_connect_across_two_nodes() {
    const N: i64 = 50;
    let mut sender = Node::new().unwrap();
    let endpoint = bind_tcp(&mut sender, "out", RouteKind::Push);
    let sender_handle = sender.handle();

    // The receiving node runs on its own thread, as a separate process would.
    let receiver = std::thread::spawn(move || {
        let mut node = Node::new().unwrap();
        node.route(
            "in",
            RouteKind::from_name("zmq_pull").unwrap(),
            &[&endpoint],
            Mode::Connect,
        )
        .unwrap();
        let got = Rc::new(RefCell::new(Vec::new()));
        let sink = Rc::clone(&got);
        node.on_receive("in", move |node, msg| {
            sink.borrow_mut().push(number(&msg));
            if sink.borrow().len() as i64 == N {
                node.stop();
            }
        })
        .unwrap();
        let stopped = support::node::run_bounded(&mut node);
        sender_handle.stop();
        let got = got.borrow().clone();
        (stopped, got)
    });

    for i in 0..N {
        sender
            .send_message("out", &Message::new("n").unwrap().with_body(i))
            .unwrap();
    }
    run_until_stopped(&mut sender, "the receiver to finish");
    let (stopped, got) = receiver.join().unwrap();
    assert!(stopped, "the receiver timed out with {got:?}");
    assert_eq!(got, (0..N).collect::<Vec<_>>());
    assert_eq!(
        sender.get_route("out").unwrap().stats().messages_out,
        N as u64
    );
}

#[test]
fn messages_for_a_route_without_a_handler_are_counted_as_dropped() {
    let mut node = Node::new().unwrap();
    let endpoint = bind_tcp(&mut node, "in", RouteKind::Pull);
    node.route("out", RouteKind::Push, &[&endpoint], Mode::Connect)
        .unwrap();
    for i in 0..3 {
        let msg = Message::new("unwanted").unwrap().with_body(Value::Int(i));
        node.send_message("out", &msg).unwrap();
    }
    node.every(Duration::from_millis(5), |node| {
        if route_stat(node, "in", "messages_in") == 3 {
            node.stop();
        }
    });
    run_until_stopped(&mut node, "three unhandled messages");
    assert_eq!(route_stat(&node, "in", "dropped"), 3);
}
