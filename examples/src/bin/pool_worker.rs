//! A worker for DripDrop worker pools, with a few built-in tasks for tests, demos and the
//! benchmarks. It connects to a pool, says READY with its concurrency and the tasks it was
//! told to announce, and serves until it is killed (reconnecting if the pool goes away).
//!
//! Run: `cargo run -p dripdrop-examples --bin pool_worker -- --connect ADDR [--tasks LIST]
//! [--concurrency N] [--heartbeat-ms MS] [--name NAME] [--log FILE]`

use dripdrop::{TaskContext, TaskError, TaskResult, Value, Worker, WorkerOptions};
use dripdrop_examples::{main_with, Fallible, Flags};
use std::fs::OpenOptions;
use std::io::Write;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const USAGE: &str = "\
usage: pool_worker --connect ADDR [--tasks LIST] [--concurrency N] [--heartbeat-ms MS]
                   [--liveness N] [--name NAME] [--log FILE]

Serves a DripDrop worker pool at ADDR (several addresses: repeat them comma-separated).

  --tasks LIST       comma-separated tasks to announce (default: all of them)
  --concurrency N    tasks run at once (default 4)
  --heartbeat-ms MS  heartbeat interval (default 1000)
  --liveness N       silent intervals before reconnecting to the pool (default 3)
  --name NAME        the name the pool shows in its stats (default worker-<pid>)
  --log FILE         append `<task id> <attempt>` to FILE as each task starts

Tasks:
  echo     returns its arguments
  double   an integer times two
  pid      [the worker's process id, the arguments]
  sleep    sleeps the given milliseconds, then returns them
  crash    kills this worker process at once (a task that is poison)
  fail     raises an error of class ArgumentError
";

/// Every built-in task, by name.
const ALL: &[&str] = &["echo", "double", "pid", "sleep", "crash", "fail"];

fn task(name: &str) -> Option<fn(&TaskContext, Value) -> TaskResult> {
    Some(match name {
        "echo" => |_, args| Ok(args),
        "double" => |_, args| match args {
            Value::Int(n) => Ok(Value::Int(n.wrapping_mul(2))),
            other => Err(TaskError::new(
                "ArgumentError",
                format!("not an integer: {other:?}"),
            )),
        },
        "pid" => |_, args| {
            Ok(Value::List(vec![
                Value::from(u64::from(std::process::id())),
                args,
            ]))
        },
        "sleep" => |context, args| {
            let ms = match args {
                Value::Int(ms) if ms >= 0 => ms as u64,
                _ => return Err(TaskError::new("ArgumentError", "sleep takes milliseconds")),
            };
            // Sleeps in slices, so a cancelled task gives its thread back early.
            let until = std::time::Instant::now() + Duration::from_millis(ms);
            while !context.is_cancelled() && std::time::Instant::now() < until {
                std::thread::sleep(Duration::from_millis(1).min(until - std::time::Instant::now()));
            }
            Ok(Value::from(ms))
        },
        "crash" => |_, _| std::process::abort(),
        "fail" => |_, _| Err(TaskError::new("ArgumentError", "this task always fails")),
        _ => return None,
    })
}

fn run(args: Vec<String>) -> Fallible<()> {
    let flags = Flags::parse(
        args,
        &[
            "connect",
            "tasks",
            "concurrency",
            "heartbeat-ms",
            "liveness",
            "name",
            "log",
        ],
        &[],
    )?;
    let connect = flags.get("connect").ok_or("--connect ADDR is required")?;
    let endpoints: Vec<&str> = connect.split(',').collect();
    let options = WorkerOptions {
        concurrency: flags.number("concurrency", 4)?,
        heartbeat: Duration::from_millis(flags.number("heartbeat-ms", 1000)?),
        liveness: flags.number("liveness", 3)?,
        name: flags.get("name").map(str::to_owned),
        ..WorkerOptions::default()
    };
    let mut worker = Worker::new(&endpoints, options)?;
    let log = match flags.get("log") {
        Some(path) => Some(Arc::new(Mutex::new(
            OpenOptions::new().create(true).append(true).open(path)?,
        ))),
        None => None,
    };
    let names = flags.get("tasks").map_or_else(
        || ALL.iter().map(|s| s.to_string()).collect(),
        |list| list.split(',').map(str::to_owned).collect::<Vec<_>>(),
    );
    for name in &names {
        let handler = task(name).ok_or_else(|| format!("no built-in task {name:?}"))?;
        let log = log.clone();
        worker.task(name, move |context, args| {
            if let Some(log) = &log {
                // Written before the task runs, so a task that kills its worker is logged.
                let mut file = log.lock().unwrap_or_else(|p| p.into_inner());
                let _ = writeln!(file, "{} {}", context.id(), context.attempt());
                let _ = file.flush();
            }
            handler(context, args)
        });
    }
    println!(
        "worker {} serving {connect} with tasks {}",
        std::process::id(),
        names.join(",")
    );
    worker.run()?;
    Ok(())
}

fn main() -> ExitCode {
    main_with("pool_worker", USAGE, run)
}
