//! The app from the original DripDrop README, made of three nodelets that talk only through
//! routes, so one program deploys as one process or as three:
//!
//! - `stats_producer` publishes a `stats.load` message on a timer (zmq_publish, binds);
//! - `stats_collector` subscribes to them (topic filter `stats.`), and pushes an aggregate of
//!   every `--batch` stats (zmq_subscribe, connects; zmq_push, binds);
//! - `stats_processor` pulls the aggregates, counts them and prints them (zmq_pull,
//!   connects).
//!
//! `--run-list` picks the nodelets this process runs (default: all three). A nodelet that
//! binds prints its endpoint; a nodelet that connects to one running in another process is
//! told where by `--stats` or `--aggregates`:
//!
//! ```text
//! nodelets --run-list stats_producer                     # prints: ... publishing stats on A
//! nodelets --run-list stats_collector --stats A          # prints: ... pushing aggregates on B
//! nodelets --run-list stats_processor --aggregates B
//! ```
//!
//! The processor stops after `--count` aggregates and the collector after sending as many;
//! the producer publishes until its process stops, or `--stats-limit` stats. The process
//! stops when every nodelet in it that has an end has reached it.
//!
//! Run: `cargo run -p dripdrop-examples --bin nodelets -- [--run-list a,b] [--count N] ...`

use clap::Parser;
use dripdrop::{
    Message, Mode, Node, NodeOptions, RouteKind, RouteOptions, TimerId, TopicFilter, Value,
};
use dripdrop_examples::{exit_code, nodelet_named, peer_address, Fallible, FirstError};
use std::cell::{Cell, RefCell};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

const NODELETS: [&str; 3] = ["stats_producer", "stats_collector", "stats_processor"];

/// The original DripDrop README's app: stats_producer publishes stats on a timer,
/// stats_collector subscribes to them and pushes an aggregate of every batch, stats_processor
/// pulls and prints the aggregates.
#[derive(Debug, Parser)]
#[command(name = "nodelets")]
struct Config {
    /// Comma-separated nodelets to run here [default: all three]
    #[arg(long, value_name = "NAMES", value_delimiter = ',', value_parser = nodelet)]
    run_list: Option<Vec<String>>,
    /// The producer binds it; a collector without the producer in its process connects to it
    #[arg(long, value_name = "ADDR", default_value = "tcp://127.0.0.1:*")]
    stats: String,
    /// The collector binds it; a processor without the collector in its process connects to
    /// it
    #[arg(long, value_name = "ADDR", default_value = "tcp://127.0.0.1:*")]
    aggregates: String,
    /// Aggregates the processor takes, and the collector sends, before stopping
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    count: u64,
    /// Stats per aggregate
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..))]
    batch: u64,
    /// Time between stats, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 100)]
    interval_ms: u64,
    /// The producer stops after N stats [default: it runs until stopped]
    #[arg(long, value_name = "N")]
    stats_limit: Option<u64>,
}

impl Config {
    fn interval(&self) -> Duration {
        Duration::from_millis(self.interval_ms.max(1))
    }
}

/// One name of `--run-list`.
fn nodelet(name: &str) -> Result<String, String> {
    nodelet_named(name, &NODELETS)
}

/// Counts the nodelets of this process that still have work before their end; the last to
/// finish stops the node.
#[derive(Clone, Default)]
struct Unfinished {
    left: Rc<Cell<usize>>,
    /// Timers to cancel when the node stops: `stop` lets a timer that is due run once more.
    timers: Rc<RefCell<Vec<TimerId>>>,
}

impl Unfinished {
    /// A nodelet with an end joins.
    fn join(&self) {
        self.left.set(self.left.get() + 1);
    }

    /// A timer that ends with the node.
    fn timer(&self, id: TimerId) {
        self.timers.borrow_mut().push(id);
    }

    /// A nodelet reached its end.
    fn finish(&self, node: &mut Node) {
        self.left.set(self.left.get() - 1);
        if self.left.get() == 0 {
            for id in self.timers.borrow_mut().drain(..) {
                node.cancel_timer(id);
            }
            node.stop();
        }
    }
}

