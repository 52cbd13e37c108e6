//! `http_load`: a distributed HTTP load tester on DripDrop's worker pool, the original
//! DripDrop's demo rebuilt. A control splits the load into batches of requests and feeds them
//! to workers on any number of machines; each worker runs its batches over keep-alive
//! connections and sends back counts and a latency histogram; the control merges them.
//!
//! Run: `cargo run --release -p dripdrop-examples --bin http_load -- demo` (see USAGE).

use dripdrop::{Node, Placement, PoolOptions, Worker, WorkerOptions};
use dripdrop_examples::http_load::control::{self, Load};
use dripdrop_examples::http_load::{batch, report, target};
use dripdrop_examples::{main_with, Fallible, Flags};
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "\
usage: http_load demo [--requests N] [--connections C] [--threads T] [--json]
       http_load control --url URL[,URL...] (--requests N | --duration SECONDS)
                 [--connections C] [--rate R] [--bind ADDR] [--workers W] [--batch N]
                 [--timeout-ms MS] [--json]
       http_load worker --connect ADDR [--concurrency N] [--name NAME] [--verbose]
       http_load target [--listen ADDR] [--status CODE] [--delay-ms MS]

demo     starts a local HTTP target, a pool with T local threads (default 2), runs N
         requests (default 100000) over C connections per batch (default 4), prints the
         report
control  binds a pool (default tcp://0.0.0.0:2100) for workers, waits for W of them
         (default 1), runs the load and prints the report; --rate paces requests (in all)
         and counts latency from each request's due time (no coordinated omission)
worker   serves a control: runs N batches at once (default 1), each over the control's C
         keep-alive connections; reconnects if the control goes away; --verbose prints a
         line per batch
target   a small HTTP server that answers every GET with CODE (default 200)

The report: requests, req/s, latency p50/p90/p99/p99.9/max (HdrHistograms merged across
workers), status codes, errors by kind (refused, timeout, reset, other), per-worker counts.
--json prints it as one JSON object instead. A progress line shows on a terminal.
";

fn load_flags(flags: &Flags, default_requests: Option<u64>) -> Fallible<Load> {
    let urls: Vec<String> = flags
        .get("url")
        .map(|u| u.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let duration = flags
        .optional_number::<f64>("duration")?
        .map(Duration::from_secs_f64);
    let requests = match (flags.optional_number("requests")?, duration) {
        (Some(n), _) => Some(n),
        (None, Some(_)) => None,
        (None, None) => default_requests,
    };
    if requests.is_none() && duration.is_none() {
        return Err("give --requests N or --duration SECONDS".into());
    }
    let rate: Option<f64> = flags.optional_number("rate")?;
    if rate.is_some_and(|r| r.is_nan() || r <= 0.0) {
        return Err("--rate must be positive".into());
    }
    Ok(Load {
        urls,
        requests,
        duration,
        connections: flags.number("connections", 4)?,
        rate,
        batch: flags.number::<u64>("batch", 500)?.max(1),
        timeout: Duration::from_millis(flags.number("timeout-ms", 5000)?),
    })
}

fn print_report(report: &report::Report, json: bool) {
    if json {
        println!("{}", report.json());
    } else {
        print!("{}", report.text());
    }
}

/// The worker's name in reports: host and process.
fn worker_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_else(|_| "localhost".into());
    format!("{}:{}", host.trim(), std::process::id())
}

fn demo(flags: &Flags) -> Fallible<()> {
    let target = target::start("127.0.0.1:0", target::Answer::default())?;
    let mut load = load_flags(flags, Some(100_000))?;
    load.urls = vec![format!("http://{}/", target.address)];
    let threads = flags.number("threads", 2)?;
    let mut node = Node::new()?;
    node.task(batch::TASK, batch::handle(None));
    let options = PoolOptions {
        local_threads: threads,
        placement: Placement::Local,
        ..PoolOptions::local(threads)
    };
    node.worker_pool("http", control::pool_options(&load, options, threads))?;
    if !flags.has("json") {
        println!(
            "http_load demo: {} requests to http://{}/ (an embedded target), {threads} local \
             workers, {} connections each",
            load.requests.unwrap_or(0),
            target.address,
            load.connections
        );
    }
    let report = control::run(&mut node, "http", &load)?;
    print_report(&report, flags.has("json"));
    Ok(())
}

fn control(flags: &Flags) -> Fallible<()> {
    let load = load_flags(flags, None)?;
    if load.urls.is_empty() {
        return Err("control needs --url".into());
    }
    let bind = flags.get_or("bind", "tcp://0.0.0.0:2100");
    let workers = flags.number("workers", 1)?;
    let mut node = Node::new()?;
    let options = control::pool_options(&load, PoolOptions::remote(&[bind]), workers as usize);
    let endpoints = node.worker_pool("http", options)?;
    println!("control listening on {}", endpoints[0]);
    control::wait_for_workers(&mut node, "http", workers, Duration::from_secs(60))?;
    let report = control::run(&mut node, "http", &load)?;
    print_report(&report, flags.has("json"));
    Ok(())
}

fn worker(flags: &Flags) -> Fallible<()> {
    let connect = flags.get("connect").ok_or("worker needs --connect ADDR")?;
    let name = flags.get("name").map_or_else(worker_name, str::to_owned);
    let options = WorkerOptions {
        concurrency: flags.number("concurrency", 1)?,
        name: Some(name.clone()),
        ..WorkerOptions::default()
    };
    let mut worker = Worker::new(&[connect], options)?;
    let handler = batch::handle(Some(name.clone()));
    let verbose = flags.has("verbose");
    worker.task(batch::TASK, move |context, args| {
        let result = handler(context, args);
        if verbose {
            println!(
                "batch {} done (attempt {})",
                context.id(),
                context.attempt()
            );
        }
        result
    });
    println!("worker {name} serving {connect}");
    worker.run()?;
    Ok(())
}

fn target_mode(flags: &Flags) -> Fallible<()> {
    let answer = target::Answer {
        status: flags.number("status", 200)?,
        delay: Duration::from_millis(flags.number("delay-ms", 0)?),
        ..target::Answer::default()
    };
    target::run(flags.get_or("listen", "127.0.0.1:8080"), answer)
}

fn run(args: Vec<String>) -> Fallible<()> {
    let flags = Flags::parse(
        args,
        &[
            "url",
            "requests",
            "duration",
            "connections",
            "rate",
            "bind",
            "workers",
            "batch",
            "timeout-ms",
            "threads",
            "connect",
            "concurrency",
            "name",
            "listen",
            "status",
            "delay-ms",
        ],
        &["json", "verbose"],
    )?;
    match flags.positional() {
        [mode] if mode == "demo" => demo(&flags),
        [mode] if mode == "control" => control(&flags),
        [mode] if mode == "worker" => worker(&flags),
        [mode] if mode == "target" => target_mode(&flags),
        [] => Err("which mode? demo, control, worker or target (try --help)".into()),
        other => Err(format!("unknown mode {:?} (try --help)", other.join(" ")).into()),
    }
}

fn main() -> ExitCode {
    main_with("http_load", USAGE, run)
}
