//! What a worker sends its pool: READY, results (one RESULT, or several in one RESULTS),
//! HEARTBEAT and DISCONNECT.

use super::super::task::{TaskError, TaskResult};
use super::{
    atom, bad, entries, fields, frame_head, id_of, read_batch, read_uint, text, uint, unknown,
    write_atom, write_id, write_list_header, write_text, LIMITS, OK_ATOM, VERSION,
};
use crate::bert::{self, tag, Value};
use crate::error::{backtrace_lines, Error};

/// A worker's announcement: `{ready, Version, Concurrency, [TaskName...], HeartbeatMs, Info}`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Ready {
    /// Tasks it runs at once; at least 1.
    pub(crate) concurrency: u32,
    /// The names of the tasks it runs.
    pub(crate) tasks: Vec<String>,
    /// How often it heartbeats; at least 1 ms.
    pub(crate) heartbeat_ms: u64,
    /// Anything else it tells (its `name` shows in the pool's stats).
    pub(crate) info: Value,
}

/// A frame a pool reads.
#[derive(Debug, PartialEq)]
pub(crate) enum ToPool {
    Ready(Ready),
    /// `{result, Id, ok, Value}` or `{result, Id, error, Class, Message, [BacktraceLine...]}`,
    /// or several in `{results, [{Id, ok, Value} | {Id, error, Class, Message, [Line...]}...]}`.
    Results(Vec<(u64, TaskResult)>),
    /// `{heartbeat}`.
    Heartbeat,
    /// `{disconnect}`: the worker is going away.
    Disconnect,
}

/// `{result, ` of a successful result, as `write_results` writes it for one.
const RESULT_OK_HEAD: [u8; 12] = frame_head(4, b"result", false);

/// `{results, [` up to the list's length.
const RESULTS_HEAD: [u8; 14] = frame_head(2, b"results", true);

/// Writes READY into `out` (cleared first).
pub(crate) fn write_ready(out: &mut Vec<u8>, ready: &Ready) {
    let frame = Value::Tuple(vec![
        atom("ready"),
        Value::Int(VERSION),
        Value::from(u64::from(ready.concurrency)),
        Value::List(
            ready
                .tasks
                .iter()
                .map(|t| Value::from(t.as_str()))
                .collect(),
        ),
        Value::from(ready.heartbeat_ms),
        ready.info.clone(),
    ]);
    out.clear();
    // Names are text and the info a worker's own: nothing here BERT cannot write.
    let _ = bert::encode_into(&frame, out);
}

/// Writes results into `out` (cleared first): one as a RESULT frame, more as one RESULTS
/// frame, the values in place. Fails only for a value BERT cannot carry (a NaN...).
pub(crate) fn write_results(out: &mut Vec<u8>, results: &[(u64, TaskResult)]) -> Result<(), Error> {
    out.clear();
    out.push(tag::VERSION);
    if let [(id, outcome)] = results {
        return write_result(out, Some("result"), *id, outcome, 1);
    }
    out.extend_from_slice(&[tag::SMALL_TUPLE, 2]);
    write_atom(out, "results");
    write_list_header(out, results.len())?;
    for (id, outcome) in results {
        write_result(out, None, *id, outcome, 3)?;
    }
    out.push(tag::NIL);
    Ok(())
}

