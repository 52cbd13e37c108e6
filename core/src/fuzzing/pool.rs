//! The pool protocol's readers, both directions, and its writers (for seed frames).
//!
//! Each direction has a fast reading of the frames that carry values (results at the pool,
//! tasks at the worker), which matches their fixed bytes, and a general one through a tuple
//! `Value`. The worker's general reading is the crate's own fallback; the pool's is
//! [`to_pool_generic`] below, written from docs/protocol.md for the check alone.

use crate::bert::{self, DecodeLimits, Value};
use crate::error::{backtrace_lines, Error};
use crate::pool::protocol::{self, to_pool, to_worker};
use crate::pool::{Task, TaskError, TaskResult};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A frame a pool read.
#[derive(Debug, PartialEq)]
pub enum ToPool {
    /// `{ready, 1, Concurrency, [TaskName...], HeartbeatMs, Info}`.
    Ready {
        /// Tasks it runs at once.
        concurrency: u32,
        /// The names of the tasks it runs.
        tasks: Vec<String>,
        /// How often it heartbeats.
        heartbeat_ms: u64,
        /// Anything else it tells.
        info: Value,
    },
    /// RESULT or RESULTS: each result's id and outcome, values built within the limits
    /// given to the reader, as the pool builds those it accepts.
    Results(Vec<(u64, TaskResult)>),
    /// `{heartbeat}`.
    Heartbeat,
    /// `{disconnect}`.
    Disconnect,
}

/// Reads a frame as a pool does, result values built within `limits`.
pub fn to_pool(bytes: &[u8], limits: &DecodeLimits) -> Result<ToPool, String> {
    Ok(
        match to_pool::ToPool::decode(bytes).map_err(|e| e.to_string())? {
            to_pool::ToPool::Ready(ready) => ToPool::Ready {
                concurrency: ready.concurrency,
                tasks: ready.tasks,
                heartbeat_ms: ready.heartbeat_ms,
                info: ready.info,
            },
            to_pool::ToPool::Results(entries) => ToPool::Results(
                entries
                    .into_iter()
                    .map(|entry| (entry.id, entry.outcome(bytes, limits)))
                    .collect(),
            ),
            to_pool::ToPool::Heartbeat => ToPool::Heartbeat,
            to_pool::ToPool::Disconnect => ToPool::Disconnect,
        },
    )
}

/// Reads a frame for a pool the general way: the whole frame decoded within `limits` into
/// a tuple, then its fields as docs/protocol.md lists them (with the pool's bound on a
/// RESULTS frame). The reference the fast reading is held to.
pub fn to_pool_generic(bytes: &[u8], limits: &DecodeLimits) -> Result<ToPool, String> {
    if bytes.len() > protocol::MAX_RESULTS_FRAME_BYTES
        && protocol::envelope(bytes).is_ok_and(|e| e.kind.as_str() == "results")
    {
        return Err("a RESULTS frame over the bound".into());
    }
    let Value::Tuple(items) = bert::decode_with_limits(bytes, limits).map_err(|e| e.to_string())?
    else {
        return Err("not a tuple".into());
    };
    let mut items = items.into_iter();
    let Some(Value::Atom(kind)) = items.next() else {
        return Err("no kind".into());
    };
    let fields: Vec<Value> = items.collect();
    match (kind.as_str(), fields.as_slice()) {
        ("heartbeat", []) => Ok(ToPool::Heartbeat),
        ("disconnect", []) => Ok(ToPool::Disconnect),
        ("ready", [_, _, _, _, _]) => match to_pool(bytes, limits)? {
            // READY has no fast reading: the crate's own reading is the general one.
            ready @ ToPool::Ready { .. } => Ok(ready),
            _ => Err("READY read as something else".into()),
        },
        ("result", [_, _, _] | [_, _, _, _, _]) => Ok(ToPool::Results(vec![result(&fields)?])),
        ("results", [Value::List(entries)]) => entries
            .iter()
            .map(|entry| match entry {
                Value::Tuple(fields) => result(fields),
                _ => Err("a RESULTS entry is a tuple".into()),
            })
            .collect::<Result<_, _>>()
            .map(ToPool::Results),
        (kind, fields) => Err(format!("no frame {kind} with {} fields", fields.len())),
    }
}

