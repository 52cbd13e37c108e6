//! Publish/subscribe end to end: fan-out, the `[name, message]` framing, and topic filters by
//! prefix (ZeroMQ's) and by regex (ours).
//!
//! A subscriber that connects after the publisher started misses what was sent before its
//! subscription arrived (ZeroMQ's slow joiner), so publishers here send on a timer until the
//! subscribers have what they need.

mod support;

use dripdrop::{Message, Mode, Node, RouteKind, RouteOptions, TopicFilter};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use support::node::{
    bind_tcp, inproc, number, numbered, raw_socket, route_stat, run_until_stopped,
};

const TICK: Duration = Duration::from_millis(2);

type Seen = Rc<RefCell<Vec<Message>>>;

fn collect(node: &mut Node, route: &str) -> Seen {
    let seen: Seen = Rc::default();
    let sink = Rc::clone(&seen);
    node.on_receive(route, move |_, msg| sink.borrow_mut().push(msg))
        .unwrap();
    seen
}

fn names(seen: &Seen) -> Vec<String> {
    seen.borrow().iter().map(|m| m.name().to_owned()).collect()
}

/// Publishes `topics` (each with the tick number as body) every tick until `done` holds,
/// then stops the node.
fn publish_until(
    node: &mut Node,
    route: &'static str,
    topics: &'static [&'static str],
    done: impl Fn() -> bool + 'static,
) {
    let mut tick = 0;
    node.every(TICK, move |node| {
        if done() {
            node.stop();
            return;
        }
        for topic in topics {
            node.send_message(route, &numbered(topic, tick)).unwrap();
        }
        tick += 1;
    });
}

#[test]
fn every_subscriber_gets_every_message_after_joining() {
    let mut node = Node::new().unwrap();
    let endpoint = bind_tcp(&mut node, "news", RouteKind::Publish);
    node.route(
        "reader_a",
        RouteKind::Subscribe,
        &[&endpoint],
        Mode::Connect,
    )
    .unwrap();
    node.route(
        "reader_b",
        RouteKind::Subscribe,
        &[&endpoint],
        Mode::Connect,
    )
    .unwrap();
    let a = collect(&mut node, "reader_a");
    let b = collect(&mut node, "reader_b");
    let (da, db) = (Rc::clone(&a), Rc::clone(&b));
    publish_until(&mut node, "news", &["headline"], move || {
        da.borrow().len() >= 10 && db.borrow().len() >= 10
    });
    run_until_stopped(&mut node, "both subscribers");

    for seen in [a, b] {
        let numbers: Vec<i64> = seen.borrow().iter().map(number).collect();
        // Once joined, a subscriber misses nothing: its numbers are consecutive.
        let first = numbers[0];
        let expected: Vec<i64> = (first..first + numbers.len() as i64).collect();
        assert_eq!(numbers, expected);
        assert!(seen.borrow().iter().all(|m| m.name() == "headline"));
    }
}

#[test]
fn subscriber_may_bind_and_publisher_connect_over_inproc() {
    let address = inproc("sub-binds");
    let mut node = Node::new().unwrap();
    node.route("in", RouteKind::Subscribe, &[&address], Mode::Bind)
        .unwrap();
    node.route("out", RouteKind::Publish, &[&address], Mode::Connect)
        .unwrap();
    let seen = collect(&mut node, "in");
    let done = Rc::clone(&seen);
    publish_until(&mut node, "out", &["ping"], move || {
        done.borrow().len() >= 3
    });
    run_until_stopped(&mut node, "the subscriber");
    assert!(seen.borrow().len() >= 3);
}

#[test]
fn a_publish_is_two_frames_name_then_message() {
    let mut node = Node::new().unwrap();
    let endpoint = bind_tcp(&mut node, "out", RouteKind::Publish);
    let handle = node.handle();
    let reader = std::thread::spawn(move || {
        let context = zmq::Context::new();
        let sub = raw_socket(&context, zmq::SUB);
        sub.set_subscribe(b"").unwrap();
        sub.connect(&endpoint).unwrap();
        let frames = sub.recv_multipart(0);
        handle.stop();
        frames
    });
    let message = Message::new("weather.paris")
        .unwrap()
        .with_head_entry("unit", "C")
        .with_body(21);
    let sent = message.clone();
    node.every(TICK, move |node| {
        node.send_message("out", &sent).unwrap();
    });
    run_until_stopped(&mut node, "the raw subscriber");
    let frames = reader
        .join()
        .unwrap()
        .expect("the raw subscriber got a message");
    assert_eq!(frames.len(), 2, "{frames:?}");
    assert_eq!(frames[0], b"weather.paris");
    assert_eq!(Message::decode(&frames[1]).unwrap(), message);
}

