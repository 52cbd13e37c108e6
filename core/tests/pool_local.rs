//! A worker pool on local threads: results, task errors and panics, backpressure, `map`,
//! cancel, deadlines, and the pool's counters.

mod support;

use dripdrop::{Error, Node, PoolOptions, TaskError, TaskOptions, Value};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Barrier};
use std::time::Duration;
use support::node::run_until_stopped;

fn node_with_tasks() -> Node {
    let mut node = Node::new().unwrap();
    node.task("double", |_, args| match args {
        Value::Int(n) => Ok(Value::Int(n * 2)),
        other => Err(TaskError::new(
            "ArgumentError",
            format!("not an integer: {other:?}"),
        )),
    });
    node.task("whoami", |ctx, _| {
        Ok(Value::List(vec![
            Value::from(ctx.id()),
            Value::from(ctx.name()),
            Value::from(u64::from(ctx.attempt())),
        ]))
    });
    node.task("panic", |_, _| panic!("task exploded"));
    node
}

type Results = Rc<RefCell<Vec<Result<Value, Error>>>>;

fn collector() -> Results {
    Rc::new(RefCell::new(Vec::new()))
}

#[test]
fn defer_runs_a_named_task_and_calls_back_on_the_loop() {
    let mut node = node_with_tasks();
    node.worker_pool("p", PoolOptions::local(2)).unwrap();
    let results = collector();
    let sink = Rc::clone(&results);
    let mut pool = node.pool("p").unwrap();
    let id = pool
        .defer("whoami", Value::Nil, |_, _| {})
        .expect("accepted");
    pool.defer("double", 21, move |node, result| {
        sink.borrow_mut().push(result);
        node.stop();
    })
    .unwrap();
    run_until_stopped(&mut node, "the task's result");
    assert_eq!(results.borrow().as_slice(), &[Ok(Value::Int(42))]);
    assert!(id > 0);
}

#[test]
fn the_handler_sees_its_task_id_name_and_attempt() {
    let mut node = node_with_tasks();
    node.worker_pool("p", PoolOptions::local(1)).unwrap();
    let seen = collector();
    let sink = Rc::clone(&seen);
    let id = node
        .pool("p")
        .unwrap()
        .defer("whoami", Value::Nil, move |node, result| {
            sink.borrow_mut().push(result);
            node.stop();
        })
        .unwrap();
    run_until_stopped(&mut node, "whoami");
    let expected = Value::List(vec![
        Value::from(id),
        Value::from("whoami"),
        Value::from(1u64),
    ]);
    assert_eq!(seen.borrow().as_slice(), &[Ok(expected)]);
}

#[test]
fn task_errors_panics_and_unknown_tasks_reach_the_callback_as_remote_errors() {
    let mut node = node_with_tasks();
    node.worker_pool("p", PoolOptions::local(2)).unwrap();
    let results = collector();
    for (task, args) in [("double", Value::from("x")), ("panic", Value::Nil)] {
        let sink = Rc::clone(&results);
        node.pool("p")
            .unwrap()
            .defer(task, args, move |node, result| {
                sink.borrow_mut().push(result);
                if sink.borrow().len() == 2 {
                    node.stop();
                }
            })
            .unwrap();
    }
    run_until_stopped(&mut node, "two failures");
    let mut classes: Vec<String> = results
        .borrow()
        .iter()
        .map(|r| match r {
            Err(Error::Remote { class, message, .. }) => format!("{class}: {message}"),
            other => panic!("expected a remote error, got {other:?}"),
        })
        .collect();
    classes.sort();
    assert_eq!(
        classes,
        [
            "ArgumentError: not an integer: Binary([120])",
            "Panic: task exploded"
        ]
    );
}