/// Writes a result as a tuple: `{result, Id, ...}` for a RESULT frame (`kind` given), the
/// bare `{Id, ...}` of a RESULTS entry otherwise.
fn write_result(
    out: &mut Vec<u8>,
    kind: Option<&str>,
    id: u64,
    outcome: &TaskResult,
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

impl ToPool {
    /// Reads a frame; an unknown or malformed frame, or one meant for a worker, is an error
    /// naming what was wrong.
    pub(crate) fn decode(bytes: &[u8]) -> Result<ToPool, Error> {
        if let Some(results) = read_results_fast(bytes) {
            return Ok(ToPool::Results(results));
        }
        let (kind, rest) = fields(bytes)?;
        let count = rest.len();
        Ok(match (kind.as_str(), count) {
            ("heartbeat", 0) => ToPool::Heartbeat,
            ("disconnect", 0) => ToPool::Disconnect,
            ("ready", 5) => ToPool::Ready(ready_fields(rest)?),
            ("result", 3 | 5) => ToPool::Results(vec![result_fields(rest)?]),
            ("results", 1) => ToPool::Results(
                entries(rest, "RESULTS")?
                    .into_iter()
                    .map(|entry| match entry {
                        Value::Tuple(fields) => result_fields(fields),
                        _ => Err(bad("a RESULTS entry is a tuple")),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            (other, count) => return Err(unknown(other, count, "a pool")),
        })
    }
}

fn ready_fields(fields: Vec<Value>) -> Result<Ready, Error> {
    let [version, concurrency, tasks, heartbeat_ms, info] =
        <[Value; 5]>::try_from(fields).map_err(|_| bad("READY"))?;
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
    Ok(Ready {
        concurrency,
        tasks,
        heartbeat_ms,
        info,
    })
}

/// `Id, ok, Value` or `Id, error, Class, Message, Backtrace` of a RESULT or RESULTS entry.
fn result_fields(fields: Vec<Value>) -> Result<(u64, TaskResult), Error> {
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
            let error = TaskError::new(text(&class, "class")?, text(&message, "message")?);
            Ok((
                id_of(&id)?,
                Err(error.with_backtrace(backtrace_lines(&backtrace))),
            ))
        }
    }
}

/// Successful RESULT and RESULTS frames (one per task a pool runs) read where their layout
/// is fixed bytes instead of through a tuple `Value`. `None` for anything else, errors and
/// malformed frames included: the general reading then decides, and words the error.
fn read_results_fast(bytes: &[u8]) -> Option<Vec<(u64, TaskResult)>> {
    if bytes.starts_with(&RESULT_OK_HEAD) {
        let (result, end) = ok_result_at(bytes, RESULT_OK_HEAD.len(), 1)?;
        return (end == bytes.len()).then(|| vec![result]);
    }
    // Successful results only; a batch with an error in it is read the general way.
    read_batch(bytes, &RESULTS_HEAD, 3, |at| ok_result_at(bytes, at, 3))
}

/// `Id, ok, Value` from `at`, `levels` deep; and its end.
fn ok_result_at(bytes: &[u8], at: usize, levels: usize) -> Option<((u64, TaskResult), usize)> {
    let (id, at) = read_uint(bytes, at)?;
    if !bytes.get(at..)?.starts_with(&OK_ATOM) {
        return None;
    }
    let (value, end) = bert::decode_nested(bytes, at + OK_ATOM.len(), levels, &LIMITS).ok()?;
    Some(((id, Ok(value)), end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(results: Vec<(u64, TaskResult)>) {
        let mut bytes = Vec::new();
        write_results(&mut bytes, &results).unwrap();
        assert_eq!(
            ToPool::decode(&bytes).unwrap(),
            ToPool::Results(results.clone())
        );
        let all_ok = results.iter().all(|(_, r)| r.is_ok());
        assert_eq!(read_results_fast(&bytes).is_some(), all_ok);
        // Cut anywhere, the fast reading declines or agrees; it never invents a frame.
        for cut in 0..bytes.len() {
            if let Some(read) = read_results_fast(&bytes[..cut]) {
                assert_eq!(read, results);
            }
        }
    }

    #[test]
    fn results_read_back() {
        round_trip(vec![(
            9,
            Ok(Value::List(vec![Value::Int(1), Value::from("two")])),
        )]);
        round_trip(vec![(
            9,
            Err(TaskError::new("ZeroDivisionError", "divided by 0")
                .with_backtrace(vec!["a.rb:1".into(), "b.rb:2".into()])),
        )]);
        round_trip(vec![(3, Ok(Value::Int(-7))), (4, Ok(Value::from("r")))]);
        round_trip(vec![
            (1, Ok(Value::Int(2))),
            (
                2,
                Err(TaskError::new("E", "m").with_backtrace(vec!["l1".into()])),
            ),
            (1 << 60, Ok(Value::Nil)),
        ]);
    }

    #[test]
    fn ready_and_control_frames_read_back() {
        let ready = Ready {
            concurrency: 16,
            tasks: vec!["fetch".into(), "resize".into()],
            heartbeat_ms: 1000,
            info: Value::Dict(vec![(Value::from("pid"), Value::Int(42))]),
        };
        let mut out = Vec::new();
        write_ready(&mut out, &ready);
        assert_eq!(ToPool::decode(&out).unwrap(), ToPool::Ready(ready));
        super::super::write_heartbeat(&mut out);
        assert_eq!(ToPool::decode(&out).unwrap(), ToPool::Heartbeat);
        super::super::write_disconnect(&mut out);
        assert_eq!(ToPool::decode(&out).unwrap(), ToPool::Disconnect);
    }

    #[test]
    fn frames_for_a_worker_or_malformed_ones_are_errors() {
        let frame = |v: Value| bert::encode(&v).unwrap();
        let ready = |version: i64, concurrency: i64, heartbeat: i64| {
            frame(Value::Tuple(vec![
                atom("ready"),
                Value::Int(version),
                Value::Int(concurrency),
                Value::List(vec![]),
                Value::Int(heartbeat),
                Value::Nil,
            ]))
        };
        let mut cancel = Vec::new();
        super::super::to_worker::write_cancel(&mut cancel, 3);
        for bytes in [
            cancel,
            vec![1, 2, 3],
            frame(Value::Int(1)),
            frame(Value::Tuple(vec![])),
            frame(Value::Tuple(vec![atom("launch")])),
            ready(1, 0, 1000),
            ready(1, 1, 0),
            ready(99, 1, 1000),
        ] {
            let e = ToPool::decode(&bytes).expect_err("not for a pool");
            assert!(!e.to_string().is_empty());
        }
    }
}
