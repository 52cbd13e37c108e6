//! `bench pool_remote` and `bench pool_local`.
//!
//! `pool_remote`: trivial tasks (an integer in, the same integer out) fed with `map` through
//! a pool served by two worker processes on tcp loopback, divided by a raw libzmq pipeline
//! through the same two processes in the same run: the bench PUSHes the bytes of a task
//! frame, each process's raw thread PULLs them and PUSHes them back, and the bench PULLs
//! them. The worker processes are this program again (`bench __pool-worker ...`), serving
//! both the pool and the raw pipeline, one at a time. After the rounds, a memory run feeds
//! a million tasks through `map` and reports how much the pool's process grew (VmRSS).
//!
//! `pool_local`: the same tasks through a pool of local threads, divided by `Node::defer`
//! doing the same work on as many threads, the same number in flight.

use crate::{compare, rate, Size};
use dripdrop::{Node, NodeOptions, PoolOptions, Value, Worker, WorkerOptions};
use dripdrop_examples::http_load::control;
use dripdrop_examples::Fallible;
use std::cell::Cell;
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Tasks a remote worker is sent beyond its one running task: trivial tasks need many in
/// flight to hide the round trip.
pub const PREFETCH: usize = 512;
pub const WORKERS: usize = 2;

/// The worker-process side: a DripDrop worker for the pool and a raw echo thread.
pub fn serve(pool: &str, raw_tasks: &str, raw_results: &str) -> Fallible<()> {
    let context = zmq::Context::new();
    let pull = context.socket(zmq::PULL)?;
    pull.connect(raw_tasks)?;
    let push = context.socket(zmq::PUSH)?;
    push.set_linger(0)?;
    push.connect(raw_results)?;
    std::thread::spawn(move || -> Fallible<()> {
        let mut frame = zmq::Message::new();
        loop {
            pull.recv(&mut frame, 0)?;
            push.send(&frame[..], 0)?;
        }
    });
    let options = WorkerOptions {
        concurrency: 1,
        ..WorkerOptions::default()
    };
    let mut worker = Worker::new(&[pool], options)?;
    worker.task("noop", |_, args| Ok(args));
    // `pool_prefetch`'s long task: sleeps the milliseconds it is given and says which
    // process ran it.
    worker.task("sleep", |_, args| {
        let ms = match args {
            Value::Int(ms) => ms.clamp(0, 10_000) as u64,
            _ => 0,
        };
        std::thread::sleep(Duration::from_millis(ms));
        Ok(Value::from(u64::from(std::process::id())))
    });
    worker.run()?;
    Ok(())
}

/// The node of a pool bench: one thread for its own `defer` (the pool has threads of its own).
pub fn bench_node() -> Fallible<Node> {
    Ok(Node::with_options(NodeOptions {
        defer_threads: 1,
        ..NodeOptions::default()
    })?)
}

/// The bench's ends of the raw pipeline, bound on tcp loopback: frames go out on `tasks` to
/// the worker processes' echo threads and come back on `results`.
pub struct RawPipeline {
    pub tasks: zmq::Socket,
    pub results: zmq::Socket,
    // Dropped after the sockets (fields drop in order).
    _context: zmq::Context,
}

impl RawPipeline {
    pub fn bind() -> Fallible<Self> {
        let context = zmq::Context::new();
        let tasks = context.socket(zmq::PUSH)?;
        tasks.set_linger(0)?;
        tasks.bind("tcp://127.0.0.1:*")?;
        let results = context.socket(zmq::PULL)?;
        results.bind("tcp://127.0.0.1:*")?;
        Ok(RawPipeline {
            tasks,
            results,
            _context: context,
        })
    }

    /// Where the echo threads connect: tasks, then results.
    pub fn endpoints(&self) -> Fallible<[String; 2]> {
        Ok([last_endpoint(&self.tasks)?, last_endpoint(&self.results)?])
    }
}

/// Worker processes, killed when dropped.
pub struct Processes(pub Vec<Child>);