#[test]
fn a_task_no_thread_can_run_fails_with_no_worker_after_the_wait() {
    let mut node = node_with_tasks();
    let options = PoolOptions {
        no_worker_timeout: Some(Duration::from_millis(50)),
        ..PoolOptions::local(1)
    };
    node.worker_pool("p", options).unwrap();
    let results = collector();
    let sink = Rc::clone(&results);
    node.pool("p")
        .unwrap()
        .defer("nobody-knows-me", Value::Nil, move |node, result| {
            sink.borrow_mut().push(result);
            node.stop();
        })
        .unwrap();
    run_until_stopped(&mut node, "the no-worker failure");
    match results.borrow().as_slice() {
        [Err(Error::NoWorkerForTask {
            task, waited_ms, ..
        })] => {
            assert_eq!(task, "nobody-knows-me");
            assert!(*waited_ms >= 50);
        }
        other => panic!("expected NoWorkerForTask, got {other:?}"),
    };
}

/// A task that holds its thread until the test lets it go.
fn gated(node: &mut Node, gate: Arc<Barrier>) {
    node.task("gated", move |_, args| {
        gate.wait();
        Ok(args)
    });
}

#[test]
fn past_max_pending_defer_reports_backpressure_and_nothing_accepted_is_lost() {
    let mut node = node_with_tasks();
    let gate = Arc::new(Barrier::new(2));
    gated(&mut node, Arc::clone(&gate));
    let options = PoolOptions {
        max_pending: 3,
        ..PoolOptions::local(1)
    };
    node.worker_pool("p", options).unwrap();
    let results = collector();
    let mut pool = node.pool("p").unwrap();
    for i in 0..3 {
        let sink = Rc::clone(&results);
        pool.defer("gated", i, move |node, result| {
            sink.borrow_mut().push(result);
            if sink.borrow().len() == 3 {
                node.stop();
            }
        })
        .unwrap();
    }
    match pool.defer("gated", 3, |_, _| {}) {
        Err(Error::Backpressure { route, bound: 3 }) => assert_eq!(route, "pool p"),
        other => panic!("expected backpressure, got {other:?}"),
    }
    // Let the three accepted tasks through, one at a time.
    let releaser = std::thread::spawn(move || {
        for _ in 0..3 {
            gate.wait();
        }
    });
    run_until_stopped(&mut node, "the accepted tasks");
    releaser.join().unwrap();
    let mut got: Vec<Value> = results
        .borrow()
        .iter()
        .map(|r| r.clone().unwrap())
        .collect();
    got.sort_by_key(|v| format!("{v:?}"));
    assert_eq!(got, vec![Value::Int(0), Value::Int(1), Value::Int(2)]);
}

#[test]
fn map_feeds_every_item_through_a_small_window_and_then_calls_done() {
    let mut node = node_with_tasks();
    let options = PoolOptions {
        max_pending: 4,
        ..PoolOptions::local(2)
    };
    node.worker_pool("p", options).unwrap();
    let seen = Rc::new(RefCell::new(vec![None; 1000]));
    let peak = Rc::new(RefCell::new(0usize));
    let (sink, peak_sink) = (Rc::clone(&seen), Rc::clone(&peak));
    let items = (0..1000).map(Value::Int);
    node.pool("p")
        .unwrap()
        .map(
            "double",
            items,
            move |node, index, result| {
                let outstanding = node.pool("p").unwrap().outstanding();
                let mut peak = peak_sink.borrow_mut();
                *peak = (*peak).max(outstanding + 1);
                sink.borrow_mut()[index as usize] = Some(result.unwrap());
            },
            |node| node.stop(),
        )
        .unwrap();
    run_until_stopped(&mut node, "the map");
    let seen = seen.borrow();
    for (i, v) in seen.iter().enumerate() {
        assert_eq!(v.as_ref(), Some(&Value::Int(2 * i as i64)), "item {i}");
    }
    assert!(
        *peak.borrow() <= 4,
        "at most max_pending in flight, saw {}",
        peak.borrow()
    );
}

