//! The original DripDrop pub/sub example: a publisher on a timer and subscribers that pick
//! the messages they want by name. Pub/sub sends `[name, message]`, so a subscriber's topic
//! filter sees the message name:
//!
//! - `all` takes everything;
//! - `cpu` filters by prefix (`cpu.`), which ZeroMQ applies at the publisher;
//! - `odd` filters by regex (`[13579]$`), applied by the subscriber after receipt.
//!
//! The publisher sends `cpu.N`, `mem.N` and `disk.N` in turn. The program stops once every subscriber
//! has received `--count` messages (the first few may be missed while the subscribers
//! connect: ZeroMQ's publisher drops what no subscriber is there to take).
//!
//! Run: `cargo run -p dripdrop-examples --bin pubsub -- [--count N] [--interval-ms MS]
//! [--addr ADDR]`

use clap::Parser;
use dripdrop::{Message, Mode, Node, RouteKind, RouteOptions, TimerId, TopicFilter, Value};
use dripdrop_examples::{exit_code, Fallible, FirstError};
use std::cell::{Cell, RefCell};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

/// A publisher sends cpu.N, mem.N and disk.N on a timer; subscriber `all` takes everything,
/// `cpu` the names starting with cpu. (a prefix filter) and `odd` the names ending in an odd
/// digit (a regex filter). Stops once every subscriber has received N messages.
#[derive(Debug, Parser)]
#[command(name = "pubsub")]
struct Args {
    /// Messages each subscriber receives before the program stops
    #[arg(long, value_name = "N", default_value_t = 5)]
    count: u64,
    /// Time between publications, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 100)]
    interval_ms: u64,
    /// Where the publisher binds
    #[arg(long, value_name = "ADDR", default_value = "tcp://127.0.0.1:*")]
    addr: String,
}

/// The subscribers: route name and topic filter.
fn subscribers() -> Fallible<Vec<(&'static str, Option<TopicFilter>)>> {
    Ok(vec![
        ("all", None),
        ("cpu", Some(TopicFilter::Prefix(b"cpu.".to_vec()))),
        (
            "odd",
            Some(TopicFilter::Regex(regex::Regex::new("[13579]$")?)),
        ),
    ])
}

fn run(args: Args) -> Fallible<()> {
    let count = args.count;
    let interval = Duration::from_millis(args.interval_ms.max(1));
    let addr = args.addr.as_str();

    let mut node = Node::new()?;
    let failed = FirstError::watch(&mut node);
    let endpoint = node
        .route("pub", RouteKind::Publish, &[addr], Mode::Bind)?
        .endpoint()
        .to_owned();
    println!("publisher bound to {endpoint}");

    // The publisher's timer, cancelled when the program is done: `stop` lets a timer that is
    // due run once more.
    let publisher: Rc<Cell<Option<TimerId>>> = Rc::default();
    let subscribers = subscribers()?;
    let received = Rc::new(RefCell::new(vec![0u64; subscribers.len()]));
    for (i, (name, filter)) in subscribers.into_iter().enumerate() {
        let options = RouteOptions {
            topic_filter: filter,
            ..RouteOptions::default()
        };
        node.route_with(
            name,
            RouteKind::Subscribe,
            &[&endpoint],
            Mode::Connect,
            options,
        )?;
        let received = Rc::clone(&received);
        let publisher = Rc::clone(&publisher);
        node.on_receive(name, move |node, message| {
            let body = message.body().get("text").and_then(Value::as_str);
            println!("{name} <- {}: {}", message.name(), body.unwrap_or("?"));
            let mut received = received.borrow_mut();
            received[i] += 1;
            if received.iter().all(|&n| n >= count) {
                println!(
                    "done: all received {}, cpu {}, odd {}",
                    received[0], received[1], received[2]
                );
                if let Some(id) = publisher.take() {
                    node.cancel_timer(id);
                }
                node.stop();
            }
        })?;
    }

    let mut n = 0u64;
    let errors = failed.clone();
    let timer = node.every(interval, move |node| {
        n += 1;
        let topic = ["cpu", "mem", "disk"][((n - 1) % 3) as usize];
        let result = Message::new(format!("{topic}.{n}")).map(|message| {
            message.with_body(Value::Dict(vec![
                (Value::from("seq"), Value::from(n)),
                (
                    Value::from("text"),
                    Value::from(format!("Test Payload {n}")),
                ),
            ]))
        });
        // Publishing drops what no subscriber takes; an error here is a real one.
        match result.and_then(|message| node.send_message("pub", &message)) {
            Ok(()) => println!("published {topic}.{n}"),
            Err(e) => errors.set(node, e),
        }
    });
    publisher.set(Some(timer));
    if count == 0 {
        println!("done: nothing to receive");
        return Ok(());
    }
    node.run()?;
    failed.check()
}

fn main() -> ExitCode {
    exit_code("pubsub", run(Args::parse()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn flags_and_defaults() {
        Args::command().debug_assert();
        let args = Args::parse_from(["pubsub"]);
        assert_eq!(
            (args.count, args.interval_ms, args.addr.as_str()),
            (5, 100, "tcp://127.0.0.1:*")
        );
        let args = Args::parse_from([
            "pubsub",
            "--count",
            "3",
            "--interval-ms",
            "20",
            "--addr=ipc://x",
        ]);
        assert_eq!(
            (args.count, args.interval_ms, args.addr.as_str()),
            (3, 20, "ipc://x")
        );
    }
}
