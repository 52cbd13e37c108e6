//! `bench http_load`: requests/s of `http_load` (its control here, one worker process running
//! one batch at a time over C keep-alive connections) divided by `wrk` with the same C
//! connections and one thread, against the same embedded target, in the same run.

use crate::tools::{require, wrk, Killed};
use crate::{compare, Size};
use dripdrop::{Node, PoolOptions, Worker, WorkerOptions};
use dripdrop_examples::http_load::control::{self, Load};
use dripdrop_examples::http_load::{batch, target};
use dripdrop_examples::Fallible;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CONNECTIONS: u64 = 4;

/// The worker process: `bench __http-worker ENDPOINT`.
pub fn serve(endpoint: &str) -> Fallible<()> {
    let options = WorkerOptions {
        concurrency: 1,
        ..WorkerOptions::default()
    };
    let mut worker = Worker::new(&[endpoint], options)?;
    worker.task(batch::TASK, batch::handle(Some("bench-worker".into())));
    worker.run()?;
    Ok(())
}

pub fn run(size: Size) -> Fallible<f64> {
    require(
        "wrk",
        None,
        "http_load needs wrk (Debian: apt-get install wrk)",
    )?;
    let requests = size.count_or(5_000, 200_000);
    let target = target::start("127.0.0.1:0", target::Answer::default())?;
    let url = format!("http://{}/", target.address);
    let mut node = Node::new()?;
    let endpoint = node
        .worker_pool("http", PoolOptions::remote(&["tcp://127.0.0.1:*"]))?
        .remove(0);
    let child = Command::new(std::env::current_exe()?)
        .args(["__http-worker", &endpoint])
        .stdin(Stdio::null())
        .spawn()?;
    let _worker = Killed(child);
    control::wait_for_workers(&mut node, "http", 1, Duration::from_secs(30))?;
    let load = Load {
        urls: vec![url.clone()],
        requests: Some(requests),
        duration: None,
        connections: CONNECTIONS,
        rate: None,
        batch: 2_000,
        timeout: Duration::from_secs(5),
    };
    // wrk runs about as long as our side took last.
    let last = std::cell::Cell::new(Duration::from_secs(1));
    let warm = Load {
        requests: Some(requests / 10 + 1),
        ..load.clone()
    };
    control::run(&mut node, "http", &warm)?;
    println!(
        "http_load: {requests} requests a round, 1 worker process, {CONNECTIONS} keep-alive \
         connections, embedded target; wrk -t1 -c{CONNECTIONS}; {} rounds",
        size.rounds
    );
    let node = std::cell::RefCell::new(node);
    compare(
        "http_load",
        "req",
        size,
        || {
            let started = Instant::now();
            let report = control::run(&mut node.borrow_mut(), "http", &load)?;
            last.set(started.elapsed());
            if report.requests() != requests || !report.tally.errors.is_empty() {
                return Err(format!(
                    "http_load: {} of {requests} requests, errors {:?}",
                    report.requests(),
                    report.tally.errors
                )
                .into());
            }
            Ok(report.requests() as f64 / report.elapsed.as_secs_f64())
        },
        || {
            wrk(
                &url,
                CONNECTIONS,
                last.get().as_secs_f64().ceil() as u64,
                false,
            )
        },
        "wrk",
    )
}
