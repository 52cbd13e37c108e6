//! The original DripDrop push/pull example: a pusher on a timer and two pullers that share
//! the work. ZeroMQ hands each message to one puller, round-robin among those connected;
//! nothing is lost or duplicated, and a message sent before any puller is connected waits in
//! the route's send queue.
//!
//! Run: `cargo run -p dripdrop-examples --bin pushpull -- [--count N] [--interval-ms MS]
//! [--addr ADDR]`

use clap::Parser;
use dripdrop::{Message, Mode, Node, RouteKind};
use dripdrop_examples::{exit_code, Fallible, FirstError};
use std::cell::Cell;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

/// A pusher sends N messages on a timer to two pullers, each message to one of them. Stops
/// when the pullers have received all N.
#[derive(Debug, Parser)]
#[command(name = "pushpull")]
struct Args {
    /// Messages to send
    #[arg(long, value_name = "N", default_value_t = 10)]
    count: u64,
    /// Time between messages, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 100)]
    interval_ms: u64,
    /// Where the pusher binds
    #[arg(long, value_name = "ADDR", default_value = "tcp://127.0.0.1:*")]
    addr: String,
}

fn run(args: Args) -> Fallible<()> {
    let count = args.count;
    let interval = Duration::from_millis(args.interval_ms.max(1));
    let addr = args.addr.as_str();

    let mut node = Node::new()?;
    let failed = FirstError::watch(&mut node);
    let endpoint = node
        .route("push", RouteKind::Push, &[addr], Mode::Bind)?
        .endpoint()
        .to_owned();
    println!("pusher bound to {endpoint}");

    let received = Rc::new(Cell::new(0u64));
    for puller in ["receiver 1", "receiver 2"] {
        node.route(puller, RouteKind::Pull, &[&endpoint], Mode::Connect)?;
        let received = Rc::clone(&received);
        node.on_receive(puller, move |node, message| {
            let text = message.body().as_str().unwrap_or("?");
            println!("{puller} <- {text}");
            received.set(received.get() + 1);
            if received.get() == count {
                println!("done: {count} sent, {count} received");
                node.stop();
            }
        })?;
    }

    let mut sent = 0u64;
    let errors = failed.clone();
    node.every(interval, move |node| {
        if sent == count {
            return;
        }
        sent += 1;
        let message = Message::new("test").map(|m| m.with_body(format!("Test Payload {sent}")));
        match message.and_then(|message| node.send_message("push", &message)) {
            Ok(()) => println!("sent {sent}"),
            Err(e) => errors.set(node, e),
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
    exit_code("pushpull", run(Args::parse()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn flags_and_defaults() {
        Args::command().debug_assert();
        let args = Args::parse_from(["pushpull"]);
        assert_eq!(
            (args.count, args.interval_ms, args.addr.as_str()),
            (10, 100, "tcp://127.0.0.1:*")
        );
        let args = Args::parse_from([
            "pushpull",
            "--count",
            "12",
            "--interval-ms=5",
            "--addr",
            "ipc://x",
        ]);
        assert_eq!(
            (args.count, args.interval_ms, args.addr.as_str()),
            (12, 5, "ipc://x")
        );
    }
}
