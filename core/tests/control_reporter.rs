//! The control backchannel end to end: a node reporting to a raw ZeroMQ ROUTER standing in
//! for the control server (`docs/control.md`): the hello from the identity it names, exact
//! cumulative counters in the beats, alive signals that go on while the loop is stuck, the
//! goodbye, and a node that runs normally with no server, counting what it could not send.

mod support;

use crossbeam_channel::{bounded, Receiver, Sender};
use dripdrop::{
    Error, Message, Mode, Node, NodeHandle, NodeOptions, PoolOptions, RouteKind, Value,
};
use std::rc::Rc;
use std::thread::JoinHandle;
use std::time::Duration;
use support::control::{int, named, ControlServer, Heard};

const HEARTBEAT: Duration = Duration::from_millis(100);

fn reporting_to(endpoint: &str, heartbeat: Duration) -> NodeOptions {
    NodeOptions {
        control: Some(endpoint.to_owned()),
        role: Some("control-test".to_owned()),
        heartbeat,
        defer_threads: 1,
        ..NodeOptions::default()
    }
}

/// A node made and run on its own thread (a node is not `Send`); `setup` gives it its routes
/// and callbacks. Returns a handle to stop it and the thread, which returns once it stopped.
fn spawn_node(
    options: NodeOptions,
    setup: impl FnOnce(&mut Node) -> Result<(), Error> + Send + 'static,
) -> (NodeHandle, JoinHandle<()>) {
    let (handle_tx, handle_rx) = bounded(1);
    let thread = std::thread::spawn(move || {
        let mut node = Node::with_options(options).expect("node");
        setup(&mut node).expect("setup");
        handle_tx.send(node.handle()).expect("handle");
        node.run().expect("run");
    });
    (handle_rx.recv().expect("the node started"), thread)
}

/// Sends `left` messages on `route`, a batch per turn, coming back after backpressure.
fn pump(node: &mut Node, route: &'static str, message: Rc<Message>, mut left: u64) {
    while left > 0 {
        match node.send_message(route, &message) {
            Ok(()) => left -= 1,
            Err(Error::Backpressure { .. }) => break,
            Err(e) => panic!("send: {e}"),
        }
    }
    if left > 0 {
        node.after(Duration::from_millis(1), move |node| {
            pump(node, route, message, left)
        });
    }
}

/// Routes `in` (pull, bound) and `out` (push to it), and `count` messages sent on `out`.
fn push_pull(node: &mut Node, endpoint: &str, count: u64) -> Result<(), Error> {
    let bound = node
        .route("in", RouteKind::Pull, &[endpoint], Mode::Bind)?
        .endpoint()
        .to_owned();
    node.route("out", RouteKind::Push, &[&bound], Mode::Connect)?;
    node.on_receive("in", |_, _| {})?;
    let message = Rc::new(Message::new("job")?.with_body(Value::binary(vec![b'x'; 32])));
    node.next_tick(move |node| pump(node, "out", message, count));
    Ok(())
}

#[test]
fn hello_then_beats_and_alives_with_exact_counters() {
    const COUNT: u64 = 10_000;
    let mut server = ControlServer::bind();
    let (handle, thread) = spawn_node(reporting_to(&server.endpoint, HEARTBEAT), |node| {
        push_pull(node, "tcp://127.0.0.1:*", COUNT)
    });

    let (id, hello) = server.hello();
    assert_eq!(
        hello.get("role").and_then(Value::as_str),
        Some("control-test")
    );
    assert_eq!(hello.get("language").and_then(Value::as_str), Some("rust"));
    assert_eq!(hello.get("heartbeat_ms"), Some(&Value::Int(100)));
    assert_eq!(int(&hello, "pid"), Some(i64::from(std::process::id())));
    assert!(matches!(hello.get("started_at"), Some(Value::Time(_))));
    let out = named(&hello, "routes", "out").expect("the hello names route out");
    assert_eq!(out.get("kind").and_then(Value::as_str), Some("zmq_push"));
    assert!(id.starts_with(hello.get("host").and_then(Value::as_str).unwrap()));

    let mut alives = 0;
    let mut last_seq = -1;
    let heard = server.until("a beat with every message counted", |h| {
        if h.report(&id, "dripdrop.alive").is_some() {
            alives += 1;
        }
        let Some(beat) = h.report(&id, "dripdrop.beat") else {
            return false;
        };
        let seq = int(beat, "seq").expect("seq");
        assert!(
            seq > last_seq,
            "beats come in order: {seq} after {last_seq}"
        );
        last_seq = seq;
        let counted = |route, key| named(beat, "routes", route).and_then(|r| int(r, key));
        counted("out", "messages_out") == Some(COUNT as i64)
            && counted("in", "messages_in") == Some(COUNT as i64)
    });
    for h in &heard {
        match h {
            Heard::Report(from, _) => assert_eq!(from, &id, "every report comes from the id"),
            Heard::Disconnected(from) => panic!("{from} disconnected"),
        }
    }
    let Some(Heard::Report(_, last)) = heard.last() else {
        unreachable!()
    };
    let out = named(last.body(), "routes", "out").unwrap();
    assert_eq!(int(out, "errors"), Some(0));
    assert_eq!(
        int(out, "bytes_out"),
        int(named(last.body(), "routes", "in").unwrap(), "bytes_in")
    );
    // The counters are cumulative: the beats after say the same.
    server.until("a later beat", |h| h.report(&id, "dripdrop.beat").is_some());
    if alives == 0 {
        server.until("an alive signal", |h| {
            h.report(&id, "dripdrop.alive").is_some()
        });
    }

    handle.stop();
    thread.join().expect("the node's thread");
    server.until("goodbye", |h| h.report(&id, "dripdrop.goodbye").is_some());
}

