//! A worker pool served by `pool_worker` processes, as the pool tests drive it: starting the
//! pool and its workers, reading its counters, running the node until something holds.

use super::Program;
use dripdrop::{Error, Node, PoolOptions, TimerId, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

pub const WORKER: &str = env!("CARGO_BIN_EXE_pool_worker");
pub const HEARTBEAT: Duration = Duration::from_millis(100);
/// Silent heartbeats before a peer is dead: a second, so a busy machine running many tests
/// at once does not make a live worker look dead (the tests count deaths exactly).
pub const LIVENESS: u32 = 10;
/// How long a test lets its node run before it gives up.
pub const SAFETY: Duration = Duration::from_secs(120);

pub fn pool(node: &mut Node, max_attempts: u32) -> String {
    let options = PoolOptions {
        heartbeat: HEARTBEAT,
        liveness: LIVENESS,
        max_attempts,
        ..PoolOptions::remote(&["tcp://127.0.0.1:*"])
    };
    node.worker_pool("p", options).unwrap().remove(0)
}

pub fn worker(endpoint: &str, tasks: &str, extra: &[&str]) -> Program {
    let mut args = vec![
        "--connect",
        endpoint,
        "--tasks",
        tasks,
        "--heartbeat-ms",
        "100",
    ];
    args.extend_from_slice(&["--liveness", "10"]);
    args.extend_from_slice(extra);
    let mut program = Program::start(WORKER, &args);
    program.wait_for_line("worker ");
    program
}

pub fn pool_stat(node: &Node, key: &str) -> i64 {
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

/// Runs the node until `done` says so (checked as the loop turns), failing after `SAFETY`.
pub fn run_until(node: &mut Node, what: &str, done: impl Fn(&Node) -> bool + 'static) {
    let done = Rc::new(done);
    let check = Rc::clone(&done);
    let checker = node.every(Duration::from_millis(10), move |node| {
        if check(node) {
            node.stop();
        }
    });
    let timed_out = Rc::new(RefCell::new(false));
    let flag = Rc::clone(&timed_out);
    let safety = node.after(SAFETY, move |node| {
        *flag.borrow_mut() = true;
        node.stop();
    });
    node.run().unwrap();
    node.cancel_timer(checker);
    node.cancel_timer(safety);
    assert!(!*timed_out.borrow(), "gave up waiting for {what}");
    assert!(done(node), "stopped before {what}");
}

pub fn wait_for_workers(node: &mut Node, count: i64) {
    run_until(node, "the workers' READY", move |node| {
        pool_stat(node, "workers_alive") >= count
    });
}

pub type Results = Rc<RefCell<HashMap<u64, Result<Value, Error>>>>;

/// Feeds `count` items (0..count) to `task` through `map`; every index must come once.
pub fn map_all(node: &mut Node, task: &str, count: u64) -> Results {
    let results: Results = Rc::new(RefCell::new(HashMap::new()));
    let sink = Rc::clone(&results);
    node.pool("p")
        .unwrap()
        .map(
            task,
            (0..count).map(|i| Value::Int(i as i64)),
            move |_, index, result| {
                let earlier = sink.borrow_mut().insert(index, result);
                assert!(earlier.is_none(), "item {index} came back twice");
            },
            |_| {},
        )
        .unwrap();
    results
}

/// This process's resident memory, in bytes.
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("a VmRSS line")
        * 1024
}

/// The highest resident set size seen while the node runs, sampled every 20 ms from `start`
/// until `growth`.
pub struct PeakRss {
    before: u64,
    peak: Rc<RefCell<u64>>,
    sampler: TimerId,
}

impl PeakRss {
    pub fn start(node: &mut Node, before: u64) -> PeakRss {
        let peak = Rc::new(RefCell::new(before));
        let sampler = {
            let peak = Rc::clone(&peak);
            node.every(Duration::from_millis(20), move |_| {
                let now = rss_bytes();
                let mut peak = peak.borrow_mut();
                *peak = (*peak).max(now);
            })
        };
        PeakRss {
            before,
            peak,
            sampler,
        }
    }

    /// Stops sampling; returns how far the peak rose above the size at the start, in bytes.
    pub fn growth(self, node: &mut Node) -> u64 {
        node.cancel_timer(self.sampler);
        let peak = *self.peak.borrow();
        peak.saturating_sub(self.before)
    }
}
