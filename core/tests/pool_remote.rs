//! A worker pool with remote workers (in this process, on threads, and raw DEALER sockets
//! speaking the protocol by hand): results, capability routing, a clean disconnect, a dead
//! worker's tasks running elsewhere, poison quarantine, and a pool that restarts.

mod support;

use dripdrop::bert::{decode, encode};
use dripdrop::{Error, Node, PoolOptions, Value, Worker, WorkerHandle, WorkerOptions};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::thread::JoinHandle;
use std::time::Duration;
use support::node::run_until_stopped;

const FAST_BEAT: Duration = Duration::from_millis(50);
/// Silent heartbeats before a peer is dead: half a second, so a busy machine does not make a
/// live worker look dead (the tests count deaths exactly).
const LIVENESS: u32 = 10;

/// A worker on its own thread that knows `tasks` (each answers `[worker name, args]`).
fn spawn_worker(endpoint: &str, name: &str, tasks: &[&str]) -> (WorkerHandle, JoinHandle<()>) {
    let options = WorkerOptions {
        concurrency: 2,
        heartbeat: FAST_BEAT,
        liveness: LIVENESS,
        name: Some(name.to_owned()),
        reconnect_min: Duration::from_millis(20),
        ..WorkerOptions::default()
    };
    let mut worker = Worker::new(&[endpoint], options).unwrap();
    for &task in tasks {
        let me = name.to_owned();
        worker.task(task, move |_, args| {
            Ok(Value::List(vec![Value::from(me.as_str()), args]))
        });
    }
    let handle = worker.handle();
    let thread = std::thread::spawn(move || worker.run().expect("worker runs"));
    (handle, thread)
}

fn remote_pool(node: &mut Node) -> String {
    let options = PoolOptions {
        heartbeat: FAST_BEAT,
        liveness: LIVENESS,
        ..PoolOptions::remote(&["tcp://127.0.0.1:*"])
    };
    node.worker_pool("p", options).unwrap().remove(0)
}

type Results = Rc<RefCell<HashMap<u64, Result<Value, Error>>>>;

/// Defers `count` tasks; the node stops when every result is in. Each id must come once.
fn defer_all(node: &mut Node, task: &str, count: u64) -> Results {
    let results: Results = Rc::new(RefCell::new(HashMap::new()));
    for i in 0..count {
        let sink = Rc::clone(&results);
        let id_cell = Rc::new(RefCell::new(0u64));
        let id_for_cb = Rc::clone(&id_cell);
        let id = node
            .pool("p")
            .unwrap()
            .defer(task, i, move |node, result| {
                let id = *id_for_cb.borrow();
                assert!(
                    sink.borrow_mut().insert(id, result).is_none(),
                    "result twice"
                );
                if sink.borrow().len() as u64 == count {
                    node.stop();
                }
            })
            .unwrap();
        *id_cell.borrow_mut() = id;
    }
    results
}

fn worker_of(result: &Result<Value, Error>) -> String {
    match result {
        Ok(Value::List(items)) => items[0].as_str().unwrap().to_owned(),
        other => panic!("expected [worker, args], got {other:?}"),
    }
}

fn pool_stat(node: &Node, key: &str) -> i64 {
    let stats = node.stats();
    match stats
        .get("pools")
        .and_then(|p| p.get("p"))
        .and_then(|p| p.get(key))
    {
        Some(Value::Int(n)) => *n,
        other => panic!("pools.p.{key} is {other:?}"),
    }
}

#[test]
fn tasks_run_on_remote_workers_and_each_result_comes_once() {
    let mut node = Node::new().unwrap();
    let endpoint = remote_pool(&mut node);
    let workers = [
        spawn_worker(&endpoint, "w1", &["echo"]),
        spawn_worker(&endpoint, "w2", &["echo"]),
    ];
    let results = defer_all(&mut node, "echo", 500);
    run_until_stopped(&mut node, "500 results");
    let results = results.borrow();
    assert_eq!(results.len(), 500);
    let by_w1 = results.values().filter(|r| worker_of(r) == "w1").count();
    assert!(
        by_w1 > 0 && by_w1 < 500,
        "both workers served: w1 ran {by_w1}"
    );
    assert_eq!(pool_stat(&node, "completed"), 500);
    assert_eq!(pool_stat(&node, "workers_alive"), 2);
    for (handle, thread) in workers {
        handle.stop();
        thread.join().unwrap();
    }
}

