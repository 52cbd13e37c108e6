//! Backpressure: with a tiny high-water mark and send queue, sending never blocks; past the
//! queue bound the sender gets `Error::Backpressure` (and the stats count it), and every
//! message that was accepted arrives exactly once, in order, once the reader starts.

mod support;

use dripdrop::{Error, Message, Mode, Node, RouteKind, RouteOptions, RouteStats, Value};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::node::{inproc, number, numbered, raw_socket, route_stat, run_until_stopped};

const BOUND: usize = 10;

fn tiny() -> RouteOptions {
    RouteOptions {
        send_hwm: Some(1),
        recv_hwm: Some(1),
        send_queue: BOUND,
        ..Default::default()
    }
}

/// Tries to send the `end` sentinel every millisecond until the route takes it.
fn send_end_when_accepted(node: &mut Node, route: &'static str) {
    let timer = Rc::new(RefCell::new(None));
    let me = Rc::clone(&timer);
    let id = node.every(Duration::from_millis(1), move |node| {
        match node.send_message(route, &Message::new("end").unwrap()) {
            Ok(()) => {
                let id = me.borrow_mut().take().expect("the timer's own id");
                assert!(node.cancel_timer(id));
            }
            Err(Error::Backpressure { .. }) => {}
            Err(other) => panic!("sending end: {other}"),
        }
    });
    *timer.borrow_mut() = Some(id);
}

