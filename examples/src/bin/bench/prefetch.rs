//! `bench pool_prefetch`: what the default prefetch (adapted to each worker's tasks) gives,
//! against the best of hand-tuned fixed ones, in the same run.
//!
//! Trivial tasks go through pools that differ only in `prefetch`, each served by its own two
//! worker processes (concurrency 1, tcp loopback): the default, and fixed 16, 128 and 512.
//! Each round runs the default once and every fixed one once; the baseline of the round is
//! the best fixed rate. The old fixed default (1) is shown once for scale. Then long tasks
//! (50 ms each, four per worker) go through the default pool twice, right after a round of
//! trivial tasks and while one is still in flight, to show they still spread evenly.

use crate::pool::{
    bench_node, pool_round, spawn_workers, wait_for_workers, Processes, RawPipeline,
};
use crate::{compare, Size};
use dripdrop::{Node, PoolOptions, Value};
use dripdrop_examples::Fallible;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// The fixed prefetches the default is measured against.
const TUNED: [usize; 3] = [16, 128, 512];
/// How long each long task sleeps, and how many each worker should get.
const LONG_MS: i64 = 50;
const LONG_PER_WORKER: usize = 4;

pub fn run(size: Size) -> Fallible<f64> {
    let count = size.count_or(2_000, 200_000);
    let mut node = bench_node()?;
    // The raw pipeline of `pool_remote` is not used here; its threads connect to these.
    let pipeline = RawPipeline::bind()?;
    let raw = pipeline.endpoints()?;

    let mut processes: Vec<Processes> = Vec::new();
    let mut pool = |node: &mut Node, name: &str, prefetch: Option<usize>| -> Fallible<()> {
        let options = PoolOptions {
            prefetch,
            ..PoolOptions::remote(&["tcp://127.0.0.1:*"])
        };
        let endpoint = node.worker_pool(name, options)?.remove(0);
        processes.push(spawn_workers(&endpoint, &raw, None)?);
        Ok(())
    };
    pool(&mut node, "default", None)?;
    pool(&mut node, "fixed-1", Some(1))?;
    for prefetch in TUNED {
        pool(&mut node, &format!("fixed-{prefetch}"), Some(prefetch))?;
    }
    for name in pool_names() {
        wait_for_workers(&mut node, &name)?;
    }
    println!(
        "pool_prefetch: {count} trivial tasks a round through two worker processes (concurrency \
         1) with the default prefetch, against the best of fixed {TUNED:?}; {} rounds",
        size.rounds
    );
    for name in pool_names() {
        pool_round(&mut node, &name, count / 10 + 1)?;
    }
    let old = pool_round(&mut node, "fixed-1", (count / 10).max(1_000))?;
    println!("pool_prefetch: the old fixed default (1) gives {old:.0} tasks/s");
    let node = RefCell::new(node);
    let ratio = compare(
        "pool_prefetch",
        "task",
        size,
        || pool_round(&mut node.borrow_mut(), "default", count),
        || best_fixed(&mut node.borrow_mut(), count),
        "best fixed",
    )?;
    let mut node = node.into_inner();
    long_tasks(&mut node, "after a trivial round", false)?;
    long_tasks(&mut node, "behind a trivial round", true)?;
    Ok(ratio)
}

fn pool_names() -> Vec<String> {
    let mut names = vec!["default".to_owned(), "fixed-1".to_owned()];
    names.extend(TUNED.iter().map(|p| format!("fixed-{p}")));
    names
}

/// The best rate of the fixed prefetches, one round each.
fn best_fixed(node: &mut Node, count: u64) -> Fallible<f64> {
    let mut best: f64 = 0.0;
    for prefetch in TUNED {
        best = best.max(pool_round(node, &format!("fixed-{prefetch}"), count)?);
    }
    Ok(best)
}

/// Long tasks through the default pool: four per worker process, submitted at once (with
/// `behind`, right behind a trivial round still in flight, else after one), timed from
/// submission to the last answer; prints the time and how many each process ran.
fn long_tasks(node: &mut Node, when: &str, behind: bool) -> Fallible<()> {
    let workers = crate::pool::WORKERS;
    let total = workers * LONG_PER_WORKER;
    if !behind {
        pool_round(node, "default", 20_000)?;
    }
    let ran: Rc<RefCell<Vec<u64>>> = Rc::default();
    let failed = Rc::new(RefCell::new(None));
    let started = Instant::now();
    if behind {
        node.pool("default")?
            .map("noop", (0..5_000).map(Value::Int), |_, _, _| {}, |_| {})?;
    }
    for _ in 0..total {
        let (ran, failed) = (Rc::clone(&ran), Rc::clone(&failed));
        node.pool("default")?
            .defer("sleep", Value::Int(LONG_MS), move |node, result| {
                match result {
                    Ok(Value::Int(pid)) => ran.borrow_mut().push(pid as u64),
                    other => *failed.borrow_mut() = Some(format!("{other:?}")),
                }
                if ran.borrow().len() == total || failed.borrow().is_some() {
                    node.stop();
                }
            })?;
    }
    node.run()?;
    if let Some(failure) = failed.borrow_mut().take() {
        return Err(format!("pool_prefetch: a long task failed: {failure}").into());
    }
    let elapsed = started.elapsed();
    let mut per_process: BTreeMap<u64, usize> = BTreeMap::new();
    for pid in ran.borrow().iter() {
        *per_process.entry(*pid).or_default() += 1;
    }
    let ideal = Duration::from_millis(LONG_MS as u64 * LONG_PER_WORKER as u64);
    println!(
        "pool_prefetch: {total} tasks of {LONG_MS} ms {when}: done in {} ms (even spread: {} \
         ms), per worker process {:?}",
        elapsed.as_millis(),
        ideal.as_millis(),
        per_process.values().collect::<Vec<_>>()
    );
    Ok(())
}
