//! `RouteOptions.max_frame_bytes`: libzmq disconnects a peer that sends a frame over the
//! route's bound, so it never reaches the decoder or a handler, and the route goes on serving
//! other peers; a bound above the default decode limit lets larger messages through; over
//! inproc, where libzmq checks nothing, the same bound is the decoder's.

mod support;

use dripdrop::{
    DecodeLimits, Error, Message, Mode, MsgFormat, Node, RouteKind, RouteOptions, Value,
};
use std::cell::RefCell;
use std::rc::Rc;
use support::node::{
    collect_errors, inproc, numbered, raw_socket, run_until_stopped, RAW_TIMEOUT_MS,
};

const BOUND: usize = 1024;

fn bounded(max_frame_bytes: usize) -> RouteOptions {
    RouteOptions {
        max_frame_bytes,
        ..RouteOptions::default()
    }
}

/// A pull route bound to an ephemeral tcp port with `options`; returns its endpoint.
fn bind_pull(node: &mut Node, options: RouteOptions) -> String {
    node.route_with(
        "in",
        RouteKind::Pull,
        &["tcp://127.0.0.1:*"],
        Mode::Bind,
        options,
    )
    .unwrap()
    .endpoint()
    .to_owned()
}

/// A DripDrop message whose frame is larger than `BOUND`: it would decode if it got through.
fn oversized() -> Vec<u8> {
    let frame = Message::new("big")
        .unwrap()
        .with_body(Value::Binary(vec![7; 4 * BOUND]))
        .encode()
        .unwrap();
    assert!(frame.len() > BOUND);
    frame
}

/// Sends `frame` from a fresh raw PUSH peer and returns once the route has disconnected that
/// peer. libzmq's I/O threads read and refuse the frame whether or not the node's loop runs,
/// and the peer's monitor sees the disconnect: that, not a sleep, says the frame was refused.
fn send_and_see_disconnect(context: &zmq::Context, endpoint: &str, frame: &[u8]) {
    let push = raw_socket(context, zmq::PUSH);
    let monitor_address = inproc("frame-bound-monitor");
    push.monitor(&monitor_address, zmq::SocketEvent::DISCONNECTED as i32)
        .unwrap();
    let events = raw_socket(context, zmq::PAIR);
    events.connect(&monitor_address).unwrap();
    push.connect(endpoint).unwrap();
    push.send(frame, 0).unwrap();
    // A monitor event is two frames: 2 bytes of event number and 4 of value, then the
    // endpoint. Only DISCONNECTED was asked for; the blocking read is bounded by rcvtimeo.
    let event = events.recv_multipart(0).unwrap_or_else(|e| {
        panic!("the route did not disconnect the oversized peer within {RAW_TIMEOUT_MS} ms: {e}")
    });
    let number = u16::from_ne_bytes([event[0][0], event[0][1]]);
    assert_eq!(number, zmq::SocketEvent::DISCONNECTED as u16);
    // The peer is dropped here (linger 0) rather than left to reconnect: it has nothing more
    // to say, and the route's next message comes from a peer of its own.
}

#[test]
fn a_dripdrop_route_refuses_a_frame_over_its_bound_and_goes_on() {
    let mut node = Node::new().unwrap();
    let endpoint = bind_pull(&mut node, bounded(BOUND));
    let errors = collect_errors(&mut node);
    let got: Rc<RefCell<Vec<Message>>> = Rc::default();
    let sink = Rc::clone(&got);
    node.on_receive("in", move |node, msg| {
        sink.borrow_mut().push(msg);
        node.stop();
    })
    .unwrap();

    let context = zmq::Context::new();
    send_and_see_disconnect(&context, &endpoint, &oversized());
    // A fresh peer: the offender was disconnected, the route was not.
    let push = raw_socket(&context, zmq::PUSH);
    push.connect(&endpoint).unwrap();
    push.send(numbered("small", 1).encode().unwrap(), 0)
        .unwrap();
    run_until_stopped(&mut node, "the small message after the oversized frame");

    assert_eq!(*got.borrow(), vec![numbered("small", 1)]);
    let stats = node.get_route("in").unwrap().stats();
    // Refused at the wire: never received, so never a decode error either.
    assert_eq!((stats.messages_in, stats.decode_errors), (1, 0));
    assert!(errors.borrow().is_empty(), "{:?}", errors.borrow());
}

