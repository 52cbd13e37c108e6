//! The `pushpull` example: every message reaches exactly one puller.

mod support;

use support::run;

const PUSHPULL: &str = env!("CARGO_BIN_EXE_pushpull");

#[test]
fn every_message_reaches_one_puller_once() {
    let out = run(PUSHPULL, &["--count", "12", "--interval-ms", "1"]);
    out.assert_clean("pushpull");
    assert!(out
        .lines_after("pusher bound to tcp://127.0.0.1:")
        .next()
        .is_some_and(|port| port.parse::<u16>().is_ok()));
    let mut payloads: Vec<u32> = ["receiver 1 <- ", "receiver 2 <- "]
        .into_iter()
        .flat_map(|who| out.lines_after(who))
        .map(|text| {
            let n = text.strip_prefix("Test Payload ").expect("a payload");
            n.parse().expect("its number")
        })
        .collect();
    payloads.sort_unstable();
    assert_eq!(payloads, (1..=12).collect::<Vec<_>>(), "{:#?}", out.stdout);
    assert_eq!(out.lines_after("sent ").count(), 12);
    assert_eq!(
        out.stdout.last().map(String::as_str),
        Some("done: 12 sent, 12 received")
    );
}

/// A wrong command line is clap's usage error, status 2, naming the flag and why.
#[test]
fn a_bad_count_is_a_usage_error() {
    let out = run(PUSHPULL, &["--count", "many"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        out.stderr.lines().next(),
        Some("error: invalid value 'many' for '--count <N>': invalid digit found in string")
    );
    assert!(out.stdout.is_empty());
}
