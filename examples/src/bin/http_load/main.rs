//! `http_load`: a distributed HTTP load tester on DripDrop's worker pool, the original
//! DripDrop's demo rebuilt. A control splits the load into batches of requests and feeds them
//! to workers on any number of machines; each worker runs its batches over keep-alive
//! connections and sends back counts and a latency histogram; the control merges them.
//!
//! Run: `cargo run --release -p dripdrop-examples --bin http_load -- demo` (see --help).

mod args;

use args::{Cli, ControlArgs, DemoArgs, LoadArgs, Mode, TargetArgs, WorkerArgs};
use clap::Parser;
use dripdrop::{Node, Placement, PoolOptions, Worker, WorkerOptions};
use dripdrop_examples::http_load::control::{self, Load};
use dripdrop_examples::http_load::{batch, report, target};
use dripdrop_examples::{exit_code, Fallible};
use std::process::ExitCode;
use std::time::Duration;

/// The load the flags describe; `default_requests` when neither a count nor a duration is
/// given.
fn load(urls: Vec<String>, args: &LoadArgs, default_requests: Option<u64>) -> Fallible<Load> {
    let requests = match (args.requests, args.duration) {
        (Some(n), _) => Some(n),
        (None, Some(_)) => None,
        (None, None) => default_requests,
    };
    if requests.is_none() && args.duration.is_none() {
        return Err("give --requests N or --duration SECONDS".into());
    }
    Ok(Load {
        urls,
        requests,
        duration: args.duration,
        connections: args.connections,
        rate: args.rate,
        batch: args.batch.max(1),
        timeout: Duration::from_millis(args.timeout_ms),
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

fn demo(args: DemoArgs) -> Fallible<()> {
    let target = target::start("127.0.0.1:0", target::Answer::default())?;
    let urls = vec![format!("http://{}/", target.address)];
    let load = load(urls, &args.load, Some(100_000))?;
    let threads = args.threads;
    let mut node = Node::new()?;
    node.task(batch::TASK, batch::handle(None));
    let options = PoolOptions {
        local_threads: threads,
        placement: Placement::Local,
        ..PoolOptions::local(threads)
    };
    node.worker_pool("http", control::pool_options(&load, options, threads))?;
    if !args.json {
        let how_much = match (load.requests, load.duration) {
            (Some(requests), _) => format!("{requests} requests"),
            (None, Some(duration)) => format!("{:.1} s of requests", duration.as_secs_f64()),
            (None, None) => "no requests".to_owned(),
        };
        println!(
            "http_load demo: {how_much} to http://{}/ (an embedded target), {threads} local \
             workers, {} connections each",
            target.address, load.connections
        );
    }
    let report = control::run(&mut node, "http", &load)?;
    print_report(&report, args.json);
    Ok(())
}

fn control(args: ControlArgs) -> Fallible<()> {
    let load = load(args.url, &args.load, None)?;
    let workers = args.workers;
    let mut node = Node::new()?;
    let options = control::pool_options(
        &load,
        PoolOptions::remote(&[args.bind.as_str()]),
        workers as usize,
    );
    let endpoints = node.worker_pool("http", options)?;
    println!("control listening on {}", endpoints[0]);
    control::wait_for_workers(&mut node, "http", workers, Duration::from_secs(60))?;
    let report = control::run(&mut node, "http", &load)?;
    print_report(&report, args.json);
    Ok(())
}

fn worker(args: WorkerArgs) -> Fallible<()> {
    let connect = args.connect.as_str();
    let name = args.name.unwrap_or_else(worker_name);
    let options = WorkerOptions {
        concurrency: args.concurrency,
        name: Some(name.clone()),
        ..WorkerOptions::default()
    };
    let mut worker = Worker::new(&[connect], options)?;
    let handler = batch::handle(Some(name.clone()));
    let verbose = args.verbose;
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

fn target_mode(args: TargetArgs) -> Fallible<()> {
    let answer = target::Answer {
        status: args.status,
        delay: Duration::from_millis(args.delay_ms),
        ..target::Answer::default()
    };
    target::run(&args.listen, answer)
}

fn main() -> ExitCode {
    let outcome = match Cli::parse().mode {
        Mode::Demo(args) => demo(args),
        Mode::Control(args) => control(args),
        Mode::Worker(args) => worker(args),
        Mode::Target(args) => target_mode(args),
    };
    exit_code("http_load", outcome)
}
