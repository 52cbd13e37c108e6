//! `bench pool_latency`: one task at a time, the round trip of `defer` through a pool served
//! by one worker process (tcp loopback), against a raw libzmq round trip of a task frame's
//! bytes through the same process (PUSH out, its echo thread PULLs and PUSHes back, PULL in),
//! and `Node::defer` of the same trivial work on a local thread for scale. Rounds alternate;
//! the p50 and p99 of every sample of each side are printed, and the result is the raw p50
//! over the pool's p50 (1.0: as fast as raw libzmq; the goal is at least 0.67, a pool round
//! trip within 1.5 times the raw one).

use crate::pool::{bench_node, task_frame, Processes, RawPipeline};
use crate::Size;
use dripdrop::{Node, PoolOptions, Value};
use dripdrop_examples::http_load::control;
use dripdrop_examples::Fallible;
use std::cell::RefCell;
use std::process::{Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

pub fn run(size: Size) -> Fallible<f64> {
    let count = size.count_or(200, 5_000);
    let mut node = bench_node()?;
    let endpoint = node
        .worker_pool("bench", PoolOptions::remote(&["tcp://127.0.0.1:*"]))?
        .remove(0);
    let raw_pipeline = RawPipeline::bind()?;
    let (tasks, results) = (&raw_pipeline.tasks, &raw_pipeline.results);
    results.set_rcvtimeo(10_000)?;
    let [tasks_endpoint, results_endpoint] = raw_pipeline.endpoints()?;
    let worker = Command::new(std::env::current_exe()?)
        .args([
            "__pool-worker",
            &endpoint,
            &tasks_endpoint,
            &results_endpoint,
        ])
        .stdin(Stdio::null())
        .spawn()?;
    let _processes = Processes(vec![worker]);
    control::wait_for_workers(&mut node, "bench", 1, Duration::from_secs(30))?;
    println!(
        "pool_latency: {count} round trips a round, one at a time, through one worker process \
         (tcp loopback), {} rounds",
        size.rounds
    );
    let frame = task_frame()?;
    // Warm every path up once.
    pool_trips(&mut node, count / 10 + 1)?;
    raw_trips(tasks, results, &frame, count / 10 + 1)?;
    defer_trips(&mut node, count / 10 + 1)?;
    let (mut pool, mut raw, mut local) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..size.rounds {
        // Alternate which side goes first, so neither always runs on a warmer machine.
        if round.is_multiple_of(2) {
            pool.extend(pool_trips(&mut node, count)?);
            raw.extend(raw_trips(tasks, results, &frame, count)?);
        } else {
            raw.extend(raw_trips(tasks, results, &frame, count)?);
            pool.extend(pool_trips(&mut node, count)?);
        }
        local.extend(defer_trips(&mut node, count)?);
        let (ours, base) = (median_of(&pool), median_of(&raw));
        println!(
            "pool_latency round {}: dripdrop p50 {ours:.1} µs, raw zmq p50 {base:.1} µs so far, \
             ratio {:.3}",
            round + 1,
            base / ours
        );
    }
    let (pool_p50, pool_p99) = percentiles(&mut pool);
    let (raw_p50, raw_p99) = percentiles(&mut raw);
    let (local_p50, local_p99) = percentiles(&mut local);
    println!("pool_latency: pool defer p50 {pool_p50:.1} µs, p99 {pool_p99:.1} µs");
    println!("pool_latency: raw zmq round trip p50 {raw_p50:.1} µs, p99 {raw_p99:.1} µs");
    println!("pool_latency: local Node::defer p50 {local_p50:.1} µs, p99 {local_p99:.1} µs");
    Ok(raw_p50 / pool_p50)
}

/// The median of the samples so far (µs).
fn median_of(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    percentiles(&mut sorted).0
}

/// The p50 and p99 of `samples` (µs).
fn percentiles(samples: &mut [f64]) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (at(0.50), at(0.99))
}

/// `count` tasks through the pool, each submitted when the one before answered; each round
/// trip in µs, from `defer` to its callback.
fn pool_trips(node: &mut Node, count: u64) -> Fallible<Vec<f64>> {
    let samples = Rc::new(RefCell::new(Vec::with_capacity(count as usize)));
    let failed = Rc::new(RefCell::new(None));
    submit(node, Rc::clone(&samples), Rc::clone(&failed), count)?;
    node.run()?;
    if let Some(error) = failed.borrow_mut().take() {
        return Err(format!("pool_latency: a task failed: {error}").into());
    }
    let samples = samples.take();
    Ok(samples)
}

fn submit(
    node: &mut Node,
    samples: Rc<RefCell<Vec<f64>>>,
    failed: Rc<RefCell<Option<dripdrop::Error>>>,
    left: u64,
) -> Fallible<()> {
    let started = Instant::now();
    node.pool("bench")?
        .defer("noop", Value::Int(left as i64), move |node, result| {
            samples
                .borrow_mut()
                .push(started.elapsed().as_secs_f64() * 1e6);
            if let Err(error) = result {
                *failed.borrow_mut() = Some(error);
                node.stop();
            } else if left > 1 {
                if let Err(error) = submit(node, samples, failed, left - 1) {
                    node.report_error(dripdrop::Error::InvalidArgument(error.to_string()));
                    node.stop();
                }
            } else {
                node.stop();
            }
        })?;
    Ok(())
}

/// `count` raw round trips of `frame` through the worker process's echo thread (µs each).
fn raw_trips(
    tasks: &zmq::Socket,
    results: &zmq::Socket,
    frame: &[u8],
    count: u64,
) -> Fallible<Vec<f64>> {
    let mut samples = Vec::with_capacity(count as usize);
    let mut reply = zmq::Message::new();
    for _ in 0..count {
        let started = Instant::now();
        tasks.send(frame, 0)?;
        results.recv(&mut reply, 0)?;
        samples.push(started.elapsed().as_secs_f64() * 1e6);
    }
    Ok(samples)
}

/// `count` local `Node::defer` round trips of the same trivial work (µs each).
fn defer_trips(node: &mut Node, count: u64) -> Fallible<Vec<f64>> {
    let samples = Rc::new(RefCell::new(Vec::with_capacity(count as usize)));
    defer_next(node, Rc::clone(&samples), count);
    node.run()?;
    let samples = samples.take();
    Ok(samples)
}

fn defer_next(node: &mut Node, samples: Rc<RefCell<Vec<f64>>>, left: u64) {
    let started = Instant::now();
    node.defer(
        move || left,
        move |node, _| {
            samples
                .borrow_mut()
                .push(started.elapsed().as_secs_f64() * 1e6);
            if left > 1 {
                defer_next(node, samples, left - 1);
            } else {
                node.stop();
            }
        },
    );
}
