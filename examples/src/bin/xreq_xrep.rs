//! The original DripDrop xreq/xrep example: requests with replies. An xrep (ROUTER) route
//! answers each request through the `Response` it comes with; an xreq (DEALER) route sends
//! requests, two per tick, and each reply comes back to the callback of its own request,
//! matched by the request id DripDrop puts in the envelope, or a timeout error if it does
//! not come in time.
//!
//! Run: `cargo run -p dripdrop-examples --bin xreq_xrep -- [--count N] [--interval-ms MS]
//! [--timeout-ms MS] [--addr ADDR]`

use clap::Parser;
use dripdrop::{Message, Mode, Node, RouteKind, RouteOptions, Value};
use dripdrop_examples::{exit_code, Fallible, FirstError};
use std::cell::Cell;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

/// An xreq route sends N requests, two per tick, to an xrep route that answers each; every
/// reply comes back to the callback of its request. Stops when all N replies are in.
#[derive(Debug, Parser)]
#[command(name = "xreq_xrep")]
struct Args {
    /// Requests to send
    #[arg(long, value_name = "N", default_value_t = 6)]
    count: u64,
    /// Time between ticks, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 100)]
    interval_ms: u64,
    /// How long a request waits for its reply, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 5000)]
    timeout_ms: u64,
    /// Where the xrep route binds
    #[arg(long, value_name = "ADDR", default_value = "tcp://127.0.0.1:*")]
    addr: String,
}

fn run(args: Args) -> Fallible<()> {
    let count = args.count;
    let interval = Duration::from_millis(args.interval_ms.max(1));
    let timeout = Duration::from_millis(args.timeout_ms);
    let addr = args.addr.as_str();

    let mut node = Node::new()?;
    let failed = FirstError::watch(&mut node);

    // The server: answers every request with its text, echoed.
    let endpoint = node
        .route("rep", RouteKind::Xrep, &[addr], Mode::Bind)?
        .endpoint()
        .to_owned();
    println!("xrep bound to {endpoint}");
    let errors = failed.clone();
    node.on_request("rep", move |node, request, response| {
        let text = request.body().as_str().unwrap_or("?").to_owned();
        println!("xrep <- {text}");
        let reply = Message::new("reply").map(|m| m.with_body(format!("re: {text}")));
        if let Err(e) = reply.and_then(|reply| response.send_message(node, &reply)) {
            errors.set(node, e);
        }
    })?;

    // The client: requests whose replies come back to their own callbacks.
    let options = RouteOptions {
        request_timeout: Some(timeout),
        ..RouteOptions::default()
    };
    node.route_with("req", RouteKind::Xreq, &[&endpoint], Mode::Connect, options)?;
    let replies = Rc::new(Cell::new(0u64));
    let mut sent = 0u64;
    let errors = failed.clone();
    node.every(interval, move |node| {
        for series in ['i', 'k'] {
            if sent == count {
                return;
            }
            sent += 1;
            let text = format!("Test Payload {series}{sent}");
            let replies = Rc::clone(&replies);
            let errors_in_reply = errors.clone();
            let expected = format!("re: {text}");
            let on_reply = move |node: &mut Node, reply: Result<Message, dripdrop::Error>| {
                let reply = match reply {
                    Ok(reply) => reply,
                    Err(e) => return errors_in_reply.set(node, e),
                };
                let body = reply.body().as_str().unwrap_or("?");
                if body != expected {
                    let e = format!("a reply went astray: {body:?} answers {expected:?}");
                    return errors_in_reply.set(node, e);
                }
                println!("reply to {series}{sent}: {body}");
                replies.set(replies.get() + 1);
                if replies.get() == count {
                    println!("done: {count} requests, {count} replies");
                    node.stop();
                }
            };
            let request = Message::new("test").map(|m| m.with_body(Value::from(text)));
            let outcome = request.and_then(|r| node.send_request("req", &r, on_reply));
            if let Err(e) = outcome {
                return errors.set(node, e);
            }
        }
    });
    if count == 0 {
        println!("done: nothing to send");
        return Ok(());
    }
    node.run()?;
    failed.check()
}

fn main() -> ExitCode {
    exit_code("xreq_xrep", run(Args::parse()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn flags_and_defaults() {
        Args::command().debug_assert();
        let args = Args::parse_from(["xreq_xrep"]);
        assert_eq!(
            (
                args.count,
                args.interval_ms,
                args.timeout_ms,
                args.addr.as_str()
            ),
            (6, 100, 5000, "tcp://127.0.0.1:*")
        );
        let args = Args::parse_from([
            "xreq_xrep",
            "--count",
            "1000000",
            "--interval-ms",
            "1",
            "--timeout-ms",
            "0",
            "--addr",
            "tcp://127.0.0.1:*",
        ]);
        assert_eq!(
            (args.count, args.interval_ms, args.timeout_ms),
            (1_000_000, 1, 0)
        );
    }
}
