//! The worker pool with worker *processes* (`pool_worker`): many tasks over three workers,
//! a worker SIGKILLed mid-run, a poison task, deadlines and cancel on a remote worker.

mod support;

use dripdrop::{Error, Node, PoolOptions, TaskOptions, Value};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::time::Duration;
use support::pool::*;
use support::Program;

fn pid_of(result: &Result<Value, Error>) -> u64 {
    match result {
        Ok(Value::List(items)) => match items[0] {
            Value::Int(pid) => pid as u64,
            _ => panic!("pid"),
        },
        other => panic!("expected [pid, args], got {other:?}"),
    }
}

#[test]
fn ten_thousand_tasks_over_three_worker_processes_each_come_back_once() {
    let mut node = Node::new().unwrap();
    let endpoint = pool(&mut node, 3);
    let workers: Vec<Program> = (0..3).map(|_| worker(&endpoint, "pid", &[])).collect();
    wait_for_workers(&mut node, 3);
    let results = map_all(&mut node, "pid", 10_000);
    run_until(&mut node, "10,000 results", {
        let results = Rc::clone(&results);
        move |_| results.borrow().len() == 10_000
    });
    let results = results.borrow();
    for index in 0..10_000u64 {
        match &results[&index] {
            Ok(Value::List(items)) => assert_eq!(items[1], Value::Int(index as i64)),
            other => panic!("item {index}: {other:?}"),
        }
    }
    let pids: HashSet<u64> = results.values().map(pid_of).collect();
    assert_eq!(pids.len(), 3, "all three workers served");
    assert_eq!(pool_stat(&node, "completed"), 10_000);
    assert_eq!(pool_stat(&node, "late_results"), 0);
    for w in workers {
        w.kill();
    }
}