fn stats_producer(
    node: &mut Node,
    config: &Config,
    unfinished: &Unfinished,
    failed: &FirstError,
) -> Fallible<()> {
    let endpoint = node
        .route(
            "stats_out",
            RouteKind::Publish,
            &[&config.stats],
            Mode::Bind,
        )?
        .endpoint()
        .to_owned();
    println!("stats_producer: publishing stats on {endpoint}");
    let limit = config.stats_limit;
    if limit.is_some() {
        unfinished.join();
    }
    let ends = unfinished.clone();
    let (unfinished, failed) = (unfinished.clone(), failed.clone());
    let mut seq = 0u64;
    let timer = node.every(config.interval(), move |node| {
        if limit.is_some_and(|limit| seq >= limit) {
            return;
        }
        seq += 1;
        // A made-up load figure that moves around.
        let load = ((seq * 37) % 100) as f64 / 100.0;
        let stat = Message::new("stats.load").map(|m| {
            m.with_head_entry("host", "web-1")
                .with_body(Value::Dict(vec![
                    (Value::from("seq"), Value::from(seq)),
                    (Value::from("load"), Value::Float(load)),
                ]))
        });
        if let Err(e) = stat.and_then(|stat| node.send_message("stats_out", &stat)) {
            return failed.set(node, e);
        }
        println!("stats_producer: published stat {seq} (load {load:.2})");
        if limit == Some(seq) {
            unfinished.finish(node);
        }
    });
    ends.timer(timer);
    Ok(())
}

fn stats_collector(
    node: &mut Node,
    config: &Config,
    unfinished: &Unfinished,
    failed: &FirstError,
) -> Fallible<()> {
    let stats = peer_address(node, "stats_out", &config.stats, "stats", "stats_producer")?;
    let options = RouteOptions {
        topic_filter: Some(TopicFilter::Prefix(b"stats.".to_vec())),
        ..RouteOptions::default()
    };
    node.route_with(
        "stats_raw",
        RouteKind::Subscribe,
        &[&stats],
        Mode::Connect,
        options,
    )?;
    let endpoint = node
        .route(
            "stats_filtered",
            RouteKind::Push,
            &[&config.aggregates],
            Mode::Bind,
        )?
        .endpoint()
        .to_owned();
    println!("stats_collector: pushing aggregates on {endpoint}");
    unfinished.join();
    let (unfinished, failed) = (unfinished.clone(), failed.clone());
    let (batch, count) = (config.batch, config.count);
    let mut pending: Vec<(u64, f64)> = Vec::new();
    let mut sent = 0u64;
    node.on_receive("stats_raw", move |node, stat| {
        if sent == count {
            return;
        }
        let seq = stat.body().get("seq").and_then(|v| match v {
            Value::Int(n) => u64::try_from(*n).ok(),
            _ => None,
        });
        let load = match stat.body().get("load") {
            Some(Value::Float(load)) => Some(*load),
            _ => None,
        };
        let (Some(seq), Some(load)) = (seq, load) else {
            return failed.set(
                node,
                format!("stats_collector: a stat without seq and load: {stat:?}"),
            );
        };
        pending.push((seq, load));
        if (pending.len() as u64) < batch {
            return;
        }
        let mean = pending.iter().map(|(_, load)| load).sum::<f64>() / pending.len() as f64;
        let (first, last) = (pending[0].0, pending[pending.len() - 1].0);
        let aggregate = Message::new("aggregate").map(|m| {
            m.with_body(Value::Dict(vec![
                (Value::from("first_seq"), Value::from(first)),
                (Value::from("last_seq"), Value::from(last)),
                (Value::from("stats"), Value::from(pending.len() as u64)),
                (Value::from("mean_load"), Value::Float(mean)),
            ]))
        });
        pending.clear();
        if let Err(e) = aggregate.and_then(|a| node.send_message("stats_filtered", &a)) {
            return failed.set(node, e);
        }
        sent += 1;
        println!("stats_collector: sent aggregate {sent} of stats {first}..{last}");
        if sent == count {
            unfinished.finish(node);
        }
    })?;
    Ok(())
}