#[test]
fn prefix_filter_passes_only_names_that_start_with_it() {
    let mut node = Node::new().unwrap();
    let endpoint = bind_tcp(&mut node, "out", RouteKind::Publish);
    let filtered = RouteOptions {
        topic_filter: Some(TopicFilter::Prefix(b"weather.".to_vec())),
        ..Default::default()
    };
    node.route_with(
        "weather",
        RouteKind::Subscribe,
        &[&endpoint],
        Mode::Connect,
        filtered,
    )
    .unwrap();
    // A subscriber without a filter shows the other names were published and delivered.
    node.route(
        "everything",
        RouteKind::Subscribe,
        &[&endpoint],
        Mode::Connect,
    )
    .unwrap();
    let weather = collect(&mut node, "weather");
    let everything = collect(&mut node, "everything");
    let (w, e) = (Rc::clone(&weather), Rc::clone(&everything));
    publish_until(
        &mut node,
        "out",
        &[
            "sports.1",
            "weather.1",
            "weatherman",
            "weather",
            "news.weather.1",
        ],
        move || {
            let others = names(&e).iter().filter(|n| n.starts_with("sports")).count();
            w.borrow().len() >= 5 && others >= 5
        },
    );
    run_until_stopped(&mut node, "filtered and unfiltered subscribers");

    let weather = names(&weather);
    assert!(weather.len() >= 5);
    assert!(
        weather.iter().all(|n| n == "weather.1"),
        "the prefix filter let through {weather:?}"
    );
    for name in ["weatherman", "weather", "news.weather.1"] {
        assert!(names(&everything).iter().any(|n| n == name), "{name}");
    }
}

#[test]
fn regex_filter_passes_only_matching_names() {
    let mut node = Node::new().unwrap();
    let address = inproc("regex");
    node.route("out", RouteKind::Publish, &[&address], Mode::Bind)
        .unwrap();
    let filtered = RouteOptions {
        topic_filter: Some(TopicFilter::Regex(
            regex::Regex::new(r"^(weather|news)\.[0-9]+$").unwrap(),
        )),
        ..Default::default()
    };
    node.route_with(
        "wanted",
        RouteKind::Subscribe,
        &[&address],
        Mode::Connect,
        filtered,
    )
    .unwrap();
    node.route(
        "everything",
        RouteKind::Subscribe,
        &[&address],
        Mode::Connect,
    )
    .unwrap();
    let wanted = collect(&mut node, "wanted");
    let everything = collect(&mut node, "everything");
    let (w, e) = (Rc::clone(&wanted), Rc::clone(&everything));
    publish_until(
        &mut node,
        "out",
        &[
            "sports.1",
            "weather.1",
            "news.22",
            "weather.x",
            "xweather.1",
            "news.1.2",
        ],
        move || {
            let news = names(&w).iter().filter(|n| *n == "news.22").count();
            news >= 3 && e.borrow().len() >= 18
        },
    );
    run_until_stopped(&mut node, "the regex subscriber");

    let wanted = names(&wanted);
    assert!(
        wanted.iter().all(|n| n == "weather.1" || n == "news.22"),
        "the regex filter let through {wanted:?}"
    );
    assert!(wanted.iter().any(|n| n == "weather.1"));
    let everything = names(&everything);
    for name in ["sports.1", "weather.x", "xweather.1", "news.1.2"] {
        assert!(everything.iter().any(|n| n == name), "{name} was published");
    }
    // What the regex refused is counted; the unfiltered subscriber refused nothing.
    assert!(route_stat(&node, "wanted", "filtered") >= 4);
    assert_eq!(route_stat(&node, "everything", "filtered"), 0);
}
