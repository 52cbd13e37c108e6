//! Pair routes: one peer, messages both ways.

mod support;

use dripdrop::{Mode, Node, RouteKind};
use std::cell::RefCell;
use std::rc::Rc;
use support::node::{bind_tcp, inproc, number, numbered, run_until_stopped};

#[test]
fn pair_routes_play_ping_pong() {
    const ROUNDS: i64 = 50;
    let mut node = Node::new().unwrap();
    let endpoint = bind_tcp(&mut node, "left", RouteKind::Pair);
    node.route("right", RouteKind::Pair, &[&endpoint], Mode::Connect)
        .unwrap();
    let trace: Rc<RefCell<Vec<(String, i64)>>> = Rc::default();
    let left_trace = Rc::clone(&trace);
    node.on_receive("left", move |node, msg| {
        left_trace
            .borrow_mut()
            .push((msg.name().to_owned(), number(&msg)));
        if number(&msg) >= ROUNDS {
            node.stop();
        } else {
            node.send_message("left", &numbered("ping", number(&msg) + 1))
                .unwrap();
        }
    })
    .unwrap();
    let right_trace = Rc::clone(&trace);
    node.on_receive("right", move |node, msg| {
        right_trace
            .borrow_mut()
            .push((msg.name().to_owned(), number(&msg)));
        node.send_message("right", &numbered("pong", number(&msg)))
            .unwrap();
    })
    .unwrap();
    node.send_message("left", &numbered("ping", 0)).unwrap();
    run_until_stopped(&mut node, "the rally");

    let trace = trace.borrow();
    let expected: Vec<(String, i64)> = (0..=ROUNDS)
        .flat_map(|i| [("ping".to_owned(), i), ("pong".to_owned(), i)])
        .collect();
    assert_eq!(*trace, expected);
    for route in ["left", "right"] {
        let stats = node.get_route(route).unwrap().stats();
        assert_eq!(stats.messages_in, ROUNDS as u64 + 1, "{route}");
        assert_eq!(stats.messages_out, ROUNDS as u64 + 1, "{route}");
    }
}

#[test]
fn both_ends_may_send_at_once() {
    const N: i64 = 100;
    let address = inproc("pair-both");
    let mut node = Node::new().unwrap();
    node.route("a", RouteKind::Pair, &[&address], Mode::Bind)
        .unwrap();
    node.route("b", RouteKind::Pair, &[&address], Mode::Connect)
        .unwrap();
    let got: Rc<RefCell<[Vec<i64>; 2]>> = Rc::default();
    for (slot, route) in ["a", "b"].into_iter().enumerate() {
        let sink = Rc::clone(&got);
        node.on_receive(route, move |node, msg| {
            let mut got = sink.borrow_mut();
            got[slot].push(number(&msg));
            if got.iter().all(|v| v.len() as i64 == N) {
                node.stop();
            }
        })
        .unwrap();
    }
    for i in 0..N {
        node.send_message("a", &numbered("from_a", i)).unwrap();
        node.send_message("b", &numbered("from_b", i)).unwrap();
    }
    run_until_stopped(&mut node, "both directions");
    let expected: Vec<i64> = (0..N).collect();
    assert_eq!(got.borrow()[0], expected, "received by a");
    assert_eq!(got.borrow()[1], expected, "received by b");
}