#[test]
fn a_raw_route_is_bounded_too() {
    let mut node = Node::new().unwrap();
    let options = RouteOptions {
        msg_format: MsgFormat::Raw,
        ..bounded(BOUND)
    };
    let endpoint = bind_pull(&mut node, options);
    let got: Rc<RefCell<Vec<Vec<Vec<u8>>>>> = Rc::default();
    let sink = Rc::clone(&got);
    node.on_frames("in", move |node, frames| {
        sink.borrow_mut().push(frames);
        node.stop();
    })
    .unwrap();

    let context = zmq::Context::new();
    send_and_see_disconnect(&context, &endpoint, &vec![0xff; BOUND + 1]);
    let push = raw_socket(&context, zmq::PUSH);
    push.connect(&endpoint).unwrap();
    // Exactly the bound is allowed.
    push.send(vec![0xaa; BOUND], 0).unwrap();
    run_until_stopped(&mut node, "the frame at the bound");

    assert_eq!(*got.borrow(), vec![vec![vec![0xaa; BOUND]]]);
}

#[test]
fn a_raised_bound_carries_a_message_past_the_default_decode_limit() {
    let mut node = Node::new().unwrap();
    let endpoint = bind_pull(&mut node, bounded(70 << 20));
    let got: Rc<RefCell<Vec<Message>>> = Rc::default();
    let sink = Rc::clone(&got);
    node.on_receive("in", move |node, msg| {
        sink.borrow_mut().push(msg);
        node.stop();
    })
    .unwrap();
    let big = Message::new("big")
        .unwrap()
        .with_body(Value::Binary(vec![1; 65 << 20]));
    let frame = big.encode().unwrap();
    assert!(frame.len() > DecodeLimits::DEFAULT.max_input_bytes);

    let context = zmq::Context::new();
    let push = raw_socket(&context, zmq::PUSH);
    push.connect(&endpoint).unwrap();
    push.send(frame, 0).unwrap();
    run_until_stopped(&mut node, "the 65 MiB message");

    let got = got.borrow();
    assert_eq!(got.len(), 1);
    // Not assert_eq: a failure would print 65 MiB.
    assert!(got[0] == big, "the message arrived changed");
}

#[test]
fn a_bound_no_socket_can_take_is_refused() {
    let mut node = Node::new().unwrap();
    for bad in [0, usize::MAX] {
        let made = node.route_with(
            "in",
            RouteKind::Pull,
            &["tcp://127.0.0.1:*"],
            Mode::Bind,
            bounded(bad),
        );
        match made {
            Err(Error::InvalidArgument(text)) => {
                assert!(text.contains("max_frame_bytes"), "{text}")
            }
            Err(other) => panic!("max_frame_bytes {bad}: {other:?}"),
            Ok(_) => panic!("max_frame_bytes {bad} was taken"),
        }
    }
    assert_eq!(
        RouteOptions::default().max_frame_bytes,
        DecodeLimits::DEFAULT.max_input_bytes
    );
}

#[test]
fn over_inproc_the_decoder_alone_refuses_an_oversized_message() {
    // inproc has no wire, so libzmq has no frame length to check: the same bound, as the
    // decoder's byte limit, turns the message into a decode error instead.
    let mut node = Node::new().unwrap();
    let address = inproc("frame-bound");
    node.route_with(
        "in",
        RouteKind::Pull,
        &[&address],
        Mode::Bind,
        bounded(BOUND),
    )
    .unwrap();
    node.route("out", RouteKind::Push, &[&address], Mode::Connect)
        .unwrap();
    let errors = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&errors);
    node.on_error(move |node, error| {
        sink.borrow_mut().push(error.clone());
        node.stop();
    });
    let got: Rc<RefCell<Vec<Message>>> = Rc::default();
    let seen = Rc::clone(&got);
    node.on_receive("in", move |_, msg| seen.borrow_mut().push(msg))
        .unwrap();
    let big = Message::new("big")
        .unwrap()
        .with_body(Value::Binary(vec![7; 4 * BOUND]));
    node.send_message("out", &big).unwrap();
    run_until_stopped(&mut node, "the decode error");

    assert!(got.borrow().is_empty());
    let errors = errors.borrow();
    assert!(
        matches!(&errors[..], [Error::Receive { route, .. }] if route == "in"),
        "{errors:?}"
    );
    assert!(
        errors[0].to_string().contains(&BOUND.to_string()),
        "{}",
        errors[0]
    );
    assert_eq!(node.get_route("in").unwrap().stats().decode_errors, 1);
}
