//! DripDrop against the bare machinery it is built on, measured in the same run:
//!
//! - `pushpull`: messages/s of DripDrop push/pull (a ~100-byte body, encoded on send and
//!   decoded on receive, two nodes on two threads, tcp loopback) divided by messages/s of raw
//!   libzmq PUSH/PULL moving the same bytes through the `zmq` crate (two threads, tcp
//!   loopback). Goal: at least 0.9.
//! - `pushpull_control`: the same DripDrop push/pull with both nodes reporting to a control
//!   server (a ROUTER draining every report) divided by it with reporting off: what the
//!   control backchannel costs. Goal: at least 0.97.
//! - `defer`: tasks/s of `Node::defer` (a trivial op, its callback back on the node's thread,
//!   a bounded number in flight) divided by tasks/s of a bare crossbeam-channel thread pool of
//!   the same size doing the same work and sending results to one consumer thread. Goal: at
//!   least 0.75.
//! - `pool_remote`: tasks/s of trivial tasks through a worker pool served by two worker
//!   processes (tcp loopback) divided by a raw libzmq PUSH/PULL pipeline through the same
//!   two processes; then a memory run (a million tasks through `map`, the RSS growth).
//!   Goal: at least 0.5.
//! - `pool_local`: tasks/s through a pool of local threads divided by `Node::defer` on as
//!   many threads.
//! - `pool_latency`: one task at a time through a pool and one worker process: the p50 and
//!   p99 of the round trip, against a raw libzmq round trip through the same process and
//!   local `Node::defer`; the result is the raw p50 over the pool's. Goal: at least 0.67.
//! - `pool_prefetch`: tasks/s of trivial tasks through a pool with the default (adaptive)
//!   prefetch divided by the best of fixed prefetches (16, 128, 512), each pool served by
//!   two worker processes; then how long tasks spread over the workers. Goal: at least 0.67.
//! - `http_load`: requests/s of `http_load` (one worker process, 4 keep-alive connections)
//!   divided by `wrk -t1 -c4` against the same embedded HTTP target. Goal: at least 0.6.
//! - `http_server`: requests/s of an http_server route answering a small JSON message,
//!   divided by nginx serving the same bytes as a file, both driven by wrk. Goal: at least
//!   0.5.
//! - `ws_echo`: messages/s echoed through a websocket_server route divided by a bare
//!   tungstenite echo server's. Goal: at least 0.7.
//! - `pushpull_curve`: DripDrop push/pull with CURVE on both routes divided by the same with
//!   CURVE off; `zmq_curve`: raw libzmq PUSH/PULL with CURVE divided by raw plain (what
//!   encryption costs libzmq itself, the baseline); `pool_remote_curve`: a pool and its
//!   two worker processes with CURVE (the workers keyed by `DRIPDROP_CURVE_DIR`) divided by
//!   the same plain.
//!
//! The two sides run in alternating rounds and the ratio is of the medians, so a noisy,
//! shared machine disturbs both alike. Each benchmark prints its rounds and, last,
//! `RESULT <name> <ratio>`.
//!
//! Run: `cargo run --release -p dripdrop-examples --bin bench -- NAME
//! [--rounds N] [--count N] [--in-flight N] [--quick]` (`--help` says more).

mod args;
mod control;
mod curve;
mod defer;
mod http;
mod latency;
mod pool;
mod prefetch;
mod pushpull;
mod tools;
mod web;

use args::{Bench, Cli, WorkerProcess};
use clap::Parser;
use dripdrop_examples::{exit_code, median, Fallible};
use std::process::ExitCode;
use std::time::Duration;

/// One benchmark: its ratio for a run of the given size.
type Run = fn(Size) -> Fallible<f64>;