#[test]
fn a_pool_beats_its_counters_and_a_histogram_of_its_task_latency() {
    const TASKS: i64 = 20;
    let mut server = ControlServer::bind();
    let (handle, thread) = spawn_node(reporting_to(&server.endpoint, HEARTBEAT), |node| {
        node.task("nap", |_, _| {
            std::thread::sleep(Duration::from_millis(5));
            Ok(Value::Nil)
        });
        node.worker_pool("naps", PoolOptions::local(1))?;
        let mut pool = node.pool("naps")?;
        for _ in 0..TASKS {
            pool.defer("nap", Value::Nil, |_, _| {})?;
        }
        Ok(())
    });
    let (id, hello) = server.hello();
    assert_eq!(hello.get("pools"), Some(&Value::List(vec!["naps".into()])));
    let heard = server.until("a beat with every task completed", |h| {
        h.report(&id, "dripdrop.beat")
            .and_then(|beat| named(beat, "pools", "naps"))
            .is_some_and(|pool| int(pool, "completed") == Some(TASKS))
    });
    let Some(Heard::Report(_, beat)) = heard.last() else {
        unreachable!()
    };
    let pool = named(beat.body(), "pools", "naps").unwrap();
    let Some(Value::List(buckets)) = pool.get("latency_us") else {
        panic!("latency_us: {pool:?}")
    };
    let pairs: Vec<(i64, i64)> = buckets
        .iter()
        .map(|pair| match pair {
            Value::List(p) => match (&p[0], &p[1]) {
                (Value::Int(upper), Value::Int(count)) => (*upper, *count),
                other => panic!("a pair of integers: {other:?}"),
            },
            other => panic!("a pair: {other:?}"),
        })
        .collect();
    assert_eq!(pairs.iter().map(|p| p.1).sum::<i64>(), TASKS, "{pairs:?}");
    // One thread naps 5 ms per task, so no task took less; queued ones took longer.
    assert!(pairs.iter().all(|(upper, _)| *upper > 5_000), "{pairs:?}");
    assert!(
        pairs.windows(2).all(|w| w[0].0 < w[1].0),
        "ordered: {pairs:?}"
    );
    handle.stop();
    thread.join().expect("the node's thread");
}

#[test]
fn a_stuck_loop_keeps_saying_alive_but_stops_beating() {
    let mut server = ControlServer::bind();
    let (handle, thread) = spawn_node(reporting_to(&server.endpoint, HEARTBEAT), |_| Ok(()));
    let (id, _) = server.hello();
    server.until("a first beat", |h| h.report(&id, "dripdrop.beat").is_some());

    let (entered_tx, entered) = bounded::<()>(1);
    let (release, released): (Sender<()>, Receiver<()>) = bounded(1);
    handle
        .post(move |_| {
            entered_tx.send(()).expect("the test waits");
            // Stuck in a callback until the test lets go.
            released.recv().expect("the test releases");
        })
        .expect("post");
    entered.recv().expect("the callback runs");

    // A beat handed over just before the callback may still go out, before or after the
    // next alive; after that, only alive signals, for more than three heartbeats.
    let mut alives = 0;
    let mut last_alive = 0;
    server.until("five alive signals while stuck", |h| {
        if let Some(alive) = h.report(&id, "dripdrop.alive") {
            let seq = int(alive, "seq").expect("seq");
            assert!(seq > last_alive, "alive signals come in order");
            last_alive = seq;
            alives += 1;
        }
        assert!(
            !(h.report(&id, "dripdrop.beat").is_some() && alives >= 2),
            "a beat while the loop was stuck"
        );
        alives == 5
    });

    release.send(()).expect("release the callback");
    server.until("beats again", |h| h.report(&id, "dripdrop.beat").is_some());
    handle.stop();
    thread.join().expect("the node's thread");
}

