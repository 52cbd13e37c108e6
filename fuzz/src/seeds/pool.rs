//! Pool protocol frames as the pool and the worker write them.

use super::Seed;
use dripdrop::fuzzing::pool::{
    write_cancel, write_disconnect, write_heartbeat, write_ready, write_results, write_tasks,
};
use dripdrop::{TaskError, Value};
use std::time::Duration;

/// What a worker sends its pool.
pub fn to_pool() -> Vec<Seed> {
    let info = Value::Dict(vec![
        (Value::from("name"), Value::from("worker-1")),
        (Value::from("pid"), Value::Int(4242)),
    ]);
    let failure = TaskError::new("ZeroDivisionError", "divided by 0")
        .with_backtrace(vec!["job.rb:3:in `/'".into(), "job.rb:1".into()]);
    let results = |list: &[(u64, dripdrop::TaskResult)]| write_results(list).expect("writable");
    vec![
        (
            "ready".into(),
            write_ready(4, &["fetch", "resize"], 1000, info),
        ),
        (
            "result-ok".into(),
            results(&[(9, Ok(Value::List(vec![1.into(), "two".into()])))]),
        ),
        (
            "result-error".into(),
            results(&[(10, Err(failure.clone()))]),
        ),
        (
            "results-batch".into(),
            results(&[
                (11, Ok(Value::Int(-7))),
                (12, Err(failure)),
                (1 << 60, Ok(Value::Nil)),
            ]),
        ),
        ("heartbeat".into(), write_heartbeat()),
        ("disconnect".into(), write_disconnect()),
    ]
}

/// What a pool sends a worker.
pub fn to_worker() -> Vec<Seed> {
    let args = Value::Dict(vec![(Value::from("url"), Value::from("http://a/1"))]);
    let tasks =
        |list: &[(u64, &str, Value, Option<Duration>)]| write_tasks(list).expect("writable");
    vec![
        (
            "task".into(),
            tasks(&[(1, "fetch", args.clone(), Some(Duration::from_secs(30)))]),
        ),
        (
            "task-no-deadline".into(),
            tasks(&[(2, "resize", Value::binary(vec![1, 2, 3]), None)]),
        ),
        (
            "tasks-batch".into(),
            tasks(&[
                (3, "fetch", args, None),
                (
                    4,
                    "resize",
                    Value::List(vec![640.into(), 480.into()]),
                    Some(Duration::from_millis(1500)),
                ),
                (5, "noop", Value::Nil, None),
            ]),
        ),
        ("cancel".into(), write_cancel(3)),
        ("heartbeat".into(), write_heartbeat()),
        ("disconnect".into(), write_disconnect()),
    ]
}
