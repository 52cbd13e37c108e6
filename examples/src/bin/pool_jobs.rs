//! A pool of remote workers given a fixed number of `sleep` tasks (the tasks of
//! `pool_worker`): it binds the pool, submits every task at once, says when the first is
//! done (and each failure), and when each task has its answer — or when the node is stopped, e.g. by SIGTERM
//! under `dripdrop launch` — prints one summary line and exits 0 if every task got an
//! answer. Under a launcher, SIGTERM shuts the node down: tasks that finish within the stop
//! linger count as done, the rest are handed back (`stopped`), none is lost.
//!
//! Run: `cargo run -p dripdrop-examples --bin pool_jobs -- --bind ADDR [--tasks N]
//! [--sleep-ms MS] [--stop-linger-ms MS]`

use clap::Parser;
use dripdrop::{Error, Node, NodeOptions, PoolOptions};
use dripdrop_examples::{exit_code, Fallible};
use std::cell::RefCell;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

/// Submits sleep tasks to remote workers and accounts for every one of them
#[derive(Debug, Parser)]
#[command(name = "pool_jobs")]
struct Args {
    /// Where the pool listens for workers (port * picks one)
    #[arg(long, value_name = "ADDR")]
    bind: String,
    /// Tasks to submit
    #[arg(long, value_name = "N", default_value_t = 100)]
    tasks: u64,
    /// How long each task sleeps
    #[arg(long, value_name = "MS", default_value_t = 100)]
    sleep_ms: u64,
    /// How long a stop may wait for tasks to finish before handing them back
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    stop_linger_ms: u64,
}

/// What became of the tasks.
#[derive(Default)]
struct Tally {
    done: u64,
    stopped: u64,
    failed: u64,
}

fn main() -> ExitCode {
    exit_code("pool_jobs", run(Args::parse()))
}

fn run(args: Args) -> Fallible<()> {
    let options = NodeOptions {
        stop_linger: Duration::from_millis(args.stop_linger_ms),
        ..NodeOptions::default()
    };
    let mut node = Node::with_options(options)?;
    let endpoints = node.worker_pool(
        "jobs",
        PoolOptions {
            max_pending: args.tasks.max(1) as usize,
            ..PoolOptions::remote(&[args.bind.as_str()])
        },
    )?;
    println!("pool_jobs: pool bound on {}", endpoints.join(","));
    let tally = Rc::new(RefCell::new(Tally::default()));
    let total = args.tasks;
    let mut pool = node.pool("jobs")?;
    for _ in 0..total {
        let tally = Rc::clone(&tally);
        pool.defer("sleep", args.sleep_ms, move |node, result| {
            let mut tally = tally.borrow_mut();
            match result {
                Ok(_) => {
                    tally.done += 1;
                    if tally.done == 1 {
                        println!("pool_jobs: first task done");
                    }
                }
                Err(Error::Stopped) => tally.stopped += 1,
                Err(e) => {
                    println!("pool_jobs: a task failed: {e}");
                    tally.failed += 1;
                }
            }
            if tally.done + tally.stopped + tally.failed == total {
                node.stop();
            }
        })?;
    }
    node.run()?;
    let tally = tally.borrow();
    let answered = tally.done + tally.stopped + tally.failed;
    println!(
        "pool_jobs: answered {answered} of {total}: done {}, stopped {}, failed {}",
        tally.done, tally.stopped, tally.failed
    );
    if answered != total {
        return Err(format!("{} tasks got no answer", total - answered).into());
    }
    Ok(())
}