#[test]
fn a_dropped_node_says_goodbye_and_disconnects() {
    let mut server = ControlServer::bind();
    // The options by name, as the Ruby and Python skins give them.
    let options = NodeOptions::from_named([
        ("control", Value::from(server.endpoint.as_str())),
        ("role", Value::atom("dropped")),
        ("heartbeat", Value::Float(0.05)),
        ("language", Value::from("python")),
    ])
    .unwrap();
    let node = Node::with_options(options).unwrap();
    let stats = node.stats();
    let control = stats.get("control").expect("stats under control");
    let id = control
        .get("id")
        .and_then(Value::as_str)
        .unwrap()
        .to_owned();
    // Never run, it still says hello (with nothing to describe) and that it is alive.
    let (said, hello) = server.hello();
    assert_eq!(said, id);
    assert_eq!(hello.get("role").and_then(Value::as_str), Some("dropped"));
    assert_eq!(
        hello.get("language").and_then(Value::as_str),
        Some("python")
    );
    assert_eq!(hello.get("heartbeat_ms"), Some(&Value::Int(50)));
    assert_eq!(hello.get("routes"), Some(&Value::List(vec![])));
    server.until("alive", |h| h.report(&id, "dripdrop.alive").is_some());

    drop(node);
    server.until("goodbye", |h| h.report(&id, "dripdrop.goodbye").is_some());
    server.until(
        "its disconnection",
        |h| matches!(h, Heard::Disconnected(from) if from == &id),
    );
}

#[test]
fn without_a_server_the_node_runs_and_counts_the_reports_it_dropped() {
    // Nobody listens here yet: a path unique to this test, no port to collide on.
    let path = std::env::temp_dir().join(format!("dd-control-{}.ipc", std::process::id()));
    let endpoint = format!("ipc://{}", path.display());
    let _ = std::fs::remove_file(&path);
    let (dropped_tx, dropped) = bounded::<i64>(1);
    let options = reporting_to(&endpoint, Duration::from_millis(10));
    let (handle, thread) = spawn_node(options, move |node| {
        push_pull(node, "inproc://control-no-server", 1_000)?;
        node.every(Duration::from_millis(10), move |node| {
            let stats = node.stats();
            let received = stats
                .get("routes")
                .and_then(|r| r.get("in"))
                .and_then(|r| int(r, "messages_in"));
            let lost = stats.get("control").and_then(|c| int(c, "reports_dropped"));
            if let (Some(1_000), Some(lost @ 1..)) = (received, lost) {
                let _ = dropped_tx.try_send(lost);
            }
        });
        Ok(())
    });
    let lost = dropped
        .recv_timeout(support::control::PATIENCE)
        .expect("the node did its work and counted dropped reports");
    assert!(lost > 0);

    // The server appears: the next beats say what was lost meanwhile.
    let mut server = ControlServer::bind_at(&endpoint);
    let (id, _) = server.hello();
    server.until("a beat counting dropped reports", |h| {
        h.report(&id, "dripdrop.beat")
            .and_then(|b| int(b, "reports_dropped"))
            .is_some_and(|n| n >= lost)
    });
    handle.stop();
    thread.join().expect("the node's thread");
    drop(server);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_bad_control_address_is_an_error_not_a_panic() {
    let error = Node::with_options(reporting_to("nowhere", HEARTBEAT))
        .err()
        .expect("refused");
    assert_eq!(error.class_name(), "ZmqError");
    assert!(error.to_string().contains("nowhere"), "{error}");
    let error = Node::with_options(NodeOptions {
        heartbeat: Duration::ZERO,
        ..reporting_to("tcp://127.0.0.1:1", HEARTBEAT)
    })
    .err()
    .expect("refused");
    assert!(error.to_string().contains("heartbeat"), "{error}");
    // An empty address turns reporting off.
    let node = Node::with_options(reporting_to("", HEARTBEAT)).unwrap();
    assert!(node.stats().get("control").is_none());
}
