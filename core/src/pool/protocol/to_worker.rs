//! What a pool sends a worker: tasks (one TASK, or several in one TASKS), CANCEL, HEARTBEAT
//! and DISCONNECT. The pool writes tasks from its own records; the worker reads them as the
//! jobs it runs.

use super::super::scheduler::Task;
use super::super::task::{Job, TaskContext};
use super::{
    bad, entries, fields, frame_head, id_of, read_batch, read_uint, text, uint, unknown,
    write_atom, write_id, write_list_header, write_text, NIL_CONSTANT,
};
use crate::bert::{self, tag, DecodeLimits, Value};
use crate::error::Error;
use crate::reactor::later;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A frame a worker reads.
#[derive(Debug)]
pub(crate) enum ToWorker {
    /// `{task, Id, Name, Args, Attempt, DeadlineMs | nil}`, or several in
    /// `{tasks, [{Id, Name, Args, Attempt, DeadlineMs | nil}...]}`. The deadline is relative
    /// (milliseconds left when sent), since the two clocks differ; it counts from when the
    /// frame arrived.
    Tasks(Vec<Job>),
    /// `{cancel, Id}`: the result is no longer wanted.
    Cancel(u64),
    /// `{heartbeat}`.
    Heartbeat,
    /// `{disconnect}`: the pool is going away, or does not know this worker.
    Disconnect,
}

/// `{task, ` as `write_tasks` writes it for one task.
const TASK_HEAD: [u8; 10] = frame_head(6, b"task", false);

/// `{tasks, [` up to the list's length.
const TASKS_HEAD: [u8; 12] = frame_head(2, b"tasks", true);

/// Writes tasks into `out` (cleared first): one as a TASK frame, more as one TASKS frame, the
/// arguments in place. Deadlines are written as the milliseconds left at `now`. Fails only for
/// arguments BERT cannot carry (a NaN...).
pub(crate) fn write_tasks(out: &mut Vec<u8>, tasks: &[&Task], now: Instant) -> Result<(), Error> {
    out.clear();
    out.push(tag::VERSION);
    if let [task] = tasks {
        return write_task(out, Some("task"), task, now, 1);
    }
    out.extend_from_slice(&[tag::SMALL_TUPLE, 2]);
    write_atom(out, "tasks");
    write_list_header(out, tasks.len())?;
    for task in tasks {
        // Inside the frame's tuple, its list and the entry's tuple.
        write_task(out, None, task, now, 3)?;
    }
    out.push(tag::NIL);
    Ok(())
}

/// Writes `{cancel, Id}` into `out` (cleared first).
pub(crate) fn write_cancel(out: &mut Vec<u8>, id: u64) {
    out.clear();
    out.extend_from_slice(&[tag::VERSION, tag::SMALL_TUPLE, 2]);
    write_atom(out, "cancel");
    write_id(out, id);
}

/// Writes a task as a tuple: `{task, Id, ...}` for a TASK frame (`kind` given), the bare
/// `{Id, ...}` of a TASKS entry otherwise; `depth` is the wire depth of its fields.
fn write_task(
    out: &mut Vec<u8>,
    kind: Option<&str>,
    task: &Task,
    now: Instant,
    depth: usize,
) -> Result<(), Error> {
    out.extend_from_slice(&[tag::SMALL_TUPLE, 5 + u8::from(kind.is_some())]);
    if let Some(kind) = kind {
        write_atom(out, kind);
    }
    write_id(out, task.id());
    write_text(out, task.name())?;
    bert::write_value(out, task.args(), depth)?;
    // The fixed fields straight, not through `Value`s (this runs once per task).
    bert::write_int(out, i64::from(task.attempt()));
    match task.deadline() {
        Some(deadline) => bert::write_int(
            out,
            i64::try_from(ms_left(deadline, now)).unwrap_or(i64::MAX),
        ),
        None => out.extend_from_slice(&NIL_CONSTANT),
    }
    Ok(())
}

/// A deadline as the milliseconds left at `now`, rounded up: the worker's deadline must never
/// come before the pool's, or a task that stops at its deadline would answer just in time
/// and count as done.
fn ms_left(deadline: Instant, now: Instant) -> u64 {
    let left = deadline
        .saturating_duration_since(now)
        .as_micros()
        .div_ceil(1000);
    u64::try_from(left).unwrap_or(u64::MAX)
}

