//! Stopping and reaching a node from other threads: `NodeHandle::stop` wakes a loop that waits
//! with no timers, `post` runs closures on the node's thread, `stop` flushes queued sends
//! within `stop_linger`, and a stopped node can run again.

mod support;

use dripdrop::{Error, Message, Mode, Node, NodeHandle, NodeOptions, RouteKind};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};
use support::node::{bind_tcp, inproc, numbered, raw_socket, run_until_stopped};

/// Runs `setup` then `node.run()` on a thread of its own with no safety timer (so the loop
/// really waits in poll with nothing due), handing back the node's handle. The caller bounds
/// the wait with `recv_timeout` on the returned channel, which gets the run's result.
fn spawn_node(
    setup: impl FnOnce(&mut Node) + Send + 'static,
) -> (NodeHandle, mpsc::Receiver<Result<(), Error>>) {
    let (handle_tx, handle_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    thread::spawn(move || {
        let mut node = Node::new().unwrap();
        setup(&mut node);
        handle_tx.send(node.handle()).unwrap();
        let _ = done_tx.send(node.run());
    });
    let handle = handle_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the node thread starts");
    (handle, done_rx)
}

#[test]
fn a_handle_stops_a_loop_that_waits_with_no_timers() {
    let (ticked_tx, ticked_rx) = mpsc::channel();
    let (handle, done) = spawn_node(move |node| {
        // Runs once the loop is going; after it, nothing is due and the loop sleeps in poll.
        node.next_tick(move |node| {
            assert_eq!(support::node::node_stat(node, "timers"), 0);
            ticked_tx.send(()).unwrap();
        });
    });
    ticked_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the loop runs");
    let stopper = thread::spawn(move || handle.stop());
    stopper.join().unwrap();
    let result = done
        .recv_timeout(Duration::from_secs(10))
        .expect("run returns after a handle's stop");
    assert_eq!(result, Ok(()));
}

#[test]
fn posted_closures_run_on_the_node_thread() {
    let mut node = Node::new().unwrap();
    let node_thread = thread::current().id();
    let seen: Arc<Mutex<Vec<(ThreadId, ThreadId)>>> = Arc::default();
    let posters: Vec<_> = (0..4)
        .map(|_| {
            let handle = node.handle();
            let seen = Arc::clone(&seen);
            thread::spawn(move || {
                let poster = thread::current().id();
                for _ in 0..10 {
                    let seen = Arc::clone(&seen);
                    handle
                        .post(move |node| {
                            let mut seen = seen.lock().unwrap();
                            seen.push((poster, thread::current().id()));
                            if seen.len() == 40 {
                                node.stop();
                            }
                        })
                        .unwrap();
                }
                poster
            })
        })
        .collect();
    // The posts are all made before the loop runs; posting into a running loop is the next
    // test's subject.
    let posters: Vec<ThreadId> = posters.into_iter().map(|p| p.join().unwrap()).collect();
    run_until_stopped(&mut node, "the posted closures");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 40);
    for (poster, ran_on) in seen.iter() {
        assert_eq!(
            *ran_on, node_thread,
            "a posted closure ran off the node thread"
        );
        assert!(posters.contains(poster));
    }
}

#[test]
fn posts_from_many_threads_all_run_while_the_loop_sleeps() {
    const THREADS: usize = 4;
    const EACH: usize = 20_000;
    let count = Arc::new(AtomicUsize::new(0));
    let (handle, done) = spawn_node(|_| {});
    let posters: Vec<_> = (0..THREADS)
        .map(|_| {
            let handle = handle.clone();
            let count = Arc::clone(&count);
            thread::spawn(move || {
                for _ in 0..EACH {
                    let count = Arc::clone(&count);
                    handle
                        .post(move |node| {
                            if count.fetch_add(1, Ordering::Relaxed) + 1 == THREADS * EACH {
                                node.stop();
                            }
                        })
                        .unwrap();
                }
            })
        })
        .collect();
    for poster in posters {
        poster.join().unwrap();
    }
    let result = done.recv_timeout(Duration::from_secs(20));
    let ran = count.load(Ordering::Relaxed);
    if result.is_err() {
        // Do not leave the node thread behind.
        handle.stop();
    }
    assert_eq!(
        result.map_err(|_| format!(
            "the loop slept through posts: {ran} of {} ran",
            THREADS * EACH
        )),
        Ok(Ok(()))
    );
}

