//! Errors: a panicking handler goes to `on_error` and the loop keeps serving; misuse of a
//! route gives typed errors (WrongKind, NoSuchRoute, DuplicateRoute, Zmq, InvalidArgument);
//! and the stats count messages and bytes both ways.

mod support;

use dripdrop::{Error, Message, Mode, Node, RouteKind, Value};
use std::cell::RefCell;
use std::rc::Rc;
use support::node::{
    bind_tcp, collect_errors, inproc, node_stat, number, numbered, route_stat, run_until_stopped,
};

#[test]
fn a_panicking_handler_is_reported_and_the_route_keeps_serving() {
    let mut node = Node::new().unwrap();
    let address = inproc("panics");
    node.route("in", RouteKind::Pull, &[&address], Mode::Bind)
        .unwrap();
    node.route("out", RouteKind::Push, &[&address], Mode::Connect)
        .unwrap();
    let errors = collect_errors(&mut node);
    let handled = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&handled);
    node.on_receive("in", move |node, msg| {
        let n = number(&msg);
        if n == 2 {
            panic!("cannot handle message {n}");
        }
        sink.borrow_mut().push(n);
        if n == 5 {
            node.stop();
        }
    })
    .unwrap();
    for i in 0..6 {
        node.send_message("out", &numbered("n", i)).unwrap();
    }
    run_until_stopped(&mut node, "the messages after the panic");
    assert_eq!(*handled.borrow(), vec![0, 1, 3, 4, 5]);
    let errors = errors.borrow();
    assert_eq!(errors.len(), 1, "{errors:?}");
    match &errors[0] {
        Error::Callback { context, message } => {
            assert!(
                context.contains("in"),
                "the context names the route: {context}"
            );
            assert!(message.contains("cannot handle message 2"), "{message}");
        }
        other => panic!("expected a callback error, got {other:?}"),
    }
    assert_eq!(node_stat(&node, "errors"), 1);
}

#[test]
fn a_panicking_error_handler_does_not_stop_the_loop() {
    let mut node = Node::new().unwrap();
    let calls = Rc::new(RefCell::new(0));
    let count = Rc::clone(&calls);
    node.on_error(move |_, _| {
        *count.borrow_mut() += 1;
        panic!("the error handler fails too");
    });
    node.next_tick(|_| panic!("first"));
    node.after(std::time::Duration::from_millis(5), |_| panic!("second"));
    node.after(std::time::Duration::from_millis(10), |node| node.stop());
    run_until_stopped(&mut node, "the stop timer");
    assert_eq!(
        *calls.borrow(),
        2,
        "the handler stays installed after panicking"
    );
}

#[test]
fn report_error_goes_to_on_error() {
    let mut node = Node::new().unwrap();
    let errors = collect_errors(&mut node);
    node.report_error(Error::InvalidArgument("from a skin".into()));
    assert_eq!(
        *errors.borrow(),
        vec![Error::InvalidArgument("from a skin".into())]
    );
    assert_eq!(node_stat(&node, "errors"), 1);
}