#[test]
fn a_reader_that_connects_late_gets_every_accepted_message_once_in_order() {
    let address = inproc("late-reader");
    let mut node = Node::new().unwrap();
    node.route_with("out", RouteKind::Push, &[&address], Mode::Bind, tiny())
        .unwrap();

    // No reader yet: ZeroMQ takes nothing, the route queues up to its bound.
    let mut accepted = Vec::new();
    let mut refused = 0;
    for i in 0..(BOUND as i64 + 5) {
        match node.send_message("out", &numbered("n", i)) {
            Ok(()) => accepted.push(i),
            Err(Error::Backpressure { route, bound }) => {
                assert_eq!((route.as_str(), bound), ("out", BOUND));
                refused += 1;
            }
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert_eq!(accepted, (0..BOUND as i64).collect::<Vec<_>>());
    assert_eq!(refused, 5);
    let stats = node.get_route("out").unwrap().stats();
    assert_eq!((stats.backpressure, stats.queue_depth), (5, BOUND as u64));
    assert_eq!(route_stat(&node, "out", "backpressure"), 5);
    assert_eq!(route_stat(&node, "out", "queue_depth"), BOUND as u64);
    assert_eq!(stats.messages_out, 0);

    // The reader appears once the loop has been running a while.
    let got: Rc<RefCell<Vec<Message>>> = Rc::default();
    let sink = Rc::clone(&got);
    node.after(Duration::from_millis(20), move |node| {
        node.route_with("in", RouteKind::Pull, &[&address], Mode::Connect, tiny())
            .unwrap();
        node.on_receive("in", move |node, msg| {
            let end = msg.name() == "end";
            sink.borrow_mut().push(msg);
            if end {
                node.stop();
            }
        })
        .unwrap();
    });
    send_end_when_accepted(&mut node, "out");
    run_until_stopped(&mut node, "the late reader");

    let got = got.borrow();
    let (end, numbered_part) = got.split_last().expect("something arrived");
    assert_eq!(end.name(), "end");
    let numbers: Vec<i64> = numbered_part.iter().map(number).collect();
    assert_eq!(numbers, accepted, "every accepted message once, in order");
    let stats = node.get_route("out").unwrap().stats();
    assert_eq!(stats.queue_depth, 0);
    assert_eq!(stats.messages_out, BOUND as u64 + 1);
}

#[test]
fn a_connected_reader_that_does_not_read_yet_gets_everything_accepted() {
    let mut node = Node::new().unwrap();
    let endpoint = node
        .route_with(
            "out",
            RouteKind::Push,
            &["tcp://127.0.0.1:*"],
            Mode::Bind,
            tiny(),
        )
        .unwrap()
        .endpoint()
        .to_owned();
    let (start_tx, start_rx) = std::sync::mpsc::channel::<()>();
    let outcome: Arc<Mutex<Option<(i64, Error, RouteStats)>>> = Arc::default();
    let result = Arc::clone(&outcome);
    let handle = node.handle();
    let reader = std::thread::spawn(move || {
        let context = zmq::Context::new();
        let pull = raw_socket(&context, zmq::PULL);
        pull.set_rcvhwm(1).unwrap();
        pull.connect(&endpoint).unwrap();
        // The hello proves the connection is up; from then on, read nothing until told to.
        let hello = pull.recv_bytes(0).expect("hello");
        assert_eq!(Message::decode(&hello).unwrap().name(), "hello");
        handle
            .post(move |node| {
                // Big bodies fill ZeroMQ's and the kernel's buffers sooner.
                let filler = Value::Binary(vec![7; 16 * 1024]);
                let mut n = 0;
                let refused = loop {
                    assert!(n < 1_000_000, "never saw backpressure");
                    let msg = numbered("n", n).with_head_entry("filler", filler.clone());
                    match node.send_message("out", &msg) {
                        Ok(()) => n += 1,
                        Err(e) => break e,
                    }
                };
                let stats = node.get_route("out").unwrap().stats();
                *result.lock().unwrap() = Some((n, refused, stats));
                send_end_when_accepted(node, "out");
                start_tx.send(()).unwrap();
            })
            .unwrap();
        start_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the go signal");
        let mut got = Vec::new();
        loop {
            match pull.recv_bytes(0) {
                Ok(frame) => {
                    let msg = Message::decode(&frame).unwrap();
                    if msg.name() == "end" {
                        break;
                    }
                    got.push(number(&msg));
                }
                Err(e) => {
                    handle.stop();
                    panic!("reader: {e} after {} messages", got.len());
                }
            }
        }
        handle.stop();
        got
    });

    node.send_message("out", &Message::new("hello").unwrap())
        .unwrap();
    run_until_stopped(&mut node, "the reader to read everything");

    let got = reader.join().unwrap();
    let (n, refused, stats) = outcome.lock().unwrap().take().expect("the sender ran");
    assert_eq!(
        refused,
        Error::Backpressure {
            route: "out".into(),
            bound: BOUND
        }
    );
    // ZeroMQ usually takes some before the queue fills, but with a high-water mark of one
    // its I/O thread may not yet have told the socket that the hello left the pipe: then
    // every accepted message waited in the queue, which is as good.
    assert!(
        n >= BOUND as i64,
        "the queue filled before the refusal: {n}"
    );
    assert_eq!(stats.backpressure, 1);
    assert_eq!(stats.queue_depth, BOUND as u64);
    assert_eq!(got, (0..n).collect::<Vec<_>>(), "accepted {n}");
    assert_eq!(node.get_route("out").unwrap().stats().queue_depth, 0);
}

#[test]
fn a_refused_request_never_calls_its_callback_and_the_accepted_are_answered() {
    let address = inproc("xreq-full");
    let mut node = Node::new().unwrap();
    node.route_with(
        "client",
        RouteKind::Xreq,
        &[&address],
        Mode::Bind,
        RouteOptions {
            send_queue: 2,
            ..Default::default()
        },
    )
    .unwrap();
    let answered: Rc<RefCell<Vec<i64>>> = Rc::default();
    let mut refused = Vec::new();
    for i in 0..4 {
        let sink = Rc::clone(&answered);
        let sent = node.send_request("client", &numbered("q", i), move |node, reply| {
            sink.borrow_mut().push(number(&reply.unwrap()));
            if sink.borrow().len() == 2 {
                // Give a wrongly registered callback a chance to run before stopping.
                node.after(Duration::from_millis(20), |node| node.stop());
            }
        });
        if let Err(e) = sent {
            assert!(matches!(e, Error::Backpressure { .. }), "{e}");
            refused.push(i);
        }
    }
    assert_eq!(refused, vec![2, 3]);
    node.route("server", RouteKind::Xrep, &[&address], Mode::Connect)
        .unwrap();
    node.on_request("server", |node, msg, response| {
        response.send_message(node, &msg).unwrap();
    })
    .unwrap();
    run_until_stopped(&mut node, "the accepted requests' replies");
    assert_eq!(*answered.borrow(), vec![0, 1]);
    assert_eq!(route_stat(&node, "client", "backpressure"), 2);
}

#[test]
fn publish_never_reports_backpressure_zeromq_drops_instead() {
    let mut node = Node::new().unwrap();
    node.route_with(
        "out",
        RouteKind::Publish,
        &[&inproc("pub-drops")],
        Mode::Bind,
        RouteOptions {
            send_hwm: Some(1),
            send_queue: 1,
            ..Default::default()
        },
    )
    .unwrap();
    // Nobody subscribes: ZeroMQ drops every message, and the route never queues.
    for i in 0..1000 {
        node.send_message("out", &numbered("tick", i)).unwrap();
    }
    let stats = node.get_route("out").unwrap().stats();
    assert_eq!((stats.backpressure, stats.queue_depth), (0, 0));
    assert_eq!(stats.messages_out, 1000);
}
