//! The pool protocol's control frames (see `docs/protocol.md`): BERT tuples on a ROUTER
//! (pool) / DEALER (worker) pair, one frame per message at the worker, identity + frame at
//! the pool.

use super::task::TaskError;
use crate::bert::{self, tag, DecodeLimits, Value};
use crate::error::Error;

/// The protocol version a worker announces in READY.
pub(crate) const VERSION: i64 = 1;

/// One control frame.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Control {
    /// Worker → pool: `{ready, Version, Concurrency, [TaskName...], HeartbeatMs, Info}`.
    Ready {
        concurrency: u32,
        tasks: Vec<String>,
        heartbeat_ms: u64,
        info: Value,
    },
    /// Pool → worker: `{task, Id, Name, Args, Attempt, DeadlineMs | nil}`; the deadline is
    /// relative (milliseconds left when sent), since the two clocks differ.
    Task {
        id: u64,
        name: String,
        args: Value,
        attempt: u32,
        deadline_ms: Option<u64>,
    },
    /// Worker → pool: `{result, Id, ok, Value}` or
    /// `{result, Id, error, Class, Message, [BacktraceLine...]}`.
    Result {
        id: u64,
        outcome: Result<Value, TaskError>,
    },
    /// Pool → worker: `{tasks, [{Id, Name, Args, Attempt, DeadlineMs | nil}...]}`, several
    /// TASKs in one frame (what a busy pool sends).
    Tasks(Vec<TaskFrame>),
    /// Worker → pool: `{results, [{Id, ok, Value} | {Id, error, Class, Message, [Line...]}...]}`,
    /// several RESULTs in one frame.
    Results(Vec<(u64, Result<Value, TaskError>)>),
    /// Both ways: `{heartbeat}`.
    Heartbeat,
    /// Both ways: `{disconnect}`, the sender is going away (a pool also says it to a worker
    /// it does not know, which then says READY again).
    Disconnect,
    /// Pool → worker: `{cancel, Id}`, the result is no longer wanted.
    Cancel { id: u64 },
}

/// One task as a TASK frame or a TASKS entry carries it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TaskFrame {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) args: Value,
    pub(crate) attempt: u32,
    pub(crate) deadline_ms: Option<u64>,
}

/// A task to write into a TASKS frame, its arguments borrowed.
pub(crate) struct TaskRef<'a> {
    pub(crate) id: u64,
    pub(crate) name: &'a str,
    pub(crate) args: &'a Value,
    pub(crate) attempt: u32,
    pub(crate) deadline_ms: Option<u64>,
}

/// Frames are small and come from peers: the default limits, but a frame of task arguments
/// may be as large as a message.
const LIMITS: DecodeLimits = DecodeLimits::DEFAULT;

fn atom(name: &'static str) -> Value {
    Value::Atom(bert::Atom::from_static(name))
}

fn bad(what: impl Into<String>) -> Error {
    Error::InvalidArgument(format!("pool protocol: {}", what.into()))
}

impl Control {
    /// The frame's bytes. Fails only for arguments or results BERT cannot carry (a NaN...).
    pub(crate) fn encode(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(64);
        self.encode_into(&mut out)?;
        Ok(out)
    }