#[test]
fn a_task_goes_only_to_workers_that_announced_it() {
    let mut node = Node::new().unwrap();
    let endpoint = remote_pool(&mut node);
    let workers = [
        spawn_worker(&endpoint, "only-a", &["a"]),
        spawn_worker(&endpoint, "only-b", &["b"]),
    ];
    let a = defer_all(&mut node, "a", 100);
    run_until_stopped(&mut node, "the a tasks");
    let b = defer_all(&mut node, "b", 100);
    run_until_stopped(&mut node, "the b tasks");
    assert!(a.borrow().values().all(|r| worker_of(r) == "only-a"));
    assert!(b.borrow().values().all(|r| worker_of(r) == "only-b"));
    for (handle, thread) in workers {
        handle.stop();
        thread.join().unwrap();
    }
}

/// A worker written by hand on a raw DEALER socket: says READY and then does whatever the
/// test says.
struct RawWorker {
    socket: zmq::Socket,
    heartbeat_ms: i64,
    _context: zmq::Context,
}

fn atom(name: &str) -> Value {
    Value::atom(name)
}

impl RawWorker {
    fn connect(endpoint: &str, tasks: &[&str], heartbeat_ms: i64) -> RawWorker {
        let context = zmq::Context::new();
        let socket = context.socket(zmq::DEALER).unwrap();
        socket.set_linger(0).unwrap();
        socket.set_rcvtimeo(10_000).unwrap();
        socket.connect(endpoint).unwrap();
        let names = tasks.iter().map(|&t| Value::from(t)).collect();
        let ready = Value::Tuple(vec![
            atom("ready"),
            Value::Int(1),
            Value::Int(1),
            Value::List(names),
            Value::Int(heartbeat_ms),
            Value::Dict(vec![(Value::from("name"), Value::from("raw"))]),
        ]);
        socket.send(encode(&ready).unwrap(), 0).unwrap();
        RawWorker {
            socket,
            heartbeat_ms,
            _context: context,
        }
    }

    fn heartbeat(&self) {
        let heartbeat = encode(&Value::Tuple(vec![atom("heartbeat")])).unwrap();
        self.socket.send(heartbeat, 0).unwrap();
    }

    /// The next TASK sent to this worker (heartbeats skipped): its id and args. Until it
    /// comes the worker heartbeats like a live one, so the pool cannot call it dead before
    /// it took the task, however late the pool looks.
    fn next_task(&self) -> (i64, Value) {
        let heartbeat = encode(&Value::Tuple(vec![atom("heartbeat")])).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            assert!(std::time::Instant::now() < deadline, "no task came");
            if self.socket.poll(zmq::POLLIN, self.heartbeat_ms).unwrap() == 0 {
                self.socket.send(&heartbeat, 0).unwrap();
                continue;
            }
            let frame = self.socket.recv_bytes(0).expect("a frame from the pool");
            let Value::Tuple(items) = decode(&frame).unwrap() else {
                panic!("not a tuple")
            };
            if items[0] == atom("task") {
                let Value::Int(id) = items[1] else {
                    panic!("id")
                };
                return (id, items[3].clone());
            }
        }
    }
}

#[test]
fn a_silent_workers_tasks_run_elsewhere_and_poison_is_quarantined() {
    let mut node = Node::new().unwrap();
    let options = PoolOptions {
        heartbeat: FAST_BEAT,
        liveness: LIVENESS,
        max_attempts: 2,
        ..PoolOptions::remote(&["tcp://127.0.0.1:*"])
    };
    let endpoint = node.worker_pool("p", options).unwrap().remove(0);
    let results = defer_all(&mut node, "job", 1);
    // Two workers in a row take the task and go silent (no heartbeat, no result): the
    // second death quarantines it.
    let dead_worker = {
        let endpoint = endpoint.clone();
        std::thread::spawn(move || {
            let mut silent = Vec::new();
            for _ in 0..2 {
                let worker = RawWorker::connect(&endpoint, &["job"], 50);
                let (_, args) = worker.next_task();
                assert_eq!(args, Value::Int(0));
                // One heartbeat proves it alive (a peer that never did counts no death),
                // then not a word: the pool must notice by itself. The socket stays open,
                // so the heartbeat surely arrives. The next raw worker connects at once and
                // gets the requeued task.
                worker.heartbeat();
                silent.push(worker);
            }
            silent
        })
    };
    run_until_stopped(&mut node, "the quarantine");
    drop(dead_worker.join().unwrap());
    let results = results.borrow();
    let result = results.values().next().unwrap();
    assert!(
        matches!(result, Err(Error::WorkerLost { attempts: 2, .. })),
        "{result:?}"
    );
    assert_eq!(pool_stat(&node, "quarantined"), 1);
    assert_eq!(pool_stat(&node, "retried"), 1);
    assert_eq!(pool_stat(&node, "workers_lost"), 2);
}