#[test]
fn using_a_route_against_its_kind_is_a_wrong_kind_error() {
    let mut node = Node::new().unwrap();
    for (name, kind) in [
        ("pull", RouteKind::Pull),
        ("push", RouteKind::Push),
        ("sub", RouteKind::Subscribe),
        ("publish", RouteKind::Publish),
        ("xrep", RouteKind::Xrep),
        ("xreq", RouteKind::Xreq),
        ("rep", RouteKind::Rep),
    ] {
        node.route(name, kind, &[&inproc(name)], Mode::Bind)
            .unwrap();
    }
    let msg = Message::new("m").unwrap();
    match node.send_message("pull", &msg) {
        Err(Error::WrongKind { route, kind, .. }) => {
            assert_eq!((route.as_str(), kind), ("pull", "zmq_pull"));
        }
        other => panic!("send on pull: {other:?}"),
    }
    let wrong = |what: &str, result: Result<(), Error>| {
        assert!(
            matches!(result, Err(Error::WrongKind { .. })),
            "{what}: {result:?}"
        );
    };
    wrong("send on sub", node.send_message("sub", &msg));
    wrong("send on xrep", node.send_message("xrep", &msg));
    wrong("send on rep", node.send_message("rep", &msg));
    wrong(
        "request on push",
        node.send_request("push", &msg, |_, _| {}),
    );
    wrong(
        "request on pull",
        node.send_request("pull", &msg, |_, _| {}),
    );
    wrong("receive on push", node.on_receive("push", |_, _| {}));
    wrong("receive on publish", node.on_receive("publish", |_, _| {}));
    wrong("receive on xrep", node.on_receive("xrep", |_, _| {}));
    wrong("receive on xreq", node.on_receive("xreq", |_, _| {}));
    wrong(
        "request handler on pull",
        node.on_request("pull", |_, _, _| {}),
    );
    wrong(
        "request handler on xreq",
        node.on_request("xreq", |_, _, _| {}),
    );
    // And the right uses work.
    node.on_receive("pull", |_, _| {}).unwrap();
    node.on_receive("sub", |_, _| {}).unwrap();
    node.on_request("xrep", |_, _, _| {}).unwrap();
    node.on_request("rep", |_, _, _| {}).unwrap();
    node.send_message("publish", &msg).unwrap();
}

#[test]
fn an_unknown_route_is_no_such_route() {
    let mut node = Node::new().unwrap();
    let msg = Message::new("m").unwrap();
    let missing = |result: Result<(), Error>| {
        assert_eq!(result, Err(Error::NoSuchRoute("ghost".into())));
    };
    missing(node.send_message("ghost", &msg));
    missing(node.send_request("ghost", &msg, |_, _| {}));
    missing(node.send_frames("ghost", vec![]));
    missing(node.on_receive("ghost", |_, _| {}));
    missing(node.on_request("ghost", |_, _, _| {}));
    missing(node.on_frames("ghost", |_, _| {}));
    assert!(matches!(node.get_route("ghost"), Err(Error::NoSuchRoute(n)) if n == "ghost"));
}

#[test]
fn a_second_route_of_the_same_name_is_refused() {
    let mut node = Node::new().unwrap();
    let first = inproc("dup");
    node.route("dup", RouteKind::Pull, &[&first], Mode::Bind)
        .unwrap();
    let again = node
        .route("dup", RouteKind::Push, &[&inproc("dup2")], Mode::Bind)
        .map(|_| ());
    assert_eq!(again, Err(Error::DuplicateRoute("dup".into())));
    let kept = node.get_route("dup").unwrap();
    assert_eq!(
        (kept.kind(), kept.endpoint()),
        (RouteKind::Pull, first.as_str())
    );
    assert_eq!(node.routes().count(), 1);
}

#[test]
fn bad_addresses_are_zmq_errors_and_leave_the_name_free() {
    let mut node = Node::new().unwrap();
    let bad = node
        .route("r", RouteKind::Pull, &["nonsense://here"], Mode::Bind)
        .map(|_| ());
    assert!(matches!(bad, Err(Error::Zmq { .. })), "{bad:?}");
    let bad = node
        .route(
            "r",
            RouteKind::Pull,
            &["tcp://127.0.0.1:notaport"],
            Mode::Bind,
        )
        .map(|_| ());
    assert!(matches!(bad, Err(Error::Zmq { .. })), "{bad:?}");
    let endpoint = bind_tcp(&mut node, "r", RouteKind::Pull);
    // The same port twice is taken.
    let taken = node
        .route("r2", RouteKind::Pull, &[&endpoint], Mode::Bind)
        .map(|_| ());
    match taken {
        Err(Error::Zmq { context, .. }) => assert!(context.contains("r2"), "{context}"),
        other => panic!("binding a taken port: {other:?}"),
    }
    // A failure on the second address fails the route as a whole.
    let half = node
        .route(
            "r3",
            RouteKind::Pull,
            &[&inproc("half"), "nonsense://x"],
            Mode::Bind,
        )
        .map(|_| ());
    assert!(matches!(half, Err(Error::Zmq { .. })), "{half:?}");
    assert!(node.get_route("r3").is_err());
    assert_eq!(node.routes().count(), 1);
}

