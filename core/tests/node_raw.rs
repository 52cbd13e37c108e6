//! `msg_format: Raw`: frames pass untouched both ways, for non-DripDrop peers, on push/pull,
//! pub/sub (with topic filters), dealer/router and req/rep; raw and DripDrop calls do not mix.

mod support;

use dripdrop::{Error, Message, Mode, MsgFormat, Node, RouteKind, RouteOptions, TopicFilter};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use support::node::{inproc, raw_socket, run_until_stopped};

type Frames = Vec<Vec<u8>>;

fn raw() -> RouteOptions {
    RouteOptions {
        msg_format: MsgFormat::Raw,
        ..Default::default()
    }
}

fn raw_filtered(filter: TopicFilter) -> RouteOptions {
    RouteOptions {
        topic_filter: Some(filter),
        ..raw()
    }
}

fn collect_frames(node: &mut Node, route: &str) -> Rc<RefCell<Vec<Frames>>> {
    let seen: Rc<RefCell<Vec<Frames>>> = Rc::default();
    let sink = Rc::clone(&seen);
    node.on_frames(route, move |_, frames| sink.borrow_mut().push(frames))
        .unwrap();
    seen
}

fn batch() -> Vec<Frames> {
    vec![
        vec![b"plain text".to_vec()],
        vec![Vec::new()],
        vec![b"a".to_vec(), Vec::new(), vec![0, 255, 131], b"d".to_vec()],
        vec![vec![131, 97, 1]],
        vec![vec![0xff; 70_000]],
    ]
}

#[test]
fn raw_push_pull_passes_frames_untouched() {
    let mut node = Node::new().unwrap();
    let address = inproc("raw-push");
    node.route_with("in", RouteKind::Pull, &[&address], Mode::Bind, raw())
        .unwrap();
    node.route_with("out", RouteKind::Push, &[&address], Mode::Connect, raw())
        .unwrap();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&seen);
    let expected = batch();
    let count = expected.len();
    node.on_frames("in", move |node, frames| {
        sink.borrow_mut().push(frames);
        if sink.borrow().len() == count {
            node.stop();
        }
    })
    .unwrap();
    for frames in batch() {
        node.send_frames("out", frames).unwrap();
    }
    run_until_stopped(&mut node, "the raw frames");
    assert_eq!(*seen.borrow(), expected);
    let stats = node.get_route("in").unwrap().stats();
    assert_eq!(stats.decode_errors, 0, "raw frames are never decoded");
    assert_eq!(stats.messages_in, count as u64);
}

#[test]
fn raw_routes_talk_to_plain_zmq_peers() {
    let mut node = Node::new().unwrap();
    let in_endpoint = node
        .route_with(
            "in",
            RouteKind::Pull,
            &["tcp://127.0.0.1:*"],
            Mode::Bind,
            raw(),
        )
        .unwrap()
        .endpoint()
        .to_owned();
    let out_endpoint = node
        .route_with(
            "out",
            RouteKind::Push,
            &["tcp://127.0.0.1:*"],
            Mode::Bind,
            raw(),
        )
        .unwrap()
        .endpoint()
        .to_owned();
    let context = zmq::Context::new();
    let pusher = raw_socket(&context, zmq::PUSH);
    pusher.connect(&in_endpoint).unwrap();
    let puller = raw_socket(&context, zmq::PULL);
    puller.connect(&out_endpoint).unwrap();
    // Whatever arrives raw is echoed back out raw, reversed.
    node.on_frames("in", |node, mut frames| {
        frames.reverse();
        node.send_frames("out", frames).unwrap();
        node.stop();
    })
    .unwrap();
    pusher
        .send_multipart([b"hello".to_vec(), b"world".to_vec()], 0)
        .unwrap();
    run_until_stopped(&mut node, "the plain peer's frames");
    let echoed = puller.recv_multipart(0).expect("the echo");
    assert_eq!(echoed, vec![b"world".to_vec(), b"hello".to_vec()]);
}

#[test]
fn raw_pub_sub_filters_on_the_first_frame() {
    let mut node = Node::new().unwrap();
    let address = inproc("raw-pub");
    node.route_with("out", RouteKind::Publish, &[&address], Mode::Bind, raw())
        .unwrap();
    node.route_with(
        "prefix",
        RouteKind::Subscribe,
        &[&address],
        Mode::Connect,
        raw_filtered(TopicFilter::Prefix(b"temp.".to_vec())),
    )
    .unwrap();
    node.route_with(
        "regex",
        RouteKind::Subscribe,
        &[&address],
        Mode::Connect,
        raw_filtered(TopicFilter::Regex(regex::Regex::new("^wind$").unwrap())),
    )
    .unwrap();
    node.route_with(
        "all",
        RouteKind::Subscribe,
        &[&address],
        Mode::Connect,
        raw(),
    )
    .unwrap();
    let prefix = collect_frames(&mut node, "prefix");
    let regex = collect_frames(&mut node, "regex");
    let all = collect_frames(&mut node, "all");
    let (p, r) = (Rc::clone(&prefix), Rc::clone(&regex));
    node.every(Duration::from_millis(2), move |node| {
        if p.borrow().len() >= 3 && r.borrow().len() >= 3 {
            node.stop();
            return;
        }
        for topic in ["temp.paris", "wind", "windy", "rain"] {
            let frames = vec![topic.as_bytes().to_vec(), b"payload".to_vec(), vec![0]];
            node.send_frames("out", frames).unwrap();
        }
    });
    run_until_stopped(&mut node, "the raw subscribers");

    let firsts = |seen: &Rc<RefCell<Vec<Frames>>>| -> Vec<Vec<u8>> {
        seen.borrow().iter().map(|f| f[0].clone()).collect()
    };
    assert!(firsts(&prefix).iter().all(|t| t == b"temp.paris"));
    assert!(firsts(&regex).iter().all(|t| t == b"wind"));
    for topic in [&b"windy"[..], b"rain"] {
        assert!(firsts(&all).iter().any(|t| t == topic));
    }
    for frames in prefix.borrow().iter().chain(regex.borrow().iter()) {
        assert_eq!(&frames[1..], &[b"payload".to_vec(), vec![0]]);
    }
}