#[test]
fn a_dead_workers_task_completes_on_another_worker() {
    let mut node = Node::new().unwrap();
    let endpoint = remote_pool(&mut node);
    let results = defer_all(&mut node, "echo", 1);
    let silent = {
        let endpoint = endpoint.clone();
        std::thread::spawn(move || {
            let worker = RawWorker::connect(&endpoint, &["echo"], 50);
            worker.next_task();
            worker
        })
    };
    // Only once the raw worker holds the task does a real one join.
    let raw = silent.join().unwrap();
    let (handle, thread) = spawn_worker(&endpoint, "survivor", &["echo"]);
    run_until_stopped(&mut node, "the requeued task");
    drop(raw);
    assert_eq!(
        worker_of(results.borrow().values().next().unwrap()),
        "survivor"
    );
    assert_eq!(pool_stat(&node, "retried"), 1);
    handle.stop();
    thread.join().unwrap();
}

#[test]
fn workers_serve_a_pool_that_restarts_on_the_same_address() {
    let mut node = Node::new().unwrap();
    let endpoint = remote_pool(&mut node);
    let (handle, thread) = spawn_worker(&endpoint, "w", &["echo"]);
    let first = defer_all(&mut node, "echo", 10);
    run_until_stopped(&mut node, "the first pool's tasks");
    assert_eq!(first.borrow().len(), 10);
    drop(node);

    let mut node = Node::new().unwrap();
    let options = PoolOptions {
        heartbeat: FAST_BEAT,
        liveness: LIVENESS,
        ..PoolOptions::remote(&[endpoint.as_str()])
    };
    // ZeroMQ closes the old listener in the background: the port is free a moment later.
    let started = std::time::Instant::now();
    while let Err(e) = node.worker_pool("p", options.clone()) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "rebinding: {e}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let second = defer_all(&mut node, "echo", 10);
    run_until_stopped(&mut node, "the restarted pool's tasks");
    assert!(second.borrow().values().all(|r| worker_of(r) == "w"));
    handle.stop();
    thread.join().unwrap();
}

#[test]
fn a_worker_that_stops_hands_its_tasks_back_without_a_death() {
    let mut node = Node::new().unwrap();
    let endpoint = remote_pool(&mut node);
    let raw = RawWorker::connect(&endpoint, &["echo"], 50);
    let results = defer_all(&mut node, "echo", 1);
    let taker = std::thread::spawn(move || {
        raw.next_task();
        let bye = encode(&Value::Tuple(vec![atom("disconnect")])).unwrap();
        raw.socket.send(bye, 0).unwrap();
        raw
    });
    let raw = taker.join().unwrap();
    let (handle, thread) = spawn_worker(&endpoint, "next", &["echo"]);
    run_until_stopped(&mut node, "the handed-back task");
    drop(raw);
    assert_eq!(worker_of(results.borrow().values().next().unwrap()), "next");
    assert_eq!(pool_stat(&node, "workers_lost"), 0);
    handle.stop();
    thread.join().unwrap();
}

#[test]
fn a_worker_stopped_with_a_task_in_hand_hands_it_back_without_a_death() {
    let mut node = Node::new().unwrap();
    let endpoint = remote_pool(&mut node);
    // The first worker's task blocks until the test lets it go, long after it stopped.
    let gate = std::sync::Arc::new(std::sync::Barrier::new(2));
    let options = WorkerOptions {
        concurrency: 1,
        heartbeat: FAST_BEAT,
        liveness: LIVENESS,
        name: Some("stopping".into()),
        ..WorkerOptions::default()
    };
    let mut stopping = Worker::new(&[endpoint.as_str()], options).unwrap();
    let (held_tx, held_rx) = std::sync::mpsc::channel();
    let task_gate = std::sync::Arc::clone(&gate);
    stopping.task("echo", move |_, args| {
        let _ = held_tx.send(());
        task_gate.wait();
        Ok(Value::List(vec![Value::from("stopping"), args]))
    });
    let handle = stopping.handle();
    let thread = std::thread::spawn(move || stopping.run().unwrap());
    let results = defer_all(&mut node, "echo", 1);
    // Run the loop (so the task goes out) until the worker holds it.
    let watch = node.every(Duration::from_millis(5), move |node| {
        if held_rx.try_recv().is_ok() {
            node.stop();
        }
    });
    run_until_stopped(&mut node, "the task to reach the first worker");
    node.cancel_timer(watch);
    handle.stop();
    thread.join().unwrap();
    let (next, next_thread) = spawn_worker(&endpoint, "next", &["echo"]);
    run_until_stopped(&mut node, "the handed-back task");
    assert_eq!(worker_of(results.borrow().values().next().unwrap()), "next");
    assert_eq!(pool_stat(&node, "workers_lost"), 0);
    assert_eq!(pool_stat(&node, "retried"), 1);
    gate.wait();
    next.stop();
    next_thread.join().unwrap();
}