#[test]
fn an_item_that_cannot_be_read_ends_the_map_after_the_items_before_it_and_goes_to_on_error() {
    let mut node = node_with_tasks();
    node.worker_pool("p", PoolOptions::local(2)).unwrap();
    let errors = Rc::new(RefCell::new(Vec::new()));
    let error_sink = Rc::clone(&errors);
    node.on_error(move |_, e| error_sink.borrow_mut().push(e.to_string()));
    let results = Rc::new(RefCell::new(Vec::new()));
    let (sink, done) = (Rc::clone(&results), Rc::new(RefCell::new(false)));
    let done_flag = Rc::clone(&done);
    let items = vec![
        Ok(Value::Int(1)),
        Ok(Value::Int(2)),
        Err(Error::InvalidArgument("item 2 would not convert".into())),
        Ok(Value::Int(3)),
    ];
    node.pool("p")
        .unwrap()
        .try_map(
            "double",
            items,
            move |_, index, result| sink.borrow_mut().push((index, result)),
            move |node| {
                *done_flag.borrow_mut() = true;
                node.stop();
            },
        )
        .unwrap();
    run_until_stopped(&mut node, "the map's end");
    let mut results = results.borrow().clone();
    results.sort_by_key(|(index, _)| *index);
    assert_eq!(
        results,
        vec![(0, Ok(Value::Int(2))), (1, Ok(Value::Int(4)))],
        "the items before the bad one ran; none after it"
    );
    assert!(*done.borrow());
    assert_eq!(errors.borrow().as_slice(), ["item 2 would not convert"]);
}

#[test]
fn cancel_and_timeout_end_a_task_with_their_own_errors() {
    let mut node = node_with_tasks();
    let gate = Arc::new(Barrier::new(2));
    gated(&mut node, Arc::clone(&gate));
    node.worker_pool("p", PoolOptions::local(1)).unwrap();
    let results = collector();
    let record = |results: &Results| {
        let sink = Rc::clone(results);
        move |node: &mut Node, result| {
            sink.borrow_mut().push(result);
            if sink.borrow().len() == 3 {
                node.stop();
            }
        }
    };
    let mut pool = node.pool("p").unwrap();
    // The first holds the only thread; the second waits behind it and is cancelled; the
    // third times out while waiting.
    pool.defer("gated", 1, record(&results)).unwrap();
    let waiting = pool.defer("gated", 2, record(&results)).unwrap();
    let options = TaskOptions {
        timeout: Some(Duration::from_millis(30)),
    };
    pool.defer_with("gated", 3, options, record(&results))
        .unwrap();
    assert!(pool.cancel(waiting));
    assert!(!pool.cancel(12345));
    // Once the cancel and the timeout are in, let the first task go.
    node.every(Duration::from_millis(5), {
        let results = Rc::clone(&results);
        let mut gate = Some(gate);
        move |_| {
            if results.borrow().len() >= 2 {
                if let Some(gate) = gate.take() {
                    std::thread::spawn(move || gate.wait());
                }
            }
        }
    });
    run_until_stopped(&mut node, "cancel, timeout and the held task");
    let results = results.borrow().clone();
    assert!(
        matches!(&results[0], Err(Error::Cancelled { task, .. }) if task == "gated"),
        "{results:?}"
    );
    assert!(
        matches!(&results[1], Err(Error::TaskTimeout { timeout_ms: 30, .. })),
        "{results:?}"
    );
    assert_eq!(results[2], Ok(Value::Int(1)));
    let stats = node.stats();
    let pool = stats
        .get("pools")
        .and_then(|p| p.get("p"))
        .expect("pool stats");
    for (key, expected) in [
        ("completed", 1),
        ("cancelled", 1),
        ("timed_out", 1),
        ("pending", 0),
    ] {
        assert_eq!(
            pool.get(key),
            Some(&Value::Int(expected)),
            "{key} in {pool:?}"
        );
    }
}

#[test]
fn bad_pool_settings_and_names_are_invalid_arguments() {
    let mut node = node_with_tasks();
    assert!(matches!(
        node.worker_pool("p", PoolOptions::local(0)),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        node.worker_pool("p", PoolOptions::remote(&[])),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        node.worker_pool("p", PoolOptions::remote(&["bogus://x"])),
        Err(Error::Zmq { .. })
    ));
    node.worker_pool("p", PoolOptions::local(1)).unwrap();
    assert!(matches!(
        node.worker_pool("p", PoolOptions::local(1)),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(node.pool("q"), Err(Error::NoSuchPool(_))));
    assert!(matches!(
        node.pool("p").unwrap().defer("", Value::Nil, |_, _| {}),
        Err(Error::InvalidArgument(_))
    ));
}
