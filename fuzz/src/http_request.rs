//! `http_request`: any bytes a client may send an http_server route, read by the real
//! connection over a socket pair and answered at once, request after request.
//!
//! - the same bytes arriving whole and in pieces of 1 to 64 bytes make the same requests
//!   and the same refusals (the parser keeps no state that depends on how reads fall);
//! - every body is within the route's bound, every refusal is 400, 413 or 431, every
//!   request's message carries the request in its head;
//! - the connection is closed once the client has finished and been answered.

use dripdrop::fuzzing::http::{http_server, HttpEvent, MAX_BODY_BYTES};
use dripdrop::Value;

pub fn check(data: &[u8]) {
    let whole = http_server(data, false);
    let pieces = http_server(data, true);
    assert!(
        whole.closed && pieces.closed,
        "a finished connection was left open"
    );
    assert_eq!(
        comparable(&whole.events),
        comparable(&pieces.events),
        "the same bytes read differently when they arrive in pieces"
    );
    for event in &whole.events {
        match event {
            HttpEvent::Request {
                method,
                path,
                body,
                message,
                ..
            } => {
                assert!(body.len() <= MAX_BODY_BYTES, "a body over the bound");
                if let Ok(message) = message {
                    let entry = |key| message.head_get(key).and_then(Value::as_str);
                    assert_eq!(entry("http_method"), Some(method.as_str()));
                    assert_eq!(entry("http_path"), Some(path.as_str()));
                }
            }
            HttpEvent::Refused { status, .. } => {
                assert!([400, 413, 431].contains(status), "refused with {status}");
            }
        }
    }
    if !whole.output.is_empty() {
        assert!(
            whole.output.starts_with(b"HTTP/1."),
            "an answer that is not HTTP"
        );
    }
}

/// The events as they must agree. A head refused as malformed (400) or too large (431) may
/// be either, depending on how much of it had come: past the bound an incomplete head is
/// too large at once, while a whole one is parsed and may be malformed first. Both close the
/// connection; which one the client is told is not part of the check.
fn comparable(events: &[HttpEvent]) -> Vec<String> {
    events
        .iter()
        .map(|event| match event {
            HttpEvent::Refused { status: 431, .. } => "refused head".to_owned(),
            HttpEvent::Refused { status: 400, why } if why.starts_with("bad request head") => {
                "refused head".to_owned()
            }
            other => format!("{other:?}"),
        })
        .collect()
}