#[test]
fn bad_arguments_are_invalid_argument_errors() {
    let mut node = Node::new().unwrap();
    let none = node
        .route("r", RouteKind::Pull, &[], Mode::Bind)
        .map(|_| ());
    assert!(matches!(none, Err(Error::InvalidArgument(_))), "{none:?}");
    assert!(matches!(
        RouteKind::from_name("zmq_nope"),
        Err(Error::InvalidArgument(_))
    ));
    for kind in RouteKind::ALL {
        assert_eq!(RouteKind::from_name(kind.name()), Ok(kind));
        if let Some(bare) = kind.name().strip_prefix("zmq_") {
            assert_eq!(RouteKind::from_name(bare), Ok(kind));
        }
    }
    assert_eq!(
        RouteKind::from_name("websocket"),
        Ok(RouteKind::WebSocketServer)
    );
    assert!(matches!(
        Mode::from_name("sideways"),
        Err(Error::InvalidArgument(_))
    ));
    assert_eq!(Mode::from_name("connect"), Ok(Mode::Connect));
}

#[test]
fn an_unencodable_message_is_refused_and_nothing_is_sent() {
    let mut node = Node::new().unwrap();
    node.route("out", RouteKind::Push, &[&inproc("nan")], Mode::Bind)
        .unwrap();
    let bad = numbered("n", 1).with_body(Value::Float(f64::NAN));
    let result = node.send_message("out", &bad);
    assert!(matches!(result, Err(Error::Encode(_))), "{result:?}");
    let stats = node.get_route("out").unwrap().stats();
    assert_eq!((stats.messages_out, stats.queue_depth), (0, 0));
}

#[test]
fn stats_count_messages_and_bytes_both_ways() {
    let mut node = Node::new().unwrap();
    let address = inproc("stats");
    node.route("in", RouteKind::Pull, &[&address], Mode::Bind)
        .unwrap();
    node.route("out", RouteKind::Push, &[&address], Mode::Connect)
        .unwrap();
    let published = inproc("stats-pub");
    node.route("news", RouteKind::Publish, &[&published], Mode::Bind)
        .unwrap();
    let received = Rc::new(RefCell::new(0));
    let count = Rc::clone(&received);
    node.on_receive("in", move |node, _| {
        *count.borrow_mut() += 1;
        if *count.borrow() == 10 {
            node.stop();
        }
    })
    .unwrap();
    let mut bytes = 0;
    for i in 0..10 {
        let msg = numbered("sized", i).with_head_entry("pad", "x".repeat(i as usize * 10));
        bytes += msg.encode().unwrap().len() as u64;
        node.send_message("out", &msg).unwrap();
    }
    let headline = numbered("headline", 1);
    node.send_message("news", &headline).unwrap();
    run_until_stopped(&mut node, "the counted messages");

    let out = node.get_route("out").unwrap().stats();
    let inn = node.get_route("in").unwrap().stats();
    assert_eq!((out.messages_out, out.bytes_out), (10, bytes));
    assert_eq!((inn.messages_in, inn.bytes_in), (10, bytes));
    assert_eq!((out.messages_in, inn.messages_out), (0, 0));
    // The stats Value says the same.
    assert_eq!(route_stat(&node, "out", "messages_out"), 10);
    assert_eq!(route_stat(&node, "out", "bytes_out"), bytes);
    assert_eq!(route_stat(&node, "in", "messages_in"), 10);
    assert_eq!(route_stat(&node, "in", "bytes_in"), bytes);
    // A publish counts both of its frames: the name and the message.
    let news_bytes = "headline".len() as u64 + headline.encode().unwrap().len() as u64;
    assert_eq!(route_stat(&node, "news", "bytes_out"), news_bytes);
    let stats = node.stats();
    let kind = stats
        .get("routes")
        .and_then(|r| r.get("news"))
        .and_then(|r| r.get("kind"));
    assert_eq!(kind, Some(&Value::from("zmq_publish")));
    for key in [
        "queue_depth",
        "backpressure",
        "send_errors",
        "decode_errors",
        "timeouts",
        "filtered",
        "dropped",
    ] {
        assert_eq!(route_stat(&node, "in", key), 0, "{key}");
    }
}