impl Bench {
    /// What this name runs: one benchmark, or (`all`) each in turn; each with its name.
    fn runs(self) -> Vec<(&'static str, Run)> {
        let one = |name, run: Run| vec![(name, run)];
        match self {
            Bench::Pushpull => one("pushpull", pushpull::run),
            Bench::PushpullControl => one("pushpull_control", control::run),
            Bench::Defer => one("defer", defer::run),
            Bench::PoolRemote => one("pool_remote", pool::run_remote),
            Bench::PoolLocal => one("pool_local", pool::run_local),
            Bench::PoolLatency => one("pool_latency", latency::run),
            Bench::PoolPrefetch => one("pool_prefetch", prefetch::run),
            Bench::HttpLoad => one("http_load", http::run),
            Bench::HttpServer => one("http_server", web::run_http_server),
            Bench::WsEcho => one("ws_echo", web::run_ws_echo),
            Bench::PushpullCurve => one("pushpull_curve", curve::run_pushpull),
            Bench::ZmqCurve => one("zmq_curve", curve::run_zmq),
            Bench::PoolRemoteCurve => one("pool_remote_curve", curve::run_pool),
            Bench::All => [
                Bench::Pushpull,
                Bench::PushpullControl,
                Bench::Defer,
                Bench::PoolLocal,
                Bench::PoolRemote,
                Bench::PoolLatency,
                Bench::PoolPrefetch,
                Bench::HttpLoad,
                Bench::HttpServer,
                Bench::WsEcho,
                Bench::PushpullCurve,
                Bench::ZmqCurve,
                Bench::PoolRemoteCurve,
            ]
            .into_iter()
            .flat_map(Bench::runs)
            .collect(),
        }
    }
}

/// How big a run is.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    pub rounds: usize,
    /// Messages or tasks timed per round; `None` takes the benchmark's default.
    pub count: Option<u64>,
    pub quick: bool,
    /// For `defer`: tasks submitted and not yet answered; `None` takes the default.
    pub in_flight: Option<u64>,
}

impl Size {
    /// The count per round: the one given, else `quick` or `full`.
    pub fn count_or(&self, quick: u64, full: u64) -> u64 {
        self.count.unwrap_or(if self.quick { quick } else { full })
    }
}

/// One side's rate in one round.
pub fn rate(count: u64, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64().max(1e-9)
}

/// Runs `ours` and `baseline` in alternating rounds, prints each round and the medians, and
/// returns the ratio of the medians (ours / baseline).
pub fn compare(
    name: &str,
    unit: &str,
    size: Size,
    mut ours: impl FnMut() -> Fallible<f64>,
    mut baseline: impl FnMut() -> Fallible<f64>,
    baseline_name: &str,
) -> Fallible<f64> {
    let mut our_rates = Vec::with_capacity(size.rounds);
    let mut base_rates = Vec::with_capacity(size.rounds);
    for round in 0..size.rounds {
        // Alternate which side goes first, so neither always runs on a warmer machine.
        let (a, b) = if round.is_multiple_of(2) {
            let a = ours()?;
            (a, baseline()?)
        } else {
            let b = baseline()?;
            (ours()?, b)
        };
        println!(
            "{name} round {}: dripdrop {} {unit}/s, {baseline_name} {} {unit}/s, ratio {:.3}",
            round + 1,
            human(a),
            human(b),
            a / b
        );
        our_rates.push(a);
        base_rates.push(b);
    }
    let (a, b) = (median(&our_rates), median(&base_rates));
    println!(
        "{name} median: dripdrop {} {unit}/s, {baseline_name} {} {unit}/s",
        human(a),
        human(b)
    );
    Ok(a / b)
}

/// A rate in a form people read: `1.23M`, `456.7k`.
fn human(rate: f64) -> String {
    if rate >= 1e6 {
        format!("{:.3}M", rate / 1e6)
    } else if rate >= 1e3 {
        format!("{:.1}k", rate / 1e3)
    } else {
        format!("{rate:.1}")
    }
}

fn run(cli: Cli) -> Fallible<()> {
    match cli.process {
        Some(WorkerProcess::PoolWorker {
            pool,
            raw_tasks,
            raw_results,
        }) => return pool::serve(&pool, &raw_tasks, &raw_results),
        Some(WorkerProcess::HttpWorker { endpoint }) => return http::serve(&endpoint),
        None => {}
    }
    let args = cli.size;
    let size = Size {
        rounds: args.rounds.unwrap_or(if args.quick { 1 } else { 7 }),
        count: args.count,
        quick: args.quick,
        in_flight: args.in_flight,
    };
    let name = cli.name.ok_or("which benchmark? (try --help)")?;
    for (name, run) in name.runs() {
        let ratio = run(size)?;
        println!("RESULT {name} {ratio:.3}");
    }
    Ok(())
}

fn main() -> ExitCode {
    exit_code("bench", run(Cli::parse()))
}