    /// Writes the frame into `out` (cleared first); task arguments and results are written
    /// in place, never copied into a tuple first.
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        out.clear();
        match self {
            Control::Task {
                id,
                name,
                args,
                attempt,
                deadline_ms,
            } => {
                let task = TaskRef {
                    id: *id,
                    name,
                    args,
                    attempt: *attempt,
                    deadline_ms: *deadline_ms,
                };
                return encode_task(out, &task);
            }
            Control::Result { id, outcome } => return encode_result(out, *id, outcome),
            Control::Tasks(tasks) => {
                let refs: Vec<TaskRef<'_>> = tasks
                    .iter()
                    .map(|t| TaskRef {
                        id: t.id,
                        name: &t.name,
                        args: &t.args,
                        attempt: t.attempt,
                        deadline_ms: t.deadline_ms,
                    })
                    .collect();
                return encode_tasks(out, &refs);
            }
            Control::Results(results) => return encode_results(out, results),
            other => bert::encode_into(&other.to_value(), out)?,
        }
        Ok(())
    }

    /// The frames without arguments or results, as a tuple value.
    fn to_value(&self) -> Value {
        match self {
            Control::Ready {
                concurrency,
                tasks,
                heartbeat_ms,
                info,
            } => Value::Tuple(vec![
                atom("ready"),
                Value::Int(VERSION),
                Value::from(u64::from(*concurrency)),
                Value::List(tasks.iter().map(|t| Value::from(t.as_str())).collect()),
                Value::from(*heartbeat_ms),
                info.clone(),
            ]),
            Control::Heartbeat => Value::Tuple(vec![atom("heartbeat")]),
            Control::Disconnect => Value::Tuple(vec![atom("disconnect")]),
            Control::Cancel { id } => Value::Tuple(vec![atom("cancel"), Value::from(*id)]),
            Control::Task { .. }
            | Control::Result { .. }
            | Control::Tasks(_)
            | Control::Results(_) => unreachable!("written in place by encode_into"),
        }
    }

    /// Reads a frame; an unknown or malformed frame is an error naming what was wrong.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Control, Error> {
        if let Some(control) = decode_fast(bytes) {
            return Ok(control);
        }
        decode_generic(bytes)
    }
}