/// `Id, ok, Value` or `Id, error, Class, Message, Lines`.
fn result(fields: &[Value]) -> Result<(u64, TaskResult), String> {
    let id = match fields.first() {
        Some(Value::Int(id)) if *id >= 0 => *id as u64,
        _ => return Err("a result's id".into()),
    };
    match (fields.get(1).and_then(Value::as_atom), &fields[1..]) {
        (Some("ok"), [_, value]) => Ok((id, Ok(value.clone()))),
        (Some("error"), [_, class, message, lines]) => {
            let (Some(class), Some(message)) = (class.as_str(), message.as_str()) else {
                return Err("an error's class and message are text".into());
            };
            let error = TaskError::new(class, message).with_backtrace(backtrace_lines(lines));
            Ok((id, Err(error)))
        }
        _ => Err("a result's status and fields".into()),
    }
}

/// A task as a worker read it.
#[derive(Debug, PartialEq)]
pub struct TaskFrame {
    /// The task's id.
    pub id: u64,
    /// The task's name.
    pub name: String,
    /// Its arguments.
    pub args: Value,
    /// The attempt (1 on the first run).
    pub attempt: u32,
    /// Its deadline, counted from when the frame arrived.
    pub deadline: Option<Instant>,
}

/// A frame a worker read.
#[derive(Debug, PartialEq)]
pub enum ToWorker {
    /// TASK or TASKS.
    Tasks(Vec<TaskFrame>),
    /// `{cancel, Id}`.
    Cancel(u64),
    /// `{heartbeat}`.
    Heartbeat,
    /// `{disconnect}`.
    Disconnect,
}

/// Reads a frame that `arrived` as a worker does (the fast reading of tasks first).
pub fn to_worker(
    bytes: &[u8],
    arrived: Instant,
    limits: &DecodeLimits,
) -> Result<ToWorker, String> {
    worker_frame(to_worker::ToWorker::decode(bytes, arrived, limits))
}

/// Reads a frame that `arrived` the general way only.
pub fn to_worker_generic(
    bytes: &[u8],
    arrived: Instant,
    limits: &DecodeLimits,
) -> Result<ToWorker, String> {
    worker_frame(to_worker::ToWorker::decode_generic(bytes, arrived, limits))
}

fn worker_frame(read: Result<to_worker::ToWorker, Error>) -> Result<ToWorker, String> {
    Ok(match read.map_err(|e| e.to_string())? {
        to_worker::ToWorker::Tasks(jobs) => ToWorker::Tasks(
            jobs.into_iter()
                .map(|job| TaskFrame {
                    id: job.context.id(),
                    name: job.context.name().to_owned(),
                    args: job.args,
                    attempt: job.context.attempt(),
                    deadline: job.context.deadline(),
                })
                .collect(),
        ),
        to_worker::ToWorker::Cancel(id) => ToWorker::Cancel(id),
        to_worker::ToWorker::Heartbeat => ToWorker::Heartbeat,
        to_worker::ToWorker::Disconnect => ToWorker::Disconnect,
    })
}

/// READY as a worker writes it.
pub fn write_ready(concurrency: u32, tasks: &[&str], heartbeat_ms: u64, info: Value) -> Vec<u8> {
    let ready = to_pool::Ready {
        concurrency,
        tasks: tasks.iter().map(|t| (*t).to_owned()).collect(),
        heartbeat_ms,
        info,
    };
    let mut out = Vec::new();
    to_pool::write_ready(&mut out, &ready);
    out
}

/// RESULT (one) or RESULTS (more) as a worker writes them.
pub fn write_results(results: &[(u64, TaskResult)]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    to_pool::write_results(&mut out, results)?;
    Ok(out)
}

/// TASK (one) or TASKS (more) as a pool writes them on a first lease: each task's id, name,
/// arguments and timeout.
pub fn write_tasks(tasks: &[(u64, &str, Value, Option<Duration>)]) -> Result<Vec<u8>, Error> {
    let now = Instant::now();
    let tasks: Vec<Task> = tasks
        .iter()
        .map(|(id, name, args, timeout)| {
            let mut task = Task::new(*id, Arc::from(*name), args.clone(), *timeout);
            task.leased_for_test(now);
            task
        })
        .collect();
    let refs: Vec<&Task> = tasks.iter().collect();
    let mut out = Vec::new();
    to_worker::write_tasks(&mut out, &refs, now)?;
    Ok(out)
}

/// `{cancel, Id}`.
pub fn write_cancel(id: u64) -> Vec<u8> {
    let mut out = Vec::new();
    to_worker::write_cancel(&mut out, id);
    out
}

/// `{heartbeat}`, which both sides send.
pub fn write_heartbeat() -> Vec<u8> {
    let mut out = Vec::new();
    protocol::write_heartbeat(&mut out);
    out
}

/// `{disconnect}`, which both sides send.
pub fn write_disconnect() -> Vec<u8> {
    let mut out = Vec::new();
    protocol::write_disconnect(&mut out);
    out
}
