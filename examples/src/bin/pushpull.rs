//! The original DripDrop push/pull example: a pusher on a timer and two pullers that share
//! the work. ZeroMQ hands each message to one puller, round-robin among those connected;
//! nothing is lost or duplicated, and a message sent before any puller is connected waits in
//! the route's send queue.
//!
//! Run: `cargo run -p dripdrop-examples --bin pushpull -- [--count N] [--interval-ms MS]
//! [--addr ADDR]`

use dripdrop::{Message, Mode, Node, RouteKind};
use dripdrop_examples::{main_with, Fallible, FirstError, Flags};
use std::cell::Cell;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

const USAGE: &str = "\
usage: pushpull [--count N] [--interval-ms MS] [--addr ADDR]

A pusher sends N messages on a timer to two pullers, each message to one of them. Stops
when the pullers have received all N.

  --count N         messages to send (default 10)
  --interval-ms MS  time between messages (default 100)
  --addr ADDR       where the pusher binds (default tcp://127.0.0.1:*)
";

fn run(args: Vec<String>) -> Fallible<()> {
    let flags = Flags::parse(args, &["count", "interval-ms", "addr"], &[])?;
    let count: u64 = flags.number("count", 10)?;
    let interval = Duration::from_millis(flags.number("interval-ms", 100)?.max(1));
    let addr = flags.get_or("addr", "tcp://127.0.0.1:*");

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
    main_with("pushpull", USAGE, run)
}