#[test]
fn raw_router_sees_the_identity_and_answers_a_raw_dealer() {
    let mut node = Node::new().unwrap();
    let address = inproc("raw-router");
    node.route_with("router", RouteKind::Xrep, &[&address], Mode::Bind, raw())
        .unwrap();
    node.route_with(
        "dealer",
        RouteKind::Xreq,
        &[&address],
        Mode::Connect,
        RouteOptions {
            identity: Some(b"dealer-7".to_vec()),
            ..raw()
        },
    )
    .unwrap();
    let at_router = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&at_router);
    node.on_frames("router", move |node, frames| {
        sink.borrow_mut().push(frames.clone());
        let mut reply = vec![frames[0].clone()];
        reply.extend(frames[1..].iter().rev().cloned());
        node.send_frames("router", reply).unwrap();
    })
    .unwrap();
    let at_dealer = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&at_dealer);
    node.on_frames("dealer", move |node, frames| {
        sink.borrow_mut().push(frames);
        node.stop();
    })
    .unwrap();
    node.send_frames("dealer", vec![b"one".to_vec(), b"two".to_vec()])
        .unwrap();
    run_until_stopped(&mut node, "the raw reply");
    assert_eq!(
        *at_router.borrow(),
        vec![vec![b"dealer-7".to_vec(), b"one".to_vec(), b"two".to_vec()]]
    );
    assert_eq!(
        *at_dealer.borrow(),
        vec![vec![b"two".to_vec(), b"one".to_vec()]]
    );
}

#[test]
fn raw_req_rep_do_several_round_trips() {
    let mut node = Node::new().unwrap();
    let address = inproc("raw-req");
    node.route_with("rep", RouteKind::Rep, &[&address], Mode::Bind, raw())
        .unwrap();
    node.route_with("req", RouteKind::Req, &[&address], Mode::Connect, raw())
        .unwrap();
    node.on_frames("rep", |node, mut frames| {
        frames.push(b"answered".to_vec());
        node.send_frames("rep", frames).unwrap();
    })
    .unwrap();
    let replies = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&replies);
    node.on_frames("req", move |node, frames| {
        sink.borrow_mut().push(frames);
        let n = sink.borrow().len();
        if n == 3 {
            node.stop();
        } else {
            node.send_frames("req", vec![format!("q{n}").into_bytes()])
                .unwrap();
        }
    })
    .unwrap();
    node.send_frames("req", vec![b"q0".to_vec()]).unwrap();
    let stopped = support::node::run_bounded(&mut node);
    let expected: Vec<Frames> = (0..3)
        .map(|i| vec![format!("q{i}").into_bytes(), b"answered".to_vec()])
        .collect();
    assert_eq!(*replies.borrow(), expected);
    assert!(stopped);
}

#[test]
fn raw_and_dripdrop_calls_do_not_mix() {
    let mut node = Node::new().unwrap();
    let address = inproc("raw-mix");
    node.route_with("raw_in", RouteKind::Pull, &[&address], Mode::Bind, raw())
        .unwrap();
    node.route_with(
        "raw_out",
        RouteKind::Push,
        &[&address],
        Mode::Connect,
        raw(),
    )
    .unwrap();
    node.route("bert_out", RouteKind::Push, &[&inproc("bert")], Mode::Bind)
        .unwrap();
    node.route(
        "bert_in",
        RouteKind::Pull,
        &[&inproc("bert-in")],
        Mode::Bind,
    )
    .unwrap();
    let message = Message::new("m").unwrap();
    let wrong = |result: Result<(), Error>| {
        assert!(matches!(result, Err(Error::WrongKind { .. })), "{result:?}");
    };
    wrong(node.send_message("raw_out", &message));
    wrong(node.send_frames("bert_out", vec![b"x".to_vec()]));
    wrong(node.on_receive("raw_in", |_, _| {}));
    wrong(node.on_frames("bert_in", |_, _| {}));
    wrong(node.send_request("raw_out", &message, |_, _| {}));
    wrong(node.send_frames("raw_in", vec![b"x".to_vec()]));
}

#[test]
fn a_raw_message_of_no_frames_is_refused_and_not_counted() {
    let mut node = Node::new().unwrap();
    node.route_with(
        "out",
        RouteKind::Push,
        &["tcp://127.0.0.1:*"],
        Mode::Bind,
        raw(),
    )
    .unwrap();
    let error = node.send_frames("out", Vec::new()).unwrap_err();
    assert_eq!(error.class_name(), "InvalidArgument");
    let stats = node.get_route("out").unwrap().stats();
    assert_eq!((stats.messages_out, stats.queue_depth), (0, 0));
}