#[test]
fn long_tasks_and_a_blocked_loop_do_not_make_a_worker_look_dead() {
    let mut node = Node::new().unwrap();
    let endpoint = remote_pool(&mut node);
    // Heartbeats every 50 ms, dead after 500 ms of silence; the task takes three times that.
    let options = WorkerOptions {
        concurrency: 1,
        heartbeat: FAST_BEAT,
        liveness: LIVENESS,
        name: Some("slow".into()),
        ..WorkerOptions::default()
    };
    let silence = FAST_BEAT * LIVENESS;
    let mut worker = Worker::new(&[endpoint.as_str()], options).unwrap();
    worker.task("slow", move |_, args| {
        std::thread::sleep(silence * 3);
        Ok(args)
    });
    let handle = worker.handle();
    let thread = std::thread::spawn(move || worker.run().unwrap());
    let results: Results = Rc::new(RefCell::new(HashMap::new()));
    let sink = Rc::clone(&results);
    node.pool("p")
        .unwrap()
        .defer("slow", 7, move |node, result| {
            sink.borrow_mut().insert(0, result);
            // The loop itself is blocked too, longer than the silence that means death:
            // the pool's own thread keeps answering the worker.
            std::thread::sleep(silence * 2);
            node.stop();
        })
        .unwrap();
    run_until_stopped(&mut node, "the slow task");
    assert_eq!(results.borrow()[&0], Ok(Value::Int(7)));
    assert_eq!(pool_stat(&node, "workers_lost"), 0);
    assert_eq!(pool_stat(&node, "retried"), 0);
    assert_eq!(pool_stat(&node, "workers_alive"), 1);
    handle.stop();
    thread.join().unwrap();
}

#[test]
fn local_first_spills_over_to_remote_workers_when_the_local_threads_are_busy() {
    let mut node = Node::new().unwrap();
    let gate = std::sync::Arc::new(std::sync::Barrier::new(2));
    let local_gate = std::sync::Arc::clone(&gate);
    node.task("echo", move |_, args| {
        local_gate.wait();
        Ok(Value::List(vec![Value::from("local"), args]))
    });
    let options = PoolOptions {
        heartbeat: FAST_BEAT,
        liveness: LIVENESS,
        local_threads: 1,
        placement: dripdrop::Placement::LocalFirst,
        ..PoolOptions::remote(&["tcp://127.0.0.1:*"])
    };
    let endpoint = node.worker_pool("p", options).unwrap().remove(0);
    let (handle, thread) = spawn_worker(&endpoint, "remote", &["echo"]);
    run_until_workers(&mut node, 1);
    // The first task takes the one local thread and holds it; the rest spill over.
    let results = defer_all(&mut node, "echo", 5);
    let release = node.every(Duration::from_millis(5), {
        let results = Rc::clone(&results);
        let mut gate = Some(gate);
        move |_| {
            if results.borrow().len() == 4 {
                if let Some(gate) = gate.take() {
                    std::thread::spawn(move || gate.wait());
                }
            }
        }
    });
    run_until_stopped(&mut node, "five results");
    node.cancel_timer(release);
    let mut by: Vec<String> = results.borrow().values().map(worker_of).collect();
    by.sort();
    assert_eq!(by, ["local", "remote", "remote", "remote", "remote"]);
    handle.stop();
    thread.join().unwrap();
}

/// Runs the node until `count` remote workers said READY.
fn run_until_workers(node: &mut Node, count: i64) {
    let watch = node.every(Duration::from_millis(5), move |node| {
        if pool_stat(node, "workers_alive") >= count {
            node.stop();
        }
    });
    run_until_stopped(node, "the workers' READY");
    node.cancel_timer(watch);
}