/// Starts the worker processes of the pool at `endpoint` (their raw threads connecting to
/// `raw`, tasks then results); with `curve_dir`, given their CURVE keys by
/// `DRIPDROP_CURVE_DIR` alone, else with it removed from their environment.
pub fn spawn_workers(
    endpoint: &str,
    raw: &[String; 2],
    curve_dir: Option<&std::path::Path>,
) -> Fallible<Processes> {
    let exe = std::env::current_exe()?;
    let mut children = Processes(Vec::new());
    for _ in 0..WORKERS {
        let mut command = Command::new(&exe);
        command
            .args(["__pool-worker", endpoint, &raw[0], &raw[1]])
            .stdin(Stdio::null());
        match curve_dir {
            Some(dir) => command.env("DRIPDROP_CURVE_DIR", dir),
            None => command.env_remove("DRIPDROP_CURVE_DIR"),
        };
        children.0.push(command.spawn()?);
    }
    Ok(children)
}

/// Waits for a pool's worker processes to say READY.
pub fn wait_for_workers(node: &mut Node, pool: &str) -> Fallible<()> {
    control::wait_for_workers(node, pool, WORKERS as u64, Duration::from_secs(30))?;
    Ok(())
}

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn run_remote(size: Size) -> Fallible<f64> {
    let count = size.count_or(2_000, 200_000);
    let mut node = bench_node()?;
    let options = PoolOptions {
        prefetch: Some(PREFETCH),
        ..PoolOptions::remote(&["tcp://127.0.0.1:*"])
    };
    let endpoint = node.worker_pool("bench", options)?.remove(0);
    node.task("noop", |_, args| Ok(args));

    let raw = RawPipeline::bind()?;
    let (tasks, results) = (&raw.tasks, &raw.results);
    let _processes = spawn_workers(&endpoint, &raw.endpoints()?, None)?;
    wait_for_workers(&mut node, "bench")?;
    println!(
        "pool_remote: {count} trivial tasks a round through {WORKERS} worker processes \
         (concurrency 1, prefetch {PREFETCH}), tcp loopback, {} rounds",
        size.rounds
    );
    let frame = task_frame()?;
    // Warm both paths up once.
    pool_round(&mut node, "bench", count / 10 + 1)?;
    raw_round(tasks, results, &frame, count / 10 + 1)?;
    let node = std::cell::RefCell::new(node);
    let ratio = compare(
        "pool_remote",
        "task",
        size,
        || pool_round(&mut node.borrow_mut(), "bench", count),
        || raw_round(tasks, results, &frame, count),
        "raw zmq",
    )?;
    let tasks_total = size.count_or(20_000, 1_000_000);
    memory_run(&mut node.borrow_mut(), tasks_total)?;
    Ok(ratio)
}

pub fn last_endpoint(socket: &zmq::Socket) -> Fallible<String> {
    Ok(socket
        .get_last_endpoint()?
        .map_err(|_| "endpoint is not UTF-8")?)
}

/// The bytes of a typical task frame, which the raw side moves.
pub fn task_frame() -> Fallible<Vec<u8>> {
    Ok(dripdrop::bert::encode(&Value::Tuple(vec![
        Value::atom("task"),
        Value::from(1u64 << 62),
        Value::from("noop"),
        Value::Int(12345),
        Value::Int(1),
        Value::Nil,
    ]))?)
}

/// Feeds `count` tasks through `map` on `pool` and times them to the last result.
pub fn pool_round(node: &mut Node, pool: &str, count: u64) -> Fallible<f64> {
    let done = Rc::new(Cell::new(0u64));
    let failed = Rc::new(Cell::new(false));
    let (seen, bad) = (Rc::clone(&done), Rc::clone(&failed));
    let started = Instant::now();
    node.pool(pool)?.map(
        "noop",
        (0..count).map(|i| Value::Int(i as i64)),
        move |node, _, result| {
            if result.is_err() {
                bad.set(true);
            }
            seen.set(seen.get() + 1);
            if seen.get() == count {
                node.stop();
            }
        },
        |_| {},
    )?;
    node.run()?;
    let elapsed = started.elapsed();
    if failed.get() || done.get() != count {
        return Err("pool_remote: a task failed".into());
    }
    Ok(rate(count, elapsed))
}

