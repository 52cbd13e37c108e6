//! A worker for DripDrop worker pools, with a few built-in tasks for tests, demos and the
//! benchmarks. It connects to a pool, says READY with its concurrency and the tasks it was
//! told to announce, and serves until it is killed (reconnecting if the pool goes away).
//!
//! Run: `cargo run -p dripdrop-examples --bin pool_worker -- --connect ADDR [--tasks LIST]
//! [--concurrency N] [--heartbeat-ms MS] [--name NAME] [--log FILE]`

use clap::Parser;
use dripdrop::{TaskContext, TaskError, TaskResult, Value, Worker, WorkerOptions};
use dripdrop_examples::{exit_code, Fallible};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TASKS: &str = "\
Tasks:
  echo     returns its arguments
  double   an integer times two
  pid      [the worker's process id, the arguments]
  sleep    sleeps the given milliseconds, then returns them
  crash    kills this worker process at once (a task that is poison)
  fail     raises an error of class ArgumentError";

/// Serves a DripDrop worker pool with built-in tasks, until it is killed (reconnecting if the
/// pool goes away).
#[derive(Debug, Parser)]
#[command(name = "pool_worker", after_help = TASKS)]
struct Args {
    /// The pool's address; several, comma-separated
    #[arg(long, value_name = "ADDR", required = true, value_delimiter = ',')]
    connect: Vec<String>,
    /// Comma-separated tasks to announce [default: all of them]
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = built_in_task)]
    tasks: Option<Vec<String>>,
    /// Tasks run at once
    #[arg(long, value_name = "N", default_value_t = 4)]
    concurrency: usize,
    /// Heartbeat interval, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    heartbeat_ms: u64,
    /// Silent heartbeat intervals before reconnecting to the pool
    #[arg(long, value_name = "N", default_value_t = 3)]
    liveness: u32,
    /// The name the pool shows in its stats [default: worker-PID, PID its process id]
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Append `<task id> <attempt>` to FILE as each task starts
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
}

/// One name of `--tasks`: a built-in task.
fn built_in_task(name: &str) -> Result<String, String> {
    if ALL.contains(&name) {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "no built-in task {name:?} (known: {})",
            ALL.join(", ")
        ))
    }
}

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

fn run(args: Args) -> Fallible<()> {
    let options = WorkerOptions {
        concurrency: args.concurrency,
        heartbeat: Duration::from_millis(args.heartbeat_ms),
        liveness: args.liveness,
        name: args.name,
        ..WorkerOptions::default()
    };
    let endpoints: Vec<&str> = args.connect.iter().map(String::as_str).collect();
    let mut worker = Worker::new(&endpoints, options)?;
    let log = match &args.log {
        Some(path) => Some(Arc::new(Mutex::new(
            OpenOptions::new().create(true).append(true).open(path)?,
        ))),
        None => None,
    };
    let names = args
        .tasks
        .unwrap_or_else(|| ALL.iter().map(|s| s.to_string()).collect());
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
        "worker {} serving {} with tasks {}",
        std::process::id(),
        args.connect.join(","),
        names.join(",")
    );
    worker.run()?;
    Ok(())
}

fn main() -> ExitCode {
    exit_code("pool_worker", run(Args::parse()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn flags_and_defaults() {
        Args::command().debug_assert();
        let args = Args::parse_from(["pool_worker", "--connect", "tcp://a:1,tcp://b:2"]);
        assert_eq!(args.connect, ["tcp://a:1", "tcp://b:2"]);
        assert_eq!(args.tasks, None);
        assert_eq!(
            (args.concurrency, args.heartbeat_ms, args.liveness),
            (4, 1000, 3)
        );
        assert_eq!((args.name, args.log), (None, None));
        let args = Args::parse_from([
            "pool_worker",
            "--connect",
            "tcp://a:1",
            "--tasks",
            "echo,sleep",
            "--concurrency",
            "1",
            "--heartbeat-ms",
            "100",
            "--liveness",
            "5",
            "--name",
            "w",
            "--log",
            "/tmp/log",
        ]);
        assert_eq!(
            args.tasks,
            Some(vec!["echo".to_owned(), "sleep".to_owned()])
        );
        assert_eq!(
            (args.concurrency, args.heartbeat_ms, args.liveness),
            (1, 100, 5)
        );
        assert_eq!(args.name.as_deref(), Some("w"));
        assert_eq!(args.log, Some(PathBuf::from("/tmp/log")));
    }

    #[test]
    fn an_unknown_task_is_refused() {
        let error = Args::try_parse_from([
            "pool_worker",
            "--connect",
            "tcp://a:1",
            "--tasks",
            "echo,fly",
        ])
        .expect_err("fly is no task");
        assert!(
            error
                .to_string()
                .contains("invalid value 'fly' for '--tasks <LIST>': no built-in task"),
            "{error}"
        );
    }
}
