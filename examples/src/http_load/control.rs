//! The control: splits the load into batches, feeds them to the pool with `map` (so batches
//! go out only as workers take them), merges what comes back, and reports.

use super::batch::{self, TASK};
use super::client::{Plan, Url};
use super::progress::Progress;
use super::report::Report;
use crate::Fallible;
use dripdrop::{Node, PoolOptions, Value};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// What load to make.
#[derive(Clone, Debug)]
pub struct Load {
    pub urls: Vec<String>,
    /// Total requests, or (with `duration`) none.
    pub requests: Option<u64>,
    pub duration: Option<Duration>,
    /// Keep-alive connections per batch a worker runs.
    pub connections: u64,
    /// Requests per second in all, paced; latency then counts from each request's due time.
    pub rate: Option<f64>,
    pub batch: u64,
    pub timeout: Duration,
}

/// The batches of a load, made as the pool asks for them.
fn batches(load: &Load, started: Instant) -> Fallible<impl Iterator<Item = Value>> {
    for url in &load.urls {
        Url::parse(url)?;
    }
    let load = load.clone();
    let mut sent = 0u64;
    let mut k = 0usize;
    Ok(std::iter::from_fn(move || {
        let size = match (load.requests, load.duration) {
            (Some(total), _) => load.batch.min(total - sent),
            (None, Some(duration)) => {
                // Paced, a batch belongs to the run if its first request is due within it;
                // unpaced, if the run is not over yet.
                let due = load.rate.map_or(started.elapsed(), |rate| {
                    Duration::from_secs_f64(sent as f64 / rate)
                });
                if due >= duration {
                    0
                } else {
                    load.batch
                }
            }
            (None, None) => 0,
        };
        if size == 0 {
            return None;
        }
        let url = &load.urls[k % load.urls.len()];
        let pace = load.rate.map(|rate| {
            let due = started + Duration::from_secs_f64(sent as f64 / rate);
            let now = Instant::now();
            let start_in_us = if due >= now {
                (due - now).as_micros() as i64
            } else {
                -((now - due).as_micros() as i64)
            };
            // This batch's share of the rate: its requests are due 1/rate apart.
            (rate, start_in_us)
        });
        let plan = Plan {
            url: Url::parse(url).expect("checked above"),
            requests: size,
            connections: load.connections,
            timeout: load.timeout,
            pace,
        };
        sent += size;
        k += 1;
        Some(batch::plan_to_value(url, &plan))
    }))
}

/// The pool settings a load needs. A paced batch carries its first request's due time
/// relative to when the batch is made, and the worker counts it from when the batch starts:
/// so a paced batch must be made only when a worker is free to start it. At most `slots`
/// batches (one per worker or local thread) are then out at once, none waiting prefetched.
pub fn pool_options(load: &Load, mut options: PoolOptions, slots: usize) -> PoolOptions {
    if load.rate.is_some() {
        options.max_pending = slots.max(1);
        options.prefetch = Some(0);
    } else if load.duration.is_some() {
        // A timed run decides whether to make a batch by the clock when it makes it: made
        // far ahead of the workers, the whole run would be made in its first instant and
        // overrun its time by as long as the queue takes (a 1 s run took 121 s). Two per
        // worker keep every worker busy with one prefetched.
        options.max_pending = (2 * slots).max(1);
    }
    options
}

/// Runs the load through pool `pool` of `node` and returns the report.
pub fn run(node: &mut Node, pool: &str, load: &Load) -> Fallible<Report> {
    let report = Rc::new(RefCell::new(Report::new(load.rate)));
    let progress = Progress::new(load.requests);
    let started = Instant::now();
    let items = batches(load, started)?;
    let (sink, shown) = (Rc::clone(&report), progress.clone());
    node.pool(pool)?.map(
        TASK,
        items,
        move |_, _, result| {
            let mut report = sink.borrow_mut();
            match result
                .map_err(|e| e.to_string())
                .and_then(|v| batch::tally_from_value(&v))
            {
                Ok((worker, tally)) => report.add(worker, tally),
                Err(e) => report.failed_batches.push(e),
            }
            shown.set(report.requests());
        },
        |node| node.stop(),
    )?;
    let outcome = node.run();
    progress.finish();
    outcome?;
    let mut report = Rc::try_unwrap(report)
        .map_err(|_| "the report is still shared")?
        .into_inner();
    report.elapsed = started.elapsed();
    Ok(report)
}

/// How many remote workers of pool `pool` are alive, as the node's stats say.
pub fn workers_alive(node: &Node, pool: &str) -> u64 {
    let stats = node.stats();
    match stats
        .get("pools")
        .and_then(|p| p.get(pool))
        .and_then(|p| p.get("workers_alive"))
    {
        Some(Value::Int(n)) => *n as u64,
        _ => 0,
    }
}

/// Runs the node until `count` remote workers said READY, or `patience` passed.
pub fn wait_for_workers(
    node: &mut Node,
    pool: &str,
    count: u64,
    patience: Duration,
) -> Fallible<()> {
    if workers_alive(node, pool) >= count {
        return Ok(());
    }
    let deadline = Instant::now() + patience;
    let pool_name = pool.to_owned();
    let watch = node.every(Duration::from_millis(20), move |node| {
        if workers_alive(node, &pool_name) >= count || Instant::now() >= deadline {
            node.stop();
        }
    });
    node.run()?;
    node.cancel_timer(watch);
    if workers_alive(node, pool) < count {
        return Err(format!(
            "only {} of {count} workers connected within {patience:?}",
            workers_alive(node, pool)
        )
        .into());
    }
    Ok(())
}