/// Reads any frame through a tuple `Value`.
fn decode_generic(bytes: &[u8]) -> Result<Control, Error> {
    let value = bert::decode_with_limits(bytes, &LIMITS)?;
    let Value::Tuple(items) = value else {
        return Err(bad("a control frame is a tuple"));
    };
    let mut items = items.into_iter();
    let kind = match items.next() {
        Some(Value::Atom(a)) => a,
        _ => return Err(bad("a control frame starts with an atom")),
    };
    let rest: Vec<Value> = items.collect();
    let fields = rest.len();
    let control = match (kind.as_str(), rest) {
        ("heartbeat", rest) if rest.is_empty() => Control::Heartbeat,
        ("disconnect", rest) if rest.is_empty() => Control::Disconnect,
        ("cancel", rest) if fields == 1 => Control::Cancel {
            id: id_of(&rest[0])?,
        },
        ("ready", rest) if fields == 5 => {
            let [version, concurrency, tasks, heartbeat_ms, info] =
                <[Value; 5]>::try_from(rest).map_err(|_| bad("READY"))?;
            if version != Value::Int(VERSION) {
                return Err(bad(format!("unsupported protocol version {version:?}")));
            }
            let Value::List(names) = tasks else {
                return Err(bad("READY's task names are a list"));
            };
            let tasks = names
                .iter()
                .map(|n| n.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad("READY's task names are text"))?;
            let concurrency = u32::try_from(uint(&concurrency, "concurrency")?)
                .ok()
                .filter(|&c| c > 0)
                .ok_or_else(|| bad("READY's concurrency must be 1 or more"))?;
            let heartbeat_ms = uint(&heartbeat_ms, "heartbeat")?;
            if heartbeat_ms == 0 {
                return Err(bad("READY's heartbeat must be 1 ms or more"));
            }
            Control::Ready {
                concurrency,
                tasks,
                heartbeat_ms,
                info,
            }
        }
        ("task", rest) if fields == 5 => {
            let t = task_fields(rest)?;
            Control::Task {
                id: t.id,
                name: t.name,
                args: t.args,
                attempt: t.attempt,
                deadline_ms: t.deadline_ms,
            }
        }
        ("result", rest) if fields == 3 || fields == 5 => {
            let (id, outcome) = result_fields(rest)?;
            Control::Result { id, outcome }
        }
        ("tasks", rest) if fields == 1 => {
            let tasks = entries(rest, "TASKS")?
                .into_iter()
                .map(|entry| match entry {
                    Value::Tuple(fields) if fields.len() == 5 => task_fields(fields),
                    _ => Err(bad("a TASKS entry is a 5-tuple")),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Control::Tasks(tasks)
        }
        ("results", rest) if fields == 1 => {
            let results = entries(rest, "RESULTS")?
                .into_iter()
                .map(|entry| match entry {
                    Value::Tuple(fields) => result_fields(fields),
                    _ => Err(bad("a RESULTS entry is a tuple")),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Control::Results(results)
        }
        (other, _) => return Err(bad(format!("unknown frame {other} with {fields} fields"))),
    };
    Ok(control)
}

/// The one list field of a batch frame.
fn entries(mut rest: Vec<Value>, what: &str) -> Result<Vec<Value>, Error> {
    match rest.pop() {
        Some(Value::List(items)) => Ok(items),
        _ => Err(bad(format!("{what} holds a list"))),
    }
}

/// `Id, Name, Args, Attempt, DeadlineMs` of a TASK or a TASKS entry.
fn task_fields(fields: Vec<Value>) -> Result<TaskFrame, Error> {
    let [id, name, args, attempt, deadline] =
        <[Value; 5]>::try_from(fields).map_err(|_| bad("a task has five fields"))?;
    let attempt =
        u32::try_from(uint(&attempt, "attempt")?).map_err(|_| bad("attempt out of range"))?;
    let deadline_ms = match deadline {
        Value::Nil => None,
        d => Some(uint(&d, "deadline")?),
    };
    Ok(TaskFrame {
        id: id_of(&id)?,
        name: text(&name, "task name")?,
        args,
        attempt,
        deadline_ms,
    })
}

/// `Id, ok, Value` or `Id, error, Class, Message, Backtrace` of a RESULT or RESULTS entry.
fn result_fields(fields: Vec<Value>) -> Result<(u64, Result<Value, TaskError>), Error> {
    match <[Value; 3]>::try_from(fields) {
        Ok([id, status, value]) => {
            if status.as_atom() != Some("ok") {
                return Err(bad("a 3-field result is {Id, ok, Value}"));
            }
            Ok((id_of(&id)?, Ok(value)))
        }
        Err(fields) => {
            let [id, status, class, message, backtrace] =
                <[Value; 5]>::try_from(fields).map_err(|_| bad("a result has 3 or 5 fields"))?;
            if status.as_atom() != Some("error") {
                return Err(bad(
                    "a 5-field result is {Id, error, Class, Message, Lines}",
                ));
            }
            let lines = match backtrace {
                Value::List(lines) => lines
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                _ => Vec::new(),
            };
            let error = TaskError::new(text(&class, "class")?, text(&message, "message")?);
            Ok((id_of(&id)?, Err(error.with_backtrace(lines))))
        }
    }
}

/// Writes a task as a tuple: `{task, Id, ...}` for a TASK frame (`kind` given), the bare
/// `{Id, ...}` of a TASKS entry otherwise; `depth` is the wire depth of its fields.
fn write_task(
    out: &mut Vec<u8>,
    kind: Option<&str>,
    task: &TaskRef<'_>,
    depth: usize,
) -> Result<(), Error> {
    out.extend_from_slice(&[tag::SMALL_TUPLE, 5 + u8::from(kind.is_some())]);
    if let Some(kind) = kind {
        write_atom(out, kind);
    }
    write_id(out, task.id);
    write_text(out, task.name)?;
    bert::write_value(out, task.args, depth)?;
    bert::write_value(out, &Value::from(u64::from(task.attempt)), depth)?;
    bert::write_value(
        out,
        &task.deadline_ms.map_or(Value::Nil, Value::from),
        depth,
    )?;
    Ok(())
}

/// Writes a result as a tuple: `{result, Id, ...}` for a RESULT frame (`kind` given), the
/// bare `{Id, ...}` of a RESULTS entry otherwise.
fn write_result(
    out: &mut Vec<u8>,
    kind: Option<&str>,
    id: u64,
    outcome: &Result<Value, TaskError>,
    depth: usize,
) -> Result<(), Error> {
    let arity = if outcome.is_ok() { 3 } else { 5 };
    out.extend_from_slice(&[tag::SMALL_TUPLE, arity + u8::from(kind.is_some())]);
    if let Some(kind) = kind {
        write_atom(out, kind);
    }
    write_id(out, id);
    match outcome {
        Ok(value) => {
            write_atom(out, "ok");
            bert::write_value(out, value, depth)?;
        }
        Err(e) => {
            let lines = e
                .backtrace
                .iter()
                .map(|l| Value::from(l.as_str()))
                .collect();
            write_atom(out, "error");
            write_text(out, &e.class)?;
            write_text(out, &e.message)?;
            bert::write_value(out, &Value::List(lines), depth)?;
        }
    }
    Ok(())
}

/// Writes a TASKS frame into `out` (cleared first); `tasks` holds at least one task.
pub(crate) fn encode_tasks(out: &mut Vec<u8>, tasks: &[TaskRef<'_>]) -> Result<(), Error> {
    out.clear();
    out.extend_from_slice(&[tag::VERSION, tag::SMALL_TUPLE, 2]);
    write_atom(out, "tasks");
    write_list_header(out, tasks.len())?;
    for task in tasks {
        // Inside the frame's tuple, its list and the entry's tuple.
        write_task(out, None, task, 3)?;
    }
    out.push(tag::NIL);
    Ok(())
}

/// Writes a RESULTS frame into `out` (cleared first); `results` holds at least one.
pub(crate) fn encode_results(
    out: &mut Vec<u8>,
    results: &[(u64, Result<Value, TaskError>)],
) -> Result<(), Error> {
    out.clear();
    out.extend_from_slice(&[tag::VERSION, tag::SMALL_TUPLE, 2]);
    write_atom(out, "results");
    write_list_header(out, results.len())?;
    for (id, outcome) in results {
        write_result(out, None, *id, outcome, 3)?;
    }
    out.push(tag::NIL);
    Ok(())
}

fn write_list_header(out: &mut Vec<u8>, len: usize) -> Result<(), Error> {
    let len = u32::try_from(len).map_err(|_| bad("a batch of more than 2^32 entries"))?;
    out.push(tag::LIST);
    out.extend_from_slice(&len.to_be_bytes());
    Ok(())
}

/// Writes a TASK frame into `out` (cleared first), the arguments in place.
pub(crate) fn encode_task(out: &mut Vec<u8>, task: &TaskRef<'_>) -> Result<(), Error> {
    out.clear();
    out.push(tag::VERSION);
    write_task(out, Some("task"), task, 1)
}

/// Writes a RESULT frame into `out` (cleared first), the value in place.
pub(crate) fn encode_result(
    out: &mut Vec<u8>,
    id: u64,
    outcome: &Result<Value, TaskError>,
) -> Result<(), Error> {
    out.clear();
    out.push(tag::VERSION);
    write_result(out, Some("result"), id, outcome, 1)
}

/// `{task, ` as written by `encode_task`.
const TASK_HEAD: [u8; 10] = [
    tag::VERSION,
    tag::SMALL_TUPLE,
    6,
    tag::ATOM,
    0,
    4,
    b't',
    b'a',
    b's',
    b'k',
];
/// `{result, ` of a successful result, as written by `encode_result`.
const RESULT_OK_HEAD: [u8; 12] = [
    tag::VERSION,
    tag::SMALL_TUPLE,
    4,
    tag::ATOM,
    0,
    6,
    b'r',
    b'e',
    b's',
    b'u',
    b'l',
    b't',
];
const OK_ATOM: [u8; 5] = [tag::ATOM, 0, 2, b'o', b'k'];
/// `{tasks, [` up to the list's length.
const TASKS_HEAD: [u8; 12] = [
    tag::VERSION,
    tag::SMALL_TUPLE,
    2,
    tag::ATOM,
    0,
    5,
    b't',
    b'a',
    b's',
    b'k',
    b's',
    tag::LIST,
];
/// `{results, [` up to the list's length.
const RESULTS_HEAD: [u8; 14] = [
    tag::VERSION,
    tag::SMALL_TUPLE,
    2,
    tag::ATOM,
    0,
    7,
    b'r',
    b'e',
    b's',
    b'u',
    b'l',
    b't',
    b's',
    tag::LIST,
];
const NIL_CONSTANT: [u8; 16] = [
    tag::SMALL_TUPLE,
    2,
    tag::ATOM,
    0,
    4,
    b'b',
    b'e',
    b'r',
    b't',
    tag::ATOM,
    0,
    3,
    b'n',
    b'i',
    b'l',
    0,
];

/// TASK and successful RESULT frames, one of each per task, read where their layout is
/// fixed bytes instead of through a tuple `Value`. `None` for anything else, malformed
/// frames included: the generic reading then decides, and words the error.
fn decode_fast(bytes: &[u8]) -> Option<Control> {
    if bytes.starts_with(&RESULT_OK_HEAD) {
        let (id, at) = read_uint(bytes, RESULT_OK_HEAD.len())?;
        if !bytes.get(at..)?.starts_with(&OK_ATOM) {
            return None;
        }
        let (value, end) = bert::decode_nested(bytes, at + OK_ATOM.len(), 1, &LIMITS).ok()?;
        return (end == bytes.len()).then_some(Control::Result {
            id,
            outcome: Ok(value),
        });
    }
    if bytes.starts_with(&TASK_HEAD) {
        let (task, end) = task_at(bytes, TASK_HEAD.len(), 1)?;
        return (end == bytes.len()).then_some(Control::Task {
            id: task.id,
            name: task.name,
            args: task.args,
            attempt: task.attempt,
            deadline_ms: task.deadline_ms,
        });
    }
    if let Some(rest) = bytes.strip_prefix(&TASKS_HEAD[..]) {
        let count = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        let mut at = TASKS_HEAD.len() + 4;
        // Each entry takes at least a dozen bytes: a hostile count cannot make us reserve.
        let mut tasks = Vec::with_capacity(count.min(bytes.len() / 12));
        for _ in 0..count {
            if bytes.get(at..at + 2)? != [tag::SMALL_TUPLE, 5] {
                return None;
            }
            let (task, end) = task_at(bytes, at + 2, 3)?;
            tasks.push(task);
            at = end;
        }
        return (bytes.get(at..)? == [tag::NIL]).then_some(Control::Tasks(tasks));
    }
    if let Some(rest) = bytes.strip_prefix(&RESULTS_HEAD[..]) {
        let count = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        let mut at = RESULTS_HEAD.len() + 4;
        let mut results = Vec::with_capacity(count.min(bytes.len() / 12));
        for _ in 0..count {
            // Successful results only; a batch with an error in it is read the generic way.
            if bytes.get(at..at + 2)? != [tag::SMALL_TUPLE, 3] {
                return None;
            }
            let (id, after_id) = read_uint(bytes, at + 2)?;
            if !bytes.get(after_id..)?.starts_with(&OK_ATOM) {
                return None;
            }
            let (value, end) =
                bert::decode_nested(bytes, after_id + OK_ATOM.len(), 3, &LIMITS).ok()?;
            results.push((id, Ok(value)));
            at = end;
        }
        return (bytes.get(at..)? == [tag::NIL]).then_some(Control::Results(results));
    }
    None
}

/// The fields of a task from `at` (after its tuple header), `levels` deep; and its end.
fn task_at(bytes: &[u8], at: usize, levels: usize) -> Option<(TaskFrame, usize)> {
    let (id, at) = read_uint(bytes, at)?;
    if *bytes.get(at)? != tag::BINARY {
        return None;
    }
    let len = u32::from_be_bytes(bytes.get(at + 1..at + 5)?.try_into().ok()?) as usize;
    let name = std::str::from_utf8(bytes.get(at + 5..at + 5 + len)?).ok()?;
    let (args, at) = bert::decode_nested(bytes, at + 5 + len, levels, &LIMITS).ok()?;
    let (attempt, at) = read_uint(bytes, at)?;
    let (deadline_ms, end) = if bytes.get(at..)?.starts_with(&NIL_CONSTANT[..15]) {
        (None, at + 15)
    } else {
        let (ms, end) = read_uint(bytes, at)?;
        (Some(ms), end)
    };
    let task = TaskFrame {
        id,
        name: name.to_owned(),
        args,
        attempt: u32::try_from(attempt).ok()?,
        deadline_ms,
    };
    Some((task, end))
}

/// A non-negative integer below 2^63 (what `Value::Int` holds) at `at`, and where it ends.
fn read_uint(bytes: &[u8], at: usize) -> Option<(u64, usize)> {
    match *bytes.get(at)? {
        tag::SMALL_INTEGER => Some((u64::from(*bytes.get(at + 1)?), at + 2)),
        tag::INTEGER => {
            let n = i32::from_be_bytes(bytes.get(at + 1..at + 5)?.try_into().ok()?);
            Some((u64::try_from(n).ok()?, at + 5))
        }
        tag::SMALL_BIG => {
            let n = usize::from(*bytes.get(at + 1)?);
            if n > 8 || *bytes.get(at + 2)? != 0 {
                return None;
            }
            let digits = bytes.get(at + 3..at + 3 + n)?;
            let value = digits
                .iter()
                .rev()
                .fold(0u64, |acc, &d| (acc << 8) | u64::from(d));
            (value <= i64::MAX as u64).then_some((value, at + 3 + n))
        }
        _ => None,
    }
}

fn write_atom(out: &mut Vec<u8>, name: &str) {
    // Protocol atoms are short ASCII.
    let _ = bert::write_atom(out, name);
}

fn write_id(out: &mut Vec<u8>, id: u64) {
    // Ids stay below 2^63 (see `ids`), so they are plain integers on the wire.
    let _ = bert::write_value(out, &Value::from(id), 1);
}

fn write_text(out: &mut Vec<u8>, text: &str) -> Result<(), Error> {
    bert::write_binary(out, text.as_bytes())
        .map_err(bert::EncodeError::new)
        .map_err(Error::Encode)
}

fn uint(value: &Value, what: &str) -> Result<u64, Error> {
    match value {
        Value::Int(n) if *n >= 0 => Ok(*n as u64),
        _ => Err(bad(format!("{what} is not a non-negative integer"))),
    }
}

fn id_of(value: &Value) -> Result<u64, Error> {
    uint(value, "task id")
}

fn text(value: &Value, what: &str) -> Result<String, Error> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| bad(format!("{what} is not text")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(control: Control) {
        let bytes = control.encode().expect("encodes");
        assert_eq!(Control::decode(&bytes).expect("decodes"), control);
    }

    #[test]
    fn every_frame_round_trips() {
        round_trip(Control::Ready {
            concurrency: 16,
            tasks: vec!["fetch".into(), "resize".into()],
            heartbeat_ms: 1000,
            info: Value::Dict(vec![(Value::from("pid"), Value::Int(42))]),
        });
        round_trip(Control::Task {
            id: (1 << 62) + 7,
            name: "fetch".into(),
            args: Value::Dict(vec![(Value::from("url"), Value::from("http://x/"))]),
            attempt: 2,
            deadline_ms: Some(250),
        });
        round_trip(Control::Task {
            id: 1,
            name: "t".into(),
            args: Value::Nil,
            attempt: 1,
            deadline_ms: None,
        });
        round_trip(Control::Result {
            id: 9,
            outcome: Ok(Value::List(vec![Value::Int(1), Value::from("two")])),
        });
        round_trip(Control::Result {
            id: 9,
            outcome: Err(TaskError::new("ZeroDivisionError", "divided by 0")
                .with_backtrace(vec!["a.rb:1".into(), "b.rb:2".into()])),
        });
        round_trip(Control::Tasks(vec![
            TaskFrame {
                id: 1,
                name: "a".into(),
                args: Value::Int(1),
                attempt: 1,
                deadline_ms: None,
            },
            TaskFrame {
                id: 1 << 50,
                name: "b".into(),
                args: Value::List(vec![Value::from("x")]),
                attempt: 2,
                deadline_ms: Some(5),
            },
        ]));
        round_trip(Control::Results(vec![
            (1, Ok(Value::Int(2))),
            (
                2,
                Err(TaskError::new("E", "m").with_backtrace(vec!["l1".into()])),
            ),
            (1 << 60, Ok(Value::Nil)),
        ]));
        round_trip(Control::Heartbeat);
        round_trip(Control::Disconnect);
        round_trip(Control::Cancel { id: 3 });
    }

    #[test]
    fn the_fast_reading_agrees_with_the_generic_one() {
        let frames = [
            Control::Task {
                id: (1 << 62) + 7,
                name: "fetch".into(),
                args: Value::List(vec![Value::Int(-1), Value::from("x")]),
                attempt: 3,
                deadline_ms: Some(70_000),
            },
            Control::Task {
                id: 5,
                name: "t".into(),
                args: Value::Nil,
                attempt: 1,
                deadline_ms: None,
            },
            Control::Result {
                id: 300,
                outcome: Ok(Value::Dict(vec![(Value::from("k"), Value::Float(0.5))])),
            },
            Control::Tasks(vec![
                TaskFrame {
                    id: 9,
                    name: "n".into(),
                    args: Value::Tuple(vec![Value::Int(1), Value::Nil]),
                    attempt: 1,
                    deadline_ms: Some(1),
                },
                TaskFrame {
                    id: 1 << 40,
                    name: "m".into(),
                    args: Value::Nil,
                    attempt: 4,
                    deadline_ms: None,
                },
            ]),
            Control::Results(vec![(3, Ok(Value::Int(-7))), (4, Ok(Value::from("r")))]),
        ];
        for control in frames {
            let bytes = control.encode().unwrap();
            assert_eq!(decode_fast(&bytes), Some(control.clone()));
            // The generic reading of the same bytes gives the same frame.
            assert_eq!(decode_generic(&bytes).unwrap(), control);
            // Cut anywhere, the fast reading declines or agrees; it never invents a frame.
            for cut in 0..bytes.len() {
                if let Some(fast) = decode_fast(&bytes[..cut]) {
                    assert_eq!(Some(fast), decode_generic(&bytes[..cut]).ok());
                }
            }
        }
    }

    #[test]
    fn frames_are_plain_bert_tuples() {
        let bytes = Control::Cancel { id: 3 }.encode().unwrap();
        assert_eq!(
            bert::decode(&bytes).unwrap(),
            Value::Tuple(vec![atom("cancel"), Value::Int(3)])
        );
    }

    #[test]
    fn malformed_frames_are_errors() {
        let frame = |v: Value| bert::encode(&v).unwrap();
        for bytes in [
            vec![1, 2, 3],
            frame(Value::Int(1)),
            frame(Value::Tuple(vec![])),
            frame(Value::Tuple(vec![atom("launch")])),
            frame(Value::Tuple(vec![atom("cancel"), Value::from("x")])),
            frame(Value::Tuple(vec![
                atom("ready"),
                Value::Int(1),
                Value::Int(0),
                Value::List(vec![]),
                Value::Int(1000),
                Value::Nil,
            ])),
            frame(Value::Tuple(vec![
                atom("ready"),
                Value::Int(1),
                Value::Int(1),
                Value::List(vec![]),
                Value::Int(0),
                Value::Nil,
            ])),
            frame(Value::Tuple(vec![
                atom("ready"),
                Value::Int(99),
                Value::Int(1),
                Value::List(vec![]),
                Value::Int(1000),
                Value::Nil,
            ])),
        ] {
            let e = Control::decode(&bytes).expect_err("malformed");
            assert!(!e.to_string().is_empty());
        }
    }
}
