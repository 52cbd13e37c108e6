//! http_load's command line: the four modes and their flags, as clap reads them.

use clap::{Args, Parser, Subcommand};
use std::time::Duration;

const REPORT: &str = "\
The report: requests, req/s, latency p50/p90/p99/p99.9/max (HdrHistograms merged across
workers), status codes, errors by kind (refused, timeout, reset, other), per-worker counts.
--json prints it as one JSON object instead. A progress bar shows on a terminal.";

/// A distributed HTTP load tester on DripDrop's worker pool.
#[derive(Debug, Parser)]
#[command(name = "http_load", after_help = REPORT)]
pub struct Cli {
    #[command(subcommand)]
    pub mode: Mode,
}

#[derive(Debug, Subcommand)]
pub enum Mode {
    /// Start a local HTTP target and a pool with local threads, run the load, print the report
    Demo(DemoArgs),
    /// Bind a pool for workers, wait for them, run the load against URLs, print the report
    Control(ControlArgs),
    /// Serve a control: run its batches, each over the control's keep-alive connections
    Worker(WorkerArgs),
    /// A small HTTP server that answers every GET with one status
    Target(TargetArgs),
}

/// How much load, and how it is made: the flags demo and control share.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Requests in all [demo default: 100000]
    #[arg(long, value_name = "N")]
    pub requests: Option<u64>,
    /// Seconds to run for, instead of a number of requests
    #[arg(long, value_name = "SECONDS", value_parser = seconds, allow_negative_numbers = true)]
    pub duration: Option<Duration>,
    /// Keep-alive connections each batch runs over
    #[arg(long, value_name = "C", default_value_t = 4)]
    pub connections: u64,
    /// Requests per second in all, paced; latency counts from each request's due time (no
    /// coordinated omission)
    #[arg(long, value_name = "R", value_parser = positive_rate, allow_negative_numbers = true)]
    pub rate: Option<f64>,
    /// Requests per batch, the unit of work a worker takes
    #[arg(long, value_name = "N", default_value_t = 500)]
    pub batch: u64,
    /// How long a request may take, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 5000)]
    pub timeout_ms: u64,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub load: LoadArgs,
    /// Local worker threads
    #[arg(long, value_name = "T", default_value_t = 2)]
    pub threads: usize,
    /// Print the report as one JSON object
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ControlArgs {
    /// The URLs to load, taken in turn by batch; several, comma-separated
    #[arg(long, value_name = "URL", required = true, value_delimiter = ',')]
    pub url: Vec<String>,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Where workers connect
    #[arg(long, value_name = "ADDR", default_value = "tcp://0.0.0.0:2100")]
    pub bind: String,
    /// Workers to wait for before starting (for at most a minute)
    #[arg(long, value_name = "W", default_value_t = 1)]
    pub workers: u64,
    /// Print the report as one JSON object
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The control's address
    #[arg(long, value_name = "ADDR")]
    pub connect: String,
    /// Batches run at once
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub concurrency: usize,
    /// The name in the control's report [default: host:pid]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Print a line per batch done
    #[arg(long)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Where to listen
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The status every answer has
    #[arg(long, value_name = "CODE", default_value_t = 200)]
    pub status: u16,
    /// How long each answer waits, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub delay_ms: u64,
}

/// `--duration`: seconds, fractions too, never negative.
fn seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text.parse().map_err(|e| format!("{e}"))?;
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("{e}"))
}

/// `--rate`: requests per second, more than none.
fn positive_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate > 0.0 && rate.is_finite() => Ok(rate),
        Ok(_) => Err("must be a positive number".to_owned()),
        Err(e) => Err(format!("{e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(line: &str) -> Mode {
        Cli::try_parse_from(line.split_whitespace())
            .unwrap_or_else(|e| panic!("{line}: {e}"))
            .mode
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    /// The invocations the READMEs, the tests here and the Python and Ruby suites use.
    #[test]
    fn the_documented_invocations_parse() {
        for line in [
            "http_load demo",
            "http_load demo --requests 3000 --json",
            "http_load demo --requests 2000 --batch 100 --rate 4000 --json",
            "http_load demo --requests 10 --connections 2 --threads 3 --duration 1.5 --timeout-ms 9",
            "http_load target --listen 0.0.0.0:8080",
            "http_load target --listen 127.0.0.1:0 --status 500 --delay-ms 1",
            "http_load control --url http://app:8080/ --requests 1000000 --workers 3 --bind tcp://0.0.0.0:2100",
            "http_load control --bind tcp://127.0.0.1:* --json --url http://a/,http://b/ --requests 2000 --batch 100",
            "http_load control --url=http://a/ --duration 10 --rate 2000",
            "http_load worker --connect tcp://control-host:2100",
            "http_load worker --connect tcp://127.0.0.1:2100 --name w1 --verbose --concurrency 2",
        ] {
            parse(line);
        }
    }

    #[test]
    fn defaults() {
        let Mode::Demo(demo) = parse("http_load demo") else {
            panic!("not demo")
        };
        assert_eq!((demo.threads, demo.json), (2, false));
        let load = &demo.load;
        assert_eq!(
            (load.requests, load.duration, load.rate),
            (None, None, None)
        );
        assert_eq!(
            (load.connections, load.batch, load.timeout_ms),
            (4, 500, 5000)
        );
        let Mode::Control(control) = parse("http_load control --url http://a/,http://b/") else {
            panic!("not control")
        };
        assert_eq!(control.url, ["http://a/", "http://b/"]);
        assert_eq!(
            (control.bind.as_str(), control.workers),
            ("tcp://0.0.0.0:2100", 1)
        );
        let Mode::Worker(worker) = parse("http_load worker --connect tcp://h:1") else {
            panic!("not worker")
        };
        assert_eq!(
            (worker.concurrency, worker.name, worker.verbose),
            (1, None, false)
        );
        let Mode::Target(target) = parse("http_load target") else {
            panic!("not target")
        };
        assert_eq!(
            (target.listen.as_str(), target.status, target.delay_ms),
            ("127.0.0.1:8080", 200, 0)
        );
    }

    #[test]
    fn bad_values_name_their_flag() {
        for (line, expected) in [
            (
                "http_load demo --rate 0",
                "invalid value '0' for '--rate <R>'",
            ),
            (
                "http_load demo --rate -5",
                "invalid value '-5' for '--rate <R>'",
            ),
            (
                "http_load demo --duration -1",
                "invalid value '-1' for '--duration <SECONDS>'",
            ),
            (
                "http_load demo --requests many",
                "invalid value 'many' for '--requests <N>'",
            ),
            (
                "http_load demo --bind x",
                "unexpected argument '--bind' found",
            ),
            ("http_load control --requests 5", "--url <URL>"),
            ("http_load worker", "--connect <ADDR>"),
            ("http_load fly", "unrecognized subcommand 'fly'"),
        ] {
            let error = Cli::try_parse_from(line.split_whitespace()).expect_err(line);
            assert!(error.to_string().contains(expected), "{line}: {error}");
        }
    }
}
