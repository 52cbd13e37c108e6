//! `http_load` end to end: the demo; a control with two worker processes and a target; a
//! target answering 500 and a refused port in the right counts; a worker SIGKILLed mid-run.

mod support;

use serde_json::Value as Json;
use support::{run, Program};

const HTTP_LOAD: &str = env!("CARGO_BIN_EXE_http_load");

fn json_report(stdout: &[String]) -> Json {
    let line = stdout
        .iter()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON report in {stdout:#?}"));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

fn count(report: &Json, section: &str, key: &str) -> u64 {
    report[section][key].as_u64().unwrap_or(0)
}

/// A target process; its URL.
fn target(extra: &[&str]) -> (Program, String) {
    let mut args = vec!["target", "--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let mut program = Program::start(HTTP_LOAD, &args);
    let url = program
        .wait_for_line("target listening on ")
        .trim()
        .to_owned();
    (program, url)
}

/// A control process bound on an ephemeral port; its endpoint for workers.
fn control(args: &[&str]) -> (Program, String) {
    let mut all = vec!["control", "--bind", "tcp://127.0.0.1:*", "--json"];
    all.extend_from_slice(args);
    let mut program = Program::start(HTTP_LOAD, &all);
    let endpoint = program
        .wait_for_line("control listening on ")
        .trim()
        .to_owned();
    (program, endpoint)
}

fn worker(endpoint: &str, name: &str) -> Program {
    let mut program = Program::start(
        HTTP_LOAD,
        &["worker", "--connect", endpoint, "--name", name, "--verbose"],
    );
    program.wait_for_line("worker ");
    program
}

#[test]
fn the_demo_reports_every_request() {
    let out = run(HTTP_LOAD, &["demo", "--requests", "3000", "--json"]);
    out.assert_clean("http_load demo");
    let report = json_report(&out.stdout);
    assert_eq!(report["requests"], 3000);
    assert_eq!(count(&report, "status_codes", "200"), 3000);
    assert_eq!(report["errors"], serde_json::json!({}));
    assert!(report["latency_ms"]["p99"].as_f64().unwrap() > 0.0);
}

/// A paced load keeps its schedule: not faster than the rate, and not slowed by batches
/// waiting for a worker (a batch's due times count from when it is made, so it must not be
/// made long before a worker starts it; that once made a run take 10 times too long).
#[test]
fn a_paced_demo_keeps_to_its_rate() {
    let out = run(
        HTTP_LOAD,
        &[
            "demo",
            "--requests",
            "2000",
            "--batch",
            "100",
            "--rate",
            "4000",
            "--json",
        ],
    );
    out.assert_clean("http_load demo --rate");
    let report = json_report(&out.stdout);
    assert_eq!(report["requests"], 2000);
    let seconds = report["seconds"].as_f64().unwrap();
    // 2,000 requests due 1/4000 s apart: the last is due at 0.49975 s.
    assert!(seconds >= 0.499, "faster than the rate: {seconds} s");
    assert!(
        seconds < 2.5,
        "the schedule slipped: {seconds} s for 0.5 s of load"
    );
}

/// A timed run stops making requests when its time is up, and ends soon after (the batches
/// out when time is up finish); it once made the whole run's batches in its first instant.
#[test]
fn a_timed_demo_ends_on_time() {
    let started = std::time::Instant::now();
    let out = run(HTTP_LOAD, &["demo", "--duration", "0.5", "--json"]);
    out.assert_clean("http_load demo --duration");
    let report = json_report(&out.stdout);
    assert!(report["requests"].as_u64().unwrap() > 0);
    let seconds = report["seconds"].as_f64().unwrap();
    assert!(seconds >= 0.5, "ended before its time: {seconds} s");
    // Generous: a loaded machine runs the last batches slowly, but not for ten times the run.
    assert!(
        seconds < 5.0,
        "overran its time: {seconds} s for a 0.5 s run"
    );
    assert!(started.elapsed().as_secs_f64() < 30.0);
}

#[test]
fn a_control_and_two_worker_processes_count_every_request() {
    let (target, url) = target(&[]);
    let (control, endpoint) = control(&[
        "--url",
        &url,
        "--requests",
        "5000",
        "--batch",
        "250",
        "--workers",
        "2",
    ]);
    let workers = [worker(&endpoint, "w1"), worker(&endpoint, "w2")];
    let out = control.finish();
    out.assert_clean("http_load control");
    let report = json_report(&out.stdout);
    assert_eq!(report["requests"], 5000);
    assert_eq!(count(&report, "status_codes", "200"), 5000);
    let (w1, w2) = (
        count(&report, "per_worker", "w1"),
        count(&report, "per_worker", "w2"),
    );
    assert_eq!(w1 + w2, 5000);
    assert!(w1 > 0 && w2 > 0, "both workers served: {w1} and {w2}");
    drop(workers);
    drop(target);
}

#[test]
fn a_500_target_and_a_refused_port_show_in_the_right_counts() {
    let (target, failing) = target(&["--status", "500"]);
    // A port nothing listens on: bound, then let go.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let refused = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let urls = format!("{failing},{refused}");
    let (control, endpoint) = control(&["--url", &urls, "--requests", "2000", "--batch", "100"]);
    let w = worker(&endpoint, "w");
    let out = control.finish();
    out.assert_clean("http_load control");
    let report = json_report(&out.stdout);
    assert_eq!(report["requests"], 2000);
    assert_eq!(count(&report, "status_codes", "500"), 1000);
    assert_eq!(count(&report, "errors", "refused"), 1000);
    drop(w);
    drop(target);
}

#[test]
fn a_worker_killed_mid_run_loses_no_request() {
    // Each request takes a millisecond: the run lasts long enough to kill a worker in it.
    let (target, url) = target(&["--delay-ms", "1"]);
    let (control, endpoint) = control(&[
        "--url",
        &url,
        "--requests",
        "3000",
        "--batch",
        "100",
        "--connections",
        "2",
        "--workers",
        "2",
    ]);
    let mut victim = worker(&endpoint, "victim");
    let survivor = worker(&endpoint, "survivor");
    // Once the victim has finished a batch it is in the middle of the next one.
    victim.wait_for_line("batch ");
    victim.kill();
    let out = control.finish();
    out.assert_clean("http_load control");
    let report = json_report(&out.stdout);
    assert_eq!(report["requests"], 3000, "{report}");
    assert_eq!(count(&report, "status_codes", "200"), 3000);
    assert!(count(&report, "per_worker", "survivor") > 0);
    drop(survivor);
    drop(target);
}

/// A wrong command line is clap's usage error and status 2; a failure of the work is one line
/// and status 1.
#[test]
fn usage_errors_and_failures_are_told_apart() {
    let out = run(HTTP_LOAD, &["control", "--requests", "5"]);
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    assert!(
        out.stderr.starts_with(
            "error: the following required arguments were not provided:\n  --url <URL>\n"
        ),
        "{}",
        out.stderr
    );
    let out = run(HTTP_LOAD, &["target", "--listen", "256.0.0.1:1"]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(out.stderr.starts_with("http_load: "), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(out.stdout.is_empty());
}
