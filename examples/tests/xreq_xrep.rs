//! The `xreq_xrep` example: each reply comes back to its own request's callback.

mod support;

use support::run;

const XREQ_XREP: &str = env!("CARGO_BIN_EXE_xreq_xrep");

#[test]
fn every_request_gets_its_own_reply() {
    let out = run(XREQ_XREP, &["--count", "7", "--interval-ms", "1"]);
    out.assert_clean("xreq_xrep");
    assert!(out
        .lines_after("xrep bound to tcp://127.0.0.1:")
        .next()
        .is_some_and(|port| port.parse::<u16>().is_ok()));
    let served: Vec<&str> = out.lines_after("xrep <- ").collect();
    let mut replies: Vec<(String, String)> = out
        .lines_after("reply to ")
        .map(|rest| {
            let (id, body) = rest.split_once(": ").expect("id: body");
            (id.to_owned(), body.to_owned())
        })
        .collect();
    replies.sort();
    let mut expected: Vec<(String, String)> = (1..=7)
        .map(|n| {
            let id = format!("{}{n}", if n % 2 == 1 { 'i' } else { 'k' });
            let body = format!("re: Test Payload {id}");
            (id, body)
        })
        .collect();
    expected.sort();
    assert_eq!(replies, expected, "{:#?}", out.stdout);
    assert_eq!(served.len(), 7, "{served:?}");
    assert_eq!(
        out.stdout.last().map(String::as_str),
        Some("done: 7 requests, 7 replies")
    );
}

#[test]
fn a_reply_that_comes_too_late_is_a_timeout_error() {
    // With no time at all to wait, the request's timer fires before its reply can arrive.
    let out = run(XREQ_XREP, &["--timeout-ms", "0", "--interval-ms", "1"]);
    assert_eq!(out.status.code(), Some(1), "{:#?}", out.stdout);
    assert_eq!(out.stderr, "xreq_xrep: route req: no reply within 0 ms\n");
}