#[test]
fn post_to_a_dropped_node_is_refused() {
    let node = Node::new().unwrap();
    let handle = node.handle();
    drop(node);
    assert_eq!(handle.post(|_| {}), Err(Error::Stopped));
    // Stopping a node that is gone is harmless.
    handle.stop();
}

#[test]
fn stop_flushes_queued_messages_to_a_peer_that_arrives_before_the_linger_ends() {
    let mut node = Node::with_options(NodeOptions {
        stop_linger: Duration::from_secs(10),
        ..Default::default()
    })
    .unwrap();
    let endpoint = bind_tcp(&mut node, "out", RouteKind::Push);
    // No peer yet: all five wait in the route's queue.
    for i in 0..5 {
        node.send_message("out", &numbered("n", i)).unwrap();
    }
    assert_eq!(node.get_route("out").unwrap().stats().queue_depth, 5);
    node.next_tick(|node| node.stop());
    let reader = thread::spawn(move || {
        let context = zmq::Context::new();
        let pull = raw_socket(&context, zmq::PULL);
        pull.connect(&endpoint).unwrap();
        (0..5)
            .map(|_| Message::decode(&pull.recv_bytes(0).expect("a message")).unwrap())
            .collect::<Vec<_>>()
    });
    node.run().unwrap();
    let stats = node.get_route("out").unwrap().stats();
    assert_eq!((stats.queue_depth, stats.messages_out), (0, 5));
    let got = reader.join().unwrap();
    assert_eq!(got, (0..5).map(|i| numbered("n", i)).collect::<Vec<_>>());
}

#[test]
fn stop_gives_up_after_stop_linger_when_nothing_can_be_sent() {
    let linger = Duration::from_millis(50);
    let mut node = Node::with_options(NodeOptions {
        stop_linger: linger,
        ..Default::default()
    })
    .unwrap();
    node.route("out", RouteKind::Push, &[&inproc("nobody")], Mode::Bind)
        .unwrap();
    for i in 0..3 {
        node.send_message("out", &numbered("n", i)).unwrap();
    }
    node.next_tick(|node| node.stop());
    let started = Instant::now();
    // No safety timer: a stop that never gives up would hang here, so bound it from outside.
    let (tx, rx) = mpsc::channel();
    let handle = node.handle();
    let watchdog = thread::spawn(move || {
        if rx.recv_timeout(Duration::from_secs(10)).is_err() {
            handle.stop();
            return false;
        }
        true
    });
    node.run().unwrap();
    let elapsed = started.elapsed();
    let _ = tx.send(());
    assert!(watchdog.join().unwrap(), "run did not return within 10 s");
    assert!(elapsed >= linger, "returned after {elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(5),
        "returned after {elapsed:?}"
    );
    // What could not be sent is still there, not silently dropped.
    assert_eq!(node.get_route("out").unwrap().stats().queue_depth, 3);
}

#[test]
fn a_stopped_node_runs_again() {
    let mut node = Node::new().unwrap();
    let runs = Rc::new(RefCell::new(Vec::new()));
    for round in 0..3 {
        let log = Rc::clone(&runs);
        node.next_tick(move |node| {
            log.borrow_mut().push(round);
            node.stop();
        });
        run_until_stopped(&mut node, "the tick");
    }
    // And a handle's stop works on a later run as well.
    let handle = node.handle();
    let poster = thread::spawn(move || handle.stop());
    run_until_stopped(&mut node, "the handle's stop");
    poster.join().unwrap();
    assert_eq!(*runs.borrow(), vec![0, 1, 2]);
}

#[test]
fn no_message_is_handled_after_stop_in_a_handler() {
    let mut node = Node::new().unwrap();
    let address = inproc("stop-mid-batch");
    node.route("in", RouteKind::Pull, &[&address], Mode::Bind)
        .unwrap();
    node.route("out", RouteKind::Push, &[&address], Mode::Connect)
        .unwrap();
    let handled = Rc::new(RefCell::new(0));
    let count = Rc::clone(&handled);
    node.on_receive("in", move |node, _| {
        *count.borrow_mut() += 1;
        node.stop();
    })
    .unwrap();
    for i in 0..10 {
        node.send_message("out", &numbered("n", i)).unwrap();
    }
    run_until_stopped(&mut node, "the first message");
    assert_eq!(*handled.borrow(), 1, "handlers ran after stop");
}
