//! bench's command line: the benchmark to run and the size of the run, and the hidden
//! subcommands of the worker processes some benchmarks start (this program again).

use clap::{Args, Parser, Subcommand, ValueEnum};

/// DripDrop against the bare libraries it is built on. Each benchmark alternates DripDrop and
/// its baseline for some rounds, prints every round and, as its last line, RESULT NAME RATIO
/// (DripDrop's rate divided by the bare baseline's, medians of the rounds).
#[derive(Debug, Parser)]
#[command(
    name = "bench",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    /// The benchmark to run
    #[arg(value_enum, required = true)]
    pub name: Option<Bench>,
    #[command(flatten)]
    pub size: SizeArgs,
    #[command(subcommand)]
    pub process: Option<WorkerProcess>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum Bench {
    /// DripDrop push/pull between two nodes, against libzmq PUSH/PULL of the same bytes
    Pushpull,
    /// DripDrop push/pull reporting to a control server, against the same with reporting off
    PushpullControl,
    /// Node::defer of a trivial op, against a bare crossbeam-channel thread pool
    Defer,
    /// A pool served by two worker processes, against a raw libzmq pipeline through them
    PoolRemote,
    /// A pool's two local threads, against Node::defer on two threads
    PoolLocal,
    /// One task at a time through a pool and one worker process: round-trip p50 and p99,
    /// against a raw libzmq round trip through the same process
    PoolLatency,
    /// A pool with the default (adaptive) prefetch, against the best of fixed prefetches,
    /// and how long tasks spread over its workers
    PoolPrefetch,
    /// http_load's control and one worker process, against wrk -t1 -c4 (needs wrk)
    HttpLoad,
    /// An http_server route answering JSON, against nginx serving the same bytes as a file
    /// (both driven by wrk; needs nginx and wrk)
    HttpServer,
    /// WebSocket echo through a websocket_server route, against a bare tungstenite server
    WsEcho,
    /// DripDrop push/pull with CURVE, against the same with CURVE off
    PushpullCurve,
    /// Raw libzmq PUSH/PULL with CURVE, against raw libzmq plain (the baseline)
    ZmqCurve,
    /// A pool and two worker processes with CURVE, against the same plain
    PoolRemoteCurve,
    /// Each of them, in turn
    All,
}

#[derive(Debug, Args)]
pub struct SizeArgs {
    /// Alternating rounds of each side [default: 7; 1 with --quick]
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub rounds: Option<usize>,
    /// Messages or tasks per round [default: per benchmark; tiny with --quick]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// defer and pool_local: tasks submitted and not yet answered [default: 256]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub in_flight: Option<u64>,
    /// Tiny counts, to check that the benchmark runs (the ratio means nothing)
    #[arg(long)]
    pub quick: bool,
}

/// The processes the benchmarks start: this program again, hidden from `--help`.
#[derive(Debug, Subcommand)]
pub enum WorkerProcess {
    /// A worker process of pool_remote: a pool worker and a raw echo thread
    #[command(name = "__pool-worker", hide = true)]
    PoolWorker {
        pool: String,
        raw_tasks: String,
        raw_results: String,
    },
    /// The worker process of http_load
    #[command(name = "__http-worker", hide = true)]
    HttpWorker { endpoint: String },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(line: &str) -> Cli {
        Cli::try_parse_from(line.split_whitespace()).unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn names_and_sizes() {
        let cli = parse("bench pool_remote");
        assert!(matches!(cli.name, Some(Bench::PoolRemote)));
        let size = &cli.size;
        assert_eq!(
            (size.rounds, size.count, size.in_flight, size.quick),
            (None, None, None, false)
        );
        let cli = parse("bench all --quick --count 500 --rounds 3 --in-flight 64");
        assert!(matches!(cli.name, Some(Bench::All)));
        let size = &cli.size;
        assert_eq!(
            (size.rounds, size.count, size.in_flight, size.quick),
            (Some(3), Some(500), Some(64), true)
        );
        let cli = parse("bench --quick http_load");
        assert!(matches!(cli.name, Some(Bench::HttpLoad)) && cli.size.quick);
    }

    #[test]
    fn the_worker_processes() {
        let cli = parse("bench __pool-worker tcp://a:1 tcp://b:2 tcp://c:3");
        let Some(WorkerProcess::PoolWorker {
            pool,
            raw_tasks,
            raw_results,
        }) = cli.process
        else {
            panic!("not a pool worker: {cli:?}")
        };
        assert_eq!(
            [pool, raw_tasks, raw_results],
            ["tcp://a:1", "tcp://b:2", "tcp://c:3"]
        );
        let cli = parse("bench __http-worker tcp://a:1");
        assert!(
            matches!(cli.process, Some(WorkerProcess::HttpWorker { endpoint }) if endpoint == "tcp://a:1")
        );
    }

    #[test]
    fn counts_are_at_least_one() {
        for flag in ["--rounds", "--count", "--in-flight"] {
            let line = format!("bench pushpull {flag} 0");
            let error = Cli::try_parse_from(line.split_whitespace()).expect_err(&line);
            assert!(
                error
                    .to_string()
                    .contains(&format!("invalid value '0' for '{flag} <N>'")),
                "{error}"
            );
        }
    }
}
