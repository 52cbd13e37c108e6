//! `bench defer`: `Node::defer` against a bare crossbeam-channel thread pool.
//!
//! Both sides run `count` trivial tasks on a pool of the same size with at most `in_flight`
//! submitted and not yet answered: each result, handled on one thread (the node's loop, or
//! the bare pool's consumer), submits the next task. The bare pool is what `defer` is built
//! on: boxed jobs over one channel to the workers, results back over another.

use crate::{compare, rate, Size};
use crossbeam_channel::{unbounded, Receiver, Sender};
use dripdrop::{Node, NodeOptions};
use dripdrop_examples::Fallible;
use std::cell::RefCell;
use std::hint::black_box;
use std::rc::Rc;
use std::thread;
use std::time::{Duration, Instant};

/// Tasks submitted and not yet answered, on both sides, unless `--in-flight` says otherwise.
const IN_FLIGHT: u64 = 256;
/// How long a round may take before the benchmark gives up on it.
const ROUND_TIMEOUT: Duration = Duration::from_secs(30);

/// The trivial work of a task.
fn work(i: u64) -> u64 {
    black_box(i).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 7
}

pub fn run(size: Size) -> Fallible<f64> {
    let count = size.count_or(2_000, 1_000_000);
    let in_flight = size.in_flight.unwrap_or(IN_FLIGHT);
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    println!(
        "defer: {count} tasks a round, {threads} pool threads, {in_flight} in flight, {} rounds",
        size.rounds
    );
    let mut pool = BarePool::start(threads);
    let result = compare(
        "defer",
        "task",
        size,
        || dripdrop_round(threads, count, in_flight),
        || pool.round(count, in_flight),
        "crossbeam pool",
    );
    pool.stop();
    result
}

/// What the node's callbacks keep between tasks.
struct Tally {
    submitted: u64,
    done: u64,
    sum: u64,
    count: u64,
    elapsed: Option<Duration>,
    started: Instant,
    error: Option<String>,
}

fn dripdrop_round(threads: usize, count: u64, in_flight: u64) -> Fallible<f64> {
    let mut node = Node::with_options(NodeOptions {
        defer_threads: threads,
        ..NodeOptions::default()
    })?;
    let tally = Rc::new(RefCell::new(Tally {
        submitted: 0,
        done: 0,
        sum: 0,
        count,
        elapsed: None,
        started: Instant::now(),
        error: None,
    }));
    // A watchdog: if the results stop coming, the round fails instead of hanging.
    let watched = Rc::clone(&tally);
    node.after(ROUND_TIMEOUT, move |node| {
        let mut t = watched.borrow_mut();
        t.error = Some(format!(
            "defer: round not done after {} s: {} of {} results came back, the loop waits \
             for the rest",
            ROUND_TIMEOUT.as_secs(),
            t.done,
            t.count
        ));
        node.stop();
    });
    let first = Rc::clone(&tally);
    node.next_tick(move |node| {
        first.borrow_mut().started = Instant::now();
        for _ in 0..in_flight.min(count) {
            submit(node, Rc::clone(&first));
        }
    });
    node.run()?;
    let tally = tally.borrow();
    if let Some(e) = &tally.error {
        return Err(e.clone().into());
    }
    black_box(tally.sum);
    let elapsed = tally.elapsed.ok_or("defer: the node stopped early")?;
    Ok(rate(count, elapsed))
}

/// Defers the next task; its callback, on the node's thread, submits the one after.
fn submit(node: &mut Node, tally: Rc<RefCell<Tally>>) {
    let i = {
        let mut t = tally.borrow_mut();
        t.submitted += 1;
        t.submitted
    };
    node.defer(
        move || work(i),
        move |node, result| {
            let more = {
                let mut t = tally.borrow_mut();
                match result {
                    Ok(value) => t.sum = t.sum.wrapping_add(value),
                    Err(e) => {
                        t.error = Some(format!("defer: {e}"));
                        node.stop();
                        return;
                    }
                }
                t.done += 1;
                if t.done == t.count {
                    t.elapsed = Some(t.started.elapsed());
                    node.stop();
                }
                t.submitted < t.count
            };
            if more {
                submit(node, tally);
            }
        },
    );
}

type Job = Box<dyn FnOnce() -> u64 + Send>;

/// A plain thread pool: jobs in over one channel, `(id, result)` out over another to the one
/// thread that submitted them.
struct BarePool {
    jobs: Option<Sender<(u64, Job)>>,
    results: Receiver<(u64, u64)>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl BarePool {
    fn start(threads: usize) -> BarePool {
        let (job_tx, job_rx) = unbounded::<(u64, Job)>();
        let (result_tx, result_rx) = unbounded();
        let threads = (0..threads)
            .map(|_| {
                let jobs = job_rx.clone();
                let results = result_tx.clone();
                thread::spawn(move || {
                    while let Ok((id, job)) = jobs.recv() {
                        if results.send((id, job())).is_err() {
                            return;
                        }
                    }
                })
            })
            .collect();
        BarePool {
            jobs: Some(job_tx),
            results: result_rx,
            threads,
        }
    }

    /// Runs `count` tasks with `in_flight` at a time; results are consumed on this thread.
    fn round(&mut self, count: u64, in_flight: u64) -> Fallible<f64> {
        let jobs = self.jobs.as_ref().ok_or("pool stopped")?;
        let submit = |i: u64| -> Fallible<()> {
            jobs.send((i, Box::new(move || work(i))))
                .map_err(|_| "pool threads gone")?;
            Ok(())
        };
        let started = Instant::now();
        let mut submitted = 0;
        while submitted < in_flight.min(count) {
            submitted += 1;
            submit(submitted)?;
        }
        let mut sum = 0u64;
        for _ in 0..count {
            let (_, value) = self
                .results
                .recv_timeout(ROUND_TIMEOUT)
                .map_err(|_| "defer: the bare pool stopped answering")?;
            sum = sum.wrapping_add(value);
            if submitted < count {
                submitted += 1;
                submit(submitted)?;
            }
        }
        let elapsed = started.elapsed();
        black_box(sum);
        Ok(rate(count, elapsed))
    }

    fn stop(&mut self) {
        self.jobs.take();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}