impl ToWorker {
    /// Reads a frame that `arrived` just now, within `limits`; an unknown or malformed frame,
    /// or one meant for a pool, is an error naming what was wrong.
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn decode(
        bytes: &[u8],
        arrived: Instant,
        limits: &DecodeLimits,
    ) -> Result<ToWorker, Error> {
        Self::decode_with(bytes, arrived, limits, &mut TaskNames::default())
    }

    /// [`ToWorker::decode`], the tasks' names taken from `names` when it has them (a worker
    /// reads the same few names again and again).
    pub(crate) fn decode_with(
        bytes: &[u8],
        arrived: Instant,
        limits: &DecodeLimits,
        names: &mut TaskNames,
    ) -> Result<ToWorker, Error> {
        if let Some(jobs) = read_tasks_fast(bytes, arrived, limits, names) {
            return Ok(ToWorker::Tasks(jobs));
        }
        Self::decode_generic(bytes, arrived, limits)
    }

    /// The general reading of any frame, through a tuple `Value`: what [`ToWorker::decode`]
    /// falls back to when the fast reading of tasks declines a frame. The fuzz targets check
    /// that the two agree on every frame the fast one takes.
    pub(crate) fn decode_generic(
        bytes: &[u8],
        arrived: Instant,
        limits: &DecodeLimits,
    ) -> Result<ToWorker, Error> {
        let (kind, rest) = fields(bytes, limits)?;
        let count = rest.len();
        let names = &mut TaskNames::default();
        Ok(match (kind.as_str(), count) {
            ("heartbeat", 0) => ToWorker::Heartbeat,
            ("disconnect", 0) => ToWorker::Disconnect,
            ("cancel", 1) => ToWorker::Cancel(id_of(&rest[0])?),
            ("task", 5) => ToWorker::Tasks(vec![task_fields(rest, arrived, names)?]),
            ("tasks", 1) => ToWorker::Tasks(
                entries(rest, "TASKS")?
                    .into_iter()
                    .map(|entry| match entry {
                        Value::Tuple(fields) if fields.len() == 5 => {
                            task_fields(fields, arrived, names)
                        }
                        _ => Err(bad("a TASKS entry is a 5-tuple")),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            (other, count) => return Err(unknown(other, count, "a worker")),
        })
    }
}

/// Task names a worker read lately, shared by the jobs that carry them instead of one copy
/// per task.
#[derive(Default)]
pub(crate) struct TaskNames {
    recent: Vec<Arc<str>>,
}

/// Names a [`TaskNames`] keeps; past it the oldest goes.
const RECENT_NAMES: usize = 16;

impl TaskNames {
    fn get(&mut self, name: &str) -> Arc<str> {
        if let Some(known) = self.recent.iter().find(|known| ***known == *name) {
            return Arc::clone(known);
        }
        if self.recent.len() == RECENT_NAMES {
            self.recent.remove(0);
        }
        let name: Arc<str> = Arc::from(name);
        self.recent.push(Arc::clone(&name));
        name
    }
}

/// The job of a task whose deadline is `deadline_ms` after it `arrived`.
fn job(
    id: u64,
    name: Arc<str>,
    args: Value,
    attempt: u32,
    deadline_ms: Option<u64>,
    arrived: Instant,
) -> Job {
    let deadline = deadline_ms.map(|ms| later(arrived, Duration::from_millis(ms)));
    Job {
        context: TaskContext::new(id, name, attempt, deadline),
        args,
    }
}

/// `Id, Name, Args, Attempt, DeadlineMs` of a TASK or a TASKS entry.
fn task_fields(fields: Vec<Value>, arrived: Instant, names: &mut TaskNames) -> Result<Job, Error> {
    let [id, name, args, attempt, deadline] =
        <[Value; 5]>::try_from(fields).map_err(|_| bad("a task has five fields"))?;
    let attempt =
        u32::try_from(uint(&attempt, "attempt")?).map_err(|_| bad("attempt out of range"))?;
    let deadline_ms = match deadline {
        Value::Nil => None,
        d => Some(uint(&d, "deadline")?),
    };
    let name = names.get(&text(&name, "task name")?);
    Ok(job(id_of(&id)?, name, args, attempt, deadline_ms, arrived))
}

/// TASK and TASKS frames read where their layout is fixed bytes instead of through a tuple
/// `Value` (one of them per task a worker runs). `None` for anything else, malformed frames
/// included: the general reading then decides, and words the error.
fn read_tasks_fast(
    bytes: &[u8],
    arrived: Instant,
    limits: &DecodeLimits,
    names: &mut TaskNames,
) -> Option<Vec<Job>> {
    let mut task_at = |at, levels| task_at(bytes, at, levels, arrived, limits, names);
    if bytes.starts_with(&TASK_HEAD) {
        let (task, end) = task_at(TASK_HEAD.len(), 1)?;
        return (end == bytes.len()).then(|| vec![task]);
    }
    read_batch(bytes, &TASKS_HEAD, 5, |at| task_at(at, 3))
}

/// The fields of a task from `at` (after its tuple header), `levels` deep; and its end.
fn task_at(
    bytes: &[u8],
    at: usize,
    levels: usize,
    arrived: Instant,
    limits: &DecodeLimits,
    names: &mut TaskNames,
) -> Option<(Job, usize)> {
    let (id, at) = read_uint(bytes, at)?;
    if *bytes.get(at)? != tag::BINARY {
        return None;
    }
    let len = u32::from_be_bytes(bytes.get(at + 1..at + 5)?.try_into().ok()?) as usize;
    let name = std::str::from_utf8(bytes.get(at + 5..at + 5 + len)?).ok()?;
    let (args, at) = bert::decode_nested(bytes, at + 5 + len, levels, limits).ok()?;
    let (attempt, at) = read_uint(bytes, at)?;
    let (deadline_ms, end) = if bytes.get(at..)?.starts_with(&NIL_CONSTANT) {
        (None, at + NIL_CONSTANT.len())
    } else {
        let (ms, end) = read_uint(bytes, at)?;
        (Some(ms), end)
    };
    let attempt = u32::try_from(attempt).ok()?;
    Some((
        job(id, names.get(name), args, attempt, deadline_ms, arrived),
        end,
    ))
}

#[cfg(test)]
mod tests {
    use super::super::{atom, LIMITS};
    use super::*;

    #[test]
    fn task_names_are_shared_and_few() {
        let mut names = TaskNames::default();
        let first = names.get("resize");
        assert!(Arc::ptr_eq(&first, &names.get("resize")));
        for n in 0..100 {
            names.get(&format!("name-{n}"));
        }
        assert_eq!(names.recent.len(), RECENT_NAMES);
        // Forgotten, then read afresh: the same text, a new copy.
        let again = names.get("resize");
        assert_eq!(*again, *first);
        assert!(!Arc::ptr_eq(&first, &again));
    }

    fn task(id: u64, name: &str, args: Value, timeout_ms: Option<u64>) -> Task {
        let timeout = timeout_ms.map(Duration::from_millis);
        let mut task = Task::new(id, Arc::from(name), args, timeout);
        task.leased_for_test(Instant::now());
        task
    }

    /// A job's fields as the wire carries them: id, name, args, attempt, deadline.
    type Wire = (u64, String, Value, u32, Option<u64>);

    fn wire(job: &Job, arrived: Instant) -> Wire {
        let deadline_ms = job
            .context
            .deadline()
            .map(|d| d.duration_since(arrived).as_millis() as u64);
        let context = &job.context;
        let name = context.name().to_owned();
        (
            context.id(),
            name,
            job.args.clone(),
            context.attempt(),
            deadline_ms,
        )
    }

    fn wires(jobs: &[Job], arrived: Instant) -> Vec<Wire> {
        jobs.iter().map(|job| wire(job, arrived)).collect()
    }

    #[test]
    fn tasks_written_by_the_pool_read_back_as_jobs() {
        let batches: Vec<Vec<Task>> = vec![
            vec![task(
                (1 << 62) + 7,
                "fetch",
                Value::Dict(vec![(Value::from("url"), Value::from("http://x/"))]),
                Some(70_000),
            )],
            vec![task(1, "t", Value::Nil, None)],
            vec![
                task(
                    9,
                    "n",
                    Value::Tuple(vec![Value::Int(1), Value::Nil]),
                    Some(1),
                ),
                task(1 << 40, "m", Value::List(vec![Value::from("x")]), None),
            ],
        ];
        let now = Instant::now();
        for batch in batches {
            let refs: Vec<&Task> = batch.iter().collect();
            let mut bytes = Vec::new();
            write_tasks(&mut bytes, &refs, now).unwrap();
            let fast = read_tasks_fast(&bytes, now, &LIMITS, &mut TaskNames::default())
                .expect("the fast reading takes what we write");
            let fast = wires(&fast, now);
            let ToWorker::Tasks(jobs) = ToWorker::decode(&bytes, now, &LIMITS).unwrap() else {
                panic!("tasks")
            };
            assert_eq!(jobs.len(), batch.len());
            for ((job, task), fast) in jobs.iter().zip(&batch).zip(&fast) {
                let read = wire(job, now);
                assert_eq!(&read, fast);
                assert_eq!((read.0, read.1.as_str()), (task.id(), &**task.name()));
                assert_eq!((&read.2, read.3), (task.args(), 1));
                assert_eq!(read.4.is_some(), task.deadline().is_some());
            }
            // The general reading of the same bytes agrees with the fast one.
            let (kind, rest) = fields(&bytes, &LIMITS).unwrap();
            let general: Vec<Job> = match kind.as_str() {
                "task" => vec![task_fields(rest, now, &mut TaskNames::default()).unwrap()],
                _ => entries(rest, "TASKS")
                    .unwrap()
                    .into_iter()
                    .map(|e| match e {
                        Value::Tuple(f) => task_fields(f, now, &mut TaskNames::default()).unwrap(),
                        _ => panic!("entry"),
                    })
                    .collect(),
            };
            assert_eq!(wires(&general, now), fast);
            // Cut anywhere, the fast reading declines or agrees; it never invents a frame.
            for cut in 0..bytes.len() {
                if let Some(read) =
                    read_tasks_fast(&bytes[..cut], now, &LIMITS, &mut TaskNames::default())
                {
                    assert_eq!(wires(&read, now), fast);
                }
            }
        }
    }

    #[test]
    fn control_frames_read_back() {
        let mut out = Vec::new();
        write_cancel(&mut out, 3);
        assert!(matches!(
            ToWorker::decode(&out, Instant::now(), &LIMITS),
            Ok(ToWorker::Cancel(3))
        ));
        assert_eq!(
            bert::decode(&out).unwrap(),
            Value::Tuple(vec![atom("cancel"), Value::Int(3)])
        );
        super::super::write_heartbeat(&mut out);
        assert!(matches!(
            ToWorker::decode(&out, Instant::now(), &LIMITS),
            Ok(ToWorker::Heartbeat)
        ));
        super::super::write_disconnect(&mut out);
        assert!(matches!(
            ToWorker::decode(&out, Instant::now(), &LIMITS),
            Ok(ToWorker::Disconnect)
        ));
    }

    #[test]
    fn frames_for_a_pool_or_malformed_ones_are_errors() {
        let frame = |v: Value| bert::encode(&v).unwrap();
        let mut ready = Vec::new();
        super::super::to_pool::write_ready(
            &mut ready,
            &super::super::to_pool::Ready {
                concurrency: 1,
                tasks: vec![],
                heartbeat_ms: 1000,
                info: Value::Nil,
            },
        );
        for bytes in [
            ready,
            vec![1, 2, 3],
            frame(Value::Int(1)),
            frame(Value::Tuple(vec![])),
            frame(Value::Tuple(vec![atom("launch")])),
            frame(Value::Tuple(vec![atom("cancel"), Value::from("x")])),
            frame(Value::Tuple(vec![
                atom("tasks"),
                Value::List(vec![Value::Int(1)]),
            ])),
        ] {
            let e =
                ToWorker::decode(&bytes, Instant::now(), &LIMITS).expect_err("not for a worker");
            assert!(!e.to_string().is_empty());
        }
    }
}