/// Task ids each worker logged as it started them, with their attempt.
fn logged_runs(paths: &[std::path::PathBuf]) -> Vec<(u64, u32)> {
    paths
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .flat_map(|text| {
            text.lines()
                .filter_map(|line| {
                    let (id, attempt) = line.split_once(' ')?;
                    Some((id.parse().ok()?, attempt.parse().ok()?))
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn a_worker_killed_mid_run_loses_no_task_and_no_result_comes_twice() {
    let mut node = Node::new().unwrap();
    let endpoint = pool(&mut node, 3);
    let dir = std::env::temp_dir();
    let logs: Vec<_> = (0..3)
        .map(|i| dir.join(format!("dd-pool-kill-{}-{i}.log", std::process::id())))
        .collect();
    for log in &logs {
        let _ = std::fs::remove_file(log);
    }
    let mut workers: Vec<Option<Program>> = logs
        .iter()
        .map(|log| {
            Some(worker(
                &endpoint,
                "sleep",
                &["--log", log.to_str().unwrap()],
            ))
        })
        .collect();
    wait_for_workers(&mut node, 3);
    let victim = Rc::new(RefCell::new(workers[0].take()));
    // 2,000 tasks of 2 ms over 3 workers of 4 threads: a few hundred ms of work. The first
    // worker is SIGKILLed once 300 results are in, with tasks in its hands.
    let results: Results = Rc::new(RefCell::new(HashMap::new()));
    let (sink, killer) = (Rc::clone(&results), Rc::clone(&victim));
    node.pool("p")
        .unwrap()
        .map(
            "sleep",
            (0..2000).map(|_| Value::Int(2)),
            move |_, index, result| {
                assert!(sink.borrow_mut().insert(index, result).is_none(), "twice");
                if sink.borrow().len() == 300 {
                    if let Some(worker) = killer.borrow_mut().take() {
                        worker.kill();
                    }
                }
            },
            |_| {},
        )
        .unwrap();
    run_until(&mut node, "2,000 results", {
        let results = Rc::clone(&results);
        move |_| results.borrow().len() == 2000
    });
    assert!(victim.borrow().is_none(), "the worker was killed");
    let results = results.borrow();
    assert!(results.values().all(|r| r == &Ok(Value::Int(2))));
    assert_eq!(pool_stat(&node, "completed"), 2000);
    assert_eq!(pool_stat(&node, "workers_lost"), 1);
    let retried = pool_stat(&node, "retried");
    assert!(retried >= 1, "the killed worker held tasks that ran again");
    let runs = logged_runs(&logs);
    let distinct: HashSet<u64> = runs.iter().map(|(id, _)| *id).collect();
    let ran_twice = runs.len() - distinct.len();
    println!("killed one of 3 workers: {retried} tasks requeued, {ran_twice} ran twice");
    assert_eq!(distinct.len(), 2000, "every task started somewhere");
    assert!(ran_twice as i64 <= retried);
    for w in workers.into_iter().flatten() {
        w.kill();
    }
    for log in &logs {
        let _ = std::fs::remove_file(log);
    }
}

#[test]
fn a_task_that_kills_every_worker_is_quarantined_and_the_rest_finish() {
    let mut node = Node::new().unwrap();
    let endpoint = pool(&mut node, 3);
    // The crashers know only the poison, so the echoes all go to the survivor (an echo
    // held by a crasher would die with it, and after three such deaths be poison too).
    let crashers: Vec<Program> = (0..3).map(|_| worker(&endpoint, "crash", &[])).collect();
    let survivor = worker(&endpoint, "echo", &[]);
    wait_for_workers(&mut node, 4);
    let poison: Results = Rc::new(RefCell::new(HashMap::new()));
    let sink = Rc::clone(&poison);
    node.pool("p")
        .unwrap()
        .defer("crash", Value::Nil, move |_, result| {
            sink.borrow_mut().insert(0, result);
        })
        .unwrap();
    let echoes = map_all(&mut node, "echo", 200);
    run_until(&mut node, "the poison and the echoes", {
        let (poison, echoes) = (Rc::clone(&poison), Rc::clone(&echoes));
        move |_| poison.borrow().len() == 1 && echoes.borrow().len() == 200
    });
    let poison = poison.borrow();
    assert!(
        matches!(&poison[&0], Err(Error::WorkerLost { attempts: 3, task, .. }) if task == "crash"),
        "{poison:?}"
    );
    assert!(echoes.borrow().values().all(Result::is_ok));
    assert_eq!(pool_stat(&node, "quarantined"), 1);
    assert_eq!(pool_stat(&node, "workers_lost"), 3);
    drop(crashers);
    survivor.kill();
}

#[test]
fn deadline_and_cancel_free_a_remote_workers_thread() {
    let mut node = Node::new().unwrap();
    let endpoint = pool(&mut node, 3);
    let w = worker(&endpoint, "sleep,echo", &["--concurrency", "1"]);
    wait_for_workers(&mut node, 1);
    let results: Results = Rc::new(RefCell::new(HashMap::new()));
    let record = |key: u64| {
        let sink = Rc::clone(&results);
        move |_: &mut Node, result| {
            sink.borrow_mut().insert(key, result);
        }
    };
    let mut pool = node.pool("p").unwrap();
    // A 60 s task with a 200 ms deadline, then a 60 s task cancelled, then a quick one: the
    // single-thread worker can only run the last if it gave up on the first two.
    let options = TaskOptions {
        timeout: Some(Duration::from_millis(200)),
    };
    pool.defer_with("sleep", 60_000, options, record(0))
        .unwrap();
    let cancelled = pool.defer("sleep", 60_000, record(1)).unwrap();
    pool.defer("echo", "quick", record(2)).unwrap();
    node.after(Duration::from_millis(300), move |node| {
        assert!(node.pool("p").unwrap().cancel(cancelled));
    });
    run_until(&mut node, "all three", {
        let results = Rc::clone(&results);
        move |_| results.borrow().len() == 3
    });
    let results = results.borrow();
    assert!(
        matches!(
            &results[&0],
            Err(Error::TaskTimeout {
                timeout_ms: 200,
                ..
            })
        ),
        "{results:?}"
    );
    assert!(
        matches!(&results[&1], Err(Error::Cancelled { .. })),
        "{results:?}"
    );
    assert_eq!(results[&2], Ok(Value::from("quick")));
    w.kill();
}

#[test]
fn a_worker_process_serves_the_pool_again_after_the_pool_restarts() {
    let mut node = Node::new().unwrap();
    let endpoint = pool(&mut node, 3);
    let w = worker(&endpoint, "pid", &[]);
    wait_for_workers(&mut node, 1);
    let first = map_all(&mut node, "pid", 50);
    run_until(&mut node, "the first pool's tasks", {
        let first = Rc::clone(&first);
        move |_| first.borrow().len() == 50
    });
    drop(node);

    // A new pool on the same address (ZeroMQ frees the port a moment after the old socket
    // closes). The worker was told DISCONNECT and says READY to whoever answers now.
    let mut node = Node::new().unwrap();
    let options = PoolOptions {
        heartbeat: HEARTBEAT,
        liveness: LIVENESS,
        ..PoolOptions::remote(&[endpoint.as_str()])
    };
    let started = std::time::Instant::now();
    while let Err(e) = node.worker_pool("p", options.clone()) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "rebinding: {e}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let second = map_all(&mut node, "pid", 50);
    run_until(&mut node, "the restarted pool's tasks", {
        let second = Rc::clone(&second);
        move |_| second.borrow().len() == 50
    });
    let pids: HashSet<u64> = first
        .borrow()
        .values()
        .chain(second.borrow().values())
        .map(pid_of)
        .collect();
    assert_eq!(pids.len(), 1, "the same worker process served both pools");
    w.kill();
}

/// The largest credit (concurrency + prefetch) the pool's stats show for any worker.
fn largest_credit(node: &Node) -> i64 {
    let stats = node.stats();
    let workers = stats
        .get("pools")
        .and_then(|p| p.get("p"))
        .and_then(|p| p.get("workers"));
    let Some(Value::Dict(workers)) = workers else {
        panic!("pools.p.workers is {workers:?}");
    };
    workers
        .iter()
        .filter_map(|(_, w)| match w.get("credit") {
            Some(Value::Int(n)) => Some(*n),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn the_default_prefetch_grows_on_short_tasks_and_long_ones_still_spread_evenly() {
    let mut node = Node::new().unwrap();
    let endpoint = pool(&mut node, 3);
    let dir = std::env::temp_dir();
    let logs: Vec<_> = (0..2)
        .map(|i| dir.join(format!("dd-pool-spread-{}-{i}.log", std::process::id())))
        .collect();
    let workers: Vec<Program> = logs
        .iter()
        .map(|log| {
            let _ = std::fs::remove_file(log);
            let log = log.to_str().unwrap();
            worker(
                &endpoint,
                "echo,sleep",
                &["--concurrency", "1", "--log", log],
            )
        })
        .collect();
    wait_for_workers(&mut node, 2);
    assert_eq!(
        largest_credit(&node),
        2,
        "concurrency 1 and a prefetch of 1 to start"
    );

    // Short tasks: the credit grows while they run.
    let largest = Rc::new(RefCell::new(0));
    let seen = Rc::clone(&largest);
    let sampler = node.every(Duration::from_millis(5), move |node| {
        let credit = largest_credit(node);
        let mut seen = seen.borrow_mut();
        *seen = credit.max(*seen);
    });
    let results = map_all(&mut node, "echo", 20_000);
    run_until(&mut node, "20,000 echoes", {
        let results = Rc::clone(&results);
        move |_| results.borrow().len() == 20_000
    });
    node.cancel_timer(sampler);
    assert!(
        *largest.borrow() > 16,
        "credit never grew past {}",
        largest.borrow()
    );

    // Long tasks, all at once: three to each worker, not six to the one with most credit.
    const LONG: usize = 6;
    let done = Rc::new(RefCell::new(Vec::new()));
    let mut ids = HashSet::new();
    for _ in 0..LONG {
        let done = Rc::clone(&done);
        let id = node
            .pool("p")
            .unwrap()
            .defer("sleep", 200, move |_, result| {
                done.borrow_mut().push(result)
            })
            .unwrap();
        ids.insert(id);
    }
    run_until(&mut node, "the long tasks", {
        let done = Rc::clone(&done);
        move |_| done.borrow().len() == LONG
    });
    assert!(done.borrow().iter().all(|r| r == &Ok(Value::Int(200))));
    let per_worker: Vec<usize> = logs
        .iter()
        .map(|log| {
            logged_runs(std::slice::from_ref(log))
                .iter()
                .filter(|(id, _)| ids.contains(id))
                .count()
        })
        .collect();
    assert_eq!(per_worker, vec![3, 3], "long tasks per worker");
    for (w, log) in workers.into_iter().zip(&logs) {
        w.kill();
        let _ = std::fs::remove_file(log);
    }
}

#[test]
fn a_million_tasks_through_map_keep_memory_flat() {
    let mut node = Node::new().unwrap();
    let options = PoolOptions {
        heartbeat: HEARTBEAT,
        liveness: LIVENESS,
        // The default prefetch: it grows on trivial tasks (with the old fixed 1, a million
        // round trips took minutes).
        ..PoolOptions::remote(&["tcp://127.0.0.1:*"])
    };
    let endpoint = node.worker_pool("p", options).unwrap().remove(0);
    let workers: Vec<Program> = (0..2)
        .map(|_| worker(&endpoint, "double", &["--concurrency", "1"]))
        .collect();
    wait_for_workers(&mut node, 2);
    let before = rss_bytes();
    let peak = PeakRss::start(&mut node, before);
    const COUNT: u64 = 1_000_000;
    let (done, sum) = (Rc::new(RefCell::new(0u64)), Rc::new(RefCell::new(0i64)));
    let (seen, total) = (Rc::clone(&done), Rc::clone(&sum));
    // The items are made as the feeder asks for them: a producer far faster than the
    // workers, held back by the pool's bound.
    node.pool("p")
        .unwrap()
        .map(
            "double",
            (0..COUNT).map(|i| Value::Int(i as i64)),
            move |_, _, result| {
                *seen.borrow_mut() += 1;
                match result {
                    Ok(Value::Int(n)) => *total.borrow_mut() += n,
                    other => panic!("{other:?}"),
                }
            },
            |_| {},
        )
        .unwrap();
    run_until(&mut node, "a million results", {
        let done = Rc::clone(&done);
        move |_| *done.borrow() == COUNT
    });
    let n = COUNT as i64;
    assert_eq!(*sum.borrow(), n * (n - 1), "every item doubled once");
    let grew = peak.growth(&mut node);
    println!(
        "a million tasks through map: RSS grew {:.1} MB",
        grew as f64 / 1e6
    );
    assert!(grew < 50_000_000, "RSS grew {grew} bytes");
    for w in workers {
        w.kill();
    }
}
