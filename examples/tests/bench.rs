//! The `bench` program runs (with tiny counts) and ends each benchmark with its RESULT line,
//! so it cannot rot between the times someone measures with it.

mod support;

use support::run;

const BENCH: &str = env!("CARGO_BIN_EXE_bench");

/// The ratio of a `RESULT name ratio` line.
fn ratio(line: &str, name: &str) -> f64 {
    let rest = line
        .strip_prefix(&format!("RESULT {name} "))
        .unwrap_or_else(|| panic!("not a RESULT {name} line: {line:?}"));
    let ratio: f64 = rest
        .parse()
        .unwrap_or_else(|_| panic!("not a ratio: {rest:?}"));
    assert!(ratio.is_finite() && ratio > 0.0, "{line}");
    ratio
}

#[test]
fn each_benchmark_ends_with_its_result_line() {
    for name in [
        "pushpull",
        "pushpull_control",
        "defer",
        "pool_local",
        "pool_remote",
        "pool_latency",
        "pool_prefetch",
        "http_load",
        "http_server",
        "ws_echo",
        "pushpull_curve",
        "zmq_curve",
        "pool_remote_curve",
    ] {
        let out = run(BENCH, &[name, "--quick"]);
        out.assert_clean("bench");
        ratio(out.stdout.last().expect("output"), name);
        assert!(
            out.stdout
                .iter()
                .any(|l| l.starts_with(&format!("{name} round 1: dripdrop "))),
            "{:#?}",
            out.stdout
        );
    }
}

#[test]
fn all_runs_every_benchmark() {
    let out = run(BENCH, &["all", "--quick", "--count", "500"]);
    out.assert_clean("bench");
    let results: Vec<&String> = out
        .stdout
        .iter()
        .filter(|l| l.starts_with("RESULT "))
        .collect();
    let names = [
        "pushpull",
        "pushpull_control",
        "defer",
        "pool_local",
        "pool_remote",
        "pool_latency",
        "pool_prefetch",
        "http_load",
        "http_server",
        "ws_echo",
        "pushpull_curve",
        "zmq_curve",
        "pool_remote_curve",
    ];
    assert_eq!(results.len(), names.len(), "{:#?}", out.stdout);
    for (line, name) in results.iter().zip(names) {
        ratio(line, name);
    }
    assert_eq!(out.stdout.last(), Some(results[names.len() - 1]));
}

/// An unknown name is clap's usage error, status 2, listing the benchmarks there are.
#[test]
fn an_unknown_benchmark_is_a_usage_error() {
    let out = run(BENCH, &["pingpong"]);
    assert_eq!(out.status.code(), Some(2));
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(
        lines[..2],
        [
            "error: invalid value 'pingpong' for '<NAME>'",
            "  [possible values: pushpull, pushpull_control, defer, pool_remote, pool_local, pool_latency, \
             pool_prefetch, http_load, http_server, ws_echo, pushpull_curve, zmq_curve, pool_remote_curve, all]"
        ],
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
}