/// Pushes `count` frames out to the processes and pulls them back, timed to the last.
fn raw_round(
    tasks: &zmq::Socket,
    results: &zmq::Socket,
    frame: &[u8],
    count: u64,
) -> Fallible<f64> {
    let started = Instant::now();
    let (mut sent, mut received) = (0u64, 0u64);
    let mut reply = zmq::Message::new();
    // One thread both sends and receives without blocking, so neither side's pipe fills and
    // stalls the other (the pool's node thread is one thread too).
    while received < count {
        let mut items = [
            tasks.as_poll_item(if sent < count {
                zmq::POLLOUT
            } else {
                zmq::PollEvents::empty()
            }),
            results.as_poll_item(zmq::POLLIN),
        ];
        zmq::poll(&mut items, 10_000)?;
        while sent < count && tasks.send(frame, zmq::DONTWAIT).is_ok() {
            sent += 1;
        }
        while results.recv(&mut reply, zmq::DONTWAIT).is_ok() {
            received += 1;
        }
        if started.elapsed() > Duration::from_secs(120) {
            return Err("pool_remote: the raw pipeline stalled".into());
        }
    }
    Ok(rate(count, started.elapsed()))
}

/// This process's resident memory, in bytes.
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Feeds `count` tasks through `map` and reports how much the process grew meanwhile.
fn memory_run(node: &mut Node, count: u64) -> Fallible<()> {
    let before = rss_bytes();
    let peak = Rc::new(Cell::new(before));
    let sampler = {
        let peak = Rc::clone(&peak);
        node.every(Duration::from_millis(20), move |_| {
            peak.set(peak.get().max(rss_bytes()))
        })
    };
    let started = Instant::now();
    let rate = pool_round(node, "bench", count)?;
    node.cancel_timer(sampler);
    let peak = peak.get().max(rss_bytes());
    let grew = peak.saturating_sub(before) as f64 / 1e6;
    println!(
        "pool_remote memory: {count} tasks through map in {:.1} s ({:.0} tasks/s): \
         RSS {:.1} MB before, peak {:.1} MB, growth {grew:.1} MB",
        started.elapsed().as_secs_f64(),
        rate,
        before as f64 / 1e6,
        peak as f64 / 1e6,
    );
    Ok(())
}

pub fn run_local(size: Size) -> Fallible<f64> {
    let count = size.count_or(2_000, 200_000);
    let threads = 2;
    let in_flight = size.in_flight.unwrap_or(256);
    let mut node = Node::with_options(NodeOptions {
        defer_threads: threads,
        ..NodeOptions::default()
    })?;
    node.task("noop", |_, args| Ok(args));
    let options = PoolOptions {
        max_pending: in_flight as usize,
        ..PoolOptions::local(threads)
    };
    node.worker_pool("bench", options)?;
    println!(
        "pool_local: {count} trivial tasks a round, {threads} threads, {in_flight} in flight, \
         {} rounds",
        size.rounds
    );
    let node = std::cell::RefCell::new(node);
    pool_round(&mut node.borrow_mut(), "bench", count / 10 + 1)?;
    compare(
        "pool_local",
        "task",
        size,
        || pool_round(&mut node.borrow_mut(), "bench", count),
        || defer_round(&mut node.borrow_mut(), count, in_flight),
        "local defer",
    )
}

/// The same work through `Node::defer`, `in_flight` at a time.
fn defer_round(node: &mut Node, count: u64, in_flight: u64) -> Fallible<f64> {
    let done = Rc::new(Cell::new(0u64));
    let next = Rc::new(Cell::new(0u64));
    fn submit(node: &mut Node, count: u64, done: Rc<Cell<u64>>, next: Rc<Cell<u64>>) {
        if next.get() >= count {
            return;
        }
        let i = next.get();
        next.set(i + 1);
        node.defer(
            move || Value::Int(i as i64),
            move |node, _result: Result<Value, dripdrop::Error>| {
                done.set(done.get() + 1);
                if done.get() == count {
                    node.stop();
                } else {
                    submit(node, count, done, next);
                }
            },
        );
    }
    let started = Instant::now();
    for _ in 0..in_flight.min(count) {
        submit(node, count, Rc::clone(&done), Rc::clone(&next));
    }
    node.run()?;
    Ok(rate(count, started.elapsed()))
}