fn stats_processor(
    node: &mut Node,
    config: &Config,
    unfinished: &Unfinished,
    failed: &FirstError,
) -> Fallible<()> {
    let aggregates = peer_address(
        node,
        "stats_filtered",
        &config.aggregates,
        "aggregates",
        "stats_collector",
    )?;
    node.route(
        "stats_ingress",
        RouteKind::Pull,
        &[&aggregates],
        Mode::Connect,
    )?;
    println!("stats_processor: pulling aggregates from {aggregates}");
    unfinished.join();
    let (unfinished, failed) = (unfinished.clone(), failed.clone());
    let count = config.count;
    let mut received = 0u64;
    node.on_receive("stats_ingress", move |node, aggregate| {
        if received == count {
            return;
        }
        let body = aggregate.body();
        let number = |key: &str| match body.get(key) {
            Some(Value::Int(n)) => Some(*n),
            _ => None,
        };
        let mean = match body.get("mean_load") {
            Some(Value::Float(mean)) => Some(*mean),
            _ => None,
        };
        let (Some(first), Some(last), Some(stats), Some(mean)) = (
            number("first_seq"),
            number("last_seq"),
            number("stats"),
            mean,
        ) else {
            return failed.set(
                node,
                format!("stats_processor: not an aggregate: {aggregate:?}"),
            );
        };
        received += 1;
        println!(
            "stats_processor: {} {received}: {stats} stats, {first}..{last}, mean load {mean:.3}",
            aggregate.name()
        );
        if received == count {
            println!("stats_processor: done, {received} aggregates");
            unfinished.finish(node);
        }
    })?;
    Ok(())
}

fn run(config: Config) -> Fallible<()> {
    let mut node = Node::with_options(NodeOptions {
        run_list: config.run_list.clone(),
        ..NodeOptions::default()
    })?;
    let failed = FirstError::watch(&mut node);
    let unfinished = Unfinished::default();
    type Setup = fn(&mut Node, &Config, &Unfinished, &FirstError) -> Fallible<()>;
    let setups: [(&str, Setup); 3] = [
        ("stats_producer", stats_producer),
        ("stats_collector", stats_collector),
        ("stats_processor", stats_processor),
    ];
    for (name, setup) in setups {
        // `nodelet` runs the setup only if the run list names it.
        node.nodelet(name, |node| {
            setup(node, &config, &unfinished, &failed)
                .map_err(|e| dripdrop::Error::InvalidArgument(e.to_string()))
        })?;
    }
    println!("running nodelets: {}", node.nodelets().join(", "));
    node.run()?;
    failed.check()
}

fn main() -> ExitCode {
    exit_code("nodelets", run(Config::parse()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn flags_and_defaults() {
        Config::command().debug_assert();
        let config = Config::parse_from(["nodelets"]);
        assert_eq!(config.run_list, None);
        assert_eq!(
            (config.stats.as_str(), config.aggregates.as_str()),
            ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*")
        );
        assert_eq!(
            (
                config.count,
                config.batch,
                config.interval_ms,
                config.stats_limit
            ),
            (5, 4, 100, None)
        );
        let config = Config::parse_from([
            "nodelets",
            "--run-list",
            "stats_collector, stats_processor",
            "--stats",
            "tcp://a:1",
            "--aggregates",
            "tcp://b:2",
            "--count",
            "2",
            "--batch",
            "3",
            "--interval-ms",
            "0",
            "--stats-limit",
            "9",
        ]);
        assert_eq!(
            config.run_list,
            Some(vec![
                "stats_collector".to_owned(),
                "stats_processor".to_owned()
            ])
        );
        assert_eq!(
            (config.count, config.batch, config.stats_limit),
            (2, 3, Some(9))
        );
        assert_eq!(
            config.interval(),
            Duration::from_millis(1),
            "at least a millisecond"
        );
    }

    #[test]
    fn counts_are_at_least_one() {
        for flag in ["--count", "--batch"] {
            let error = Config::try_parse_from(["nodelets", flag, "0"]).expect_err(flag);
            assert!(
                error
                    .to_string()
                    .contains(&format!("invalid value '0' for '{flag} <N>'")),
                "{error}"
            );
        }
    }
}
