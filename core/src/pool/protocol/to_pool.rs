//! What a worker sends its pool: READY, results (one RESULT, or several in one RESULTS),
//! HEARTBEAT and DISCONNECT.

use super::super::task::{TaskError, TaskResult};
use super::{
    atom, bad, envelope, fields, id_of, read_uint, text, tuple_header, uint, unknown, write_atom,
    write_id, write_list_header, write_text, LIMITS, MAX_RESULTS_FRAME_BYTES, OK_ATOM, VERSION,
    WALK,
};
use crate::bert::{self, tag, DecodeLimits, Value};
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
    Results(Vec<ResultEntry>),
    /// `{heartbeat}`.
    Heartbeat,
    /// `{disconnect}`: the worker is going away.
    Disconnect,
}

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
    /// naming what was wrong. Result values are checked but not built: see [`ResultEntry`].
    pub(crate) fn decode(bytes: &[u8]) -> Result<ToPool, Error> {
        let envelope = envelope(bytes)?;
        match (envelope.kind.as_str(), envelope.fields) {
            ("result", 3 | 5) => {
                let (entry, end) = result_at(bytes, envelope.at, envelope.fields, Place::Alone)?;
                if end != bytes.len() {
                    return Err(bad("bytes after a RESULT's last field"));
                }
                return Ok(ToPool::Results(vec![entry]));
            }
            ("results", 1) => return read_results(bytes, envelope.at).map(ToPool::Results),
            _ => {}
        }
        let (kind, rest) = fields(bytes, &LIMITS)?;
        let count = rest.len();
        Ok(match (kind.as_str(), count) {
            ("heartbeat", 0) => ToPool::Heartbeat,
            ("disconnect", 0) => ToPool::Disconnect,
            ("ready", 5) => ToPool::Ready(ready_fields(rest)?),
            (other, count) => return Err(unknown(other, count, "a pool")),
        })
    }
}

/// A result as read off the wire, its value checked but not yet built: the pool builds the
/// value only of a result it accepts, within its own limits, so a result nobody waits for
/// (late, or forged) costs a walk over its bytes and no memory.
#[derive(Debug, PartialEq)]
pub(crate) struct ResultEntry {
    pub(crate) id: u64,
    outcome: RawOutcome,
}

#[derive(Debug, PartialEq)]
enum RawOutcome {
    /// The value starts at `at` of the frame, `levels` wire levels deep, and must end at
    /// `end`.
    Value {
        at: usize,
        levels: usize,
        end: usize,
    },
    Error(TaskError),
}

impl ResultEntry {
    /// The outcome, its value built from `frame` (the frame the entry was read from) within
    /// `limits`. A value past them is the task's `DecodeError`, not a lost result.
    pub(crate) fn outcome(self, frame: &[u8], limits: &DecodeLimits) -> TaskResult {
        match self.outcome {
            RawOutcome::Error(error) => Err(error),
            RawOutcome::Value { at, levels, end } => {
                let (value, ended) =
                    bert::decode_nested(frame, at, levels, limits).map_err(|e| {
                        decode_error(format!("the result is beyond what the pool reads: {e}"))
                    })?;
                if ended != end {
                    return Err(decode_error(format!(
                        "{} bytes after the result's value",
                        end.saturating_sub(ended)
                    )));
                }
                Ok(value)
            }
        }
    }
}

/// A result the pool cannot read, as its task's error.
fn decode_error(message: String) -> TaskError {
    TaskError::new("DecodeError", message)
}

/// The entries of a RESULTS frame, its list starting at `at`.
fn read_results(bytes: &[u8], at: usize) -> Result<Vec<ResultEntry>, Error> {
    if bytes.len() > MAX_RESULTS_FRAME_BYTES {
        // Reading one costs a walk over every value in it, to find where the next begins.
        return Err(bad(format!(
            "a RESULTS frame of {} bytes (at most {MAX_RESULTS_FRAME_BYTES}; larger results go \
             as RESULT frames)",
            bytes.len()
        )));
    }
    let malformed = || bad("RESULTS holds a list of result tuples");
    // `[]` is NIL alone, or (as BERT allows) an empty STRING_EXT; a LIST_EXT, even of no
    // entries as `write_results` writes an empty batch, ends with its NIL tail.
    let (count, mut at, has_tail) = match bytes.get(at) {
        Some(&tag::NIL) => (0, at + 1, false),
        Some(&tag::STRING) if bytes.get(at + 1..at + 3) == Some(&[0, 0]) => (0, at + 3, false),
        Some(&tag::LIST) => {
            let len = bytes.get(at + 1..at + 5).ok_or_else(malformed)?;
            (
                u32::from_be_bytes(len.try_into().map_err(|_| malformed())?) as usize,
                at + 5,
                true,
            )
        }
        _ => return Err(malformed()),
    };
    // Each entry takes at least a dozen bytes: a hostile count cannot make us reserve.
    let mut entries = Vec::with_capacity(count.min(bytes.len() / 12));
    for _ in 0..count {
        let (fields, fields_at) = tuple_header(bytes, at).ok_or_else(malformed)?;
        let (entry, end) = result_at(bytes, fields_at, fields, Place::InBatch)?;
        entries.push(entry);
        at = end;
    }
    if has_tail {
        if bytes.get(at) != Some(&tag::NIL) {
            return Err(malformed());
        }
        at += 1;
    }
    if at != bytes.len() {
        return Err(bad("bytes after RESULTS' list"));
    }
    Ok(entries)
}

/// Where a result is in its frame.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    /// A RESULT frame's fields: a value runs to the frame's end, so it is not walked over
    /// (it is checked if it is ever built).
    Alone,
    /// A RESULTS entry: a value is walked over to find the next entry.
    InBatch,
}

/// `Id, ok, Value` or `Id, error, Class, Message, Backtrace` of a RESULT or RESULTS entry,
/// whose `fields` start at `at`; and where it ends.
fn result_at(
    bytes: &[u8],
    at: usize,
    fields: usize,
    place: Place,
) -> Result<(ResultEntry, usize), Error> {
    // Inside the frame's tuple; in a batch also its list and the entry's tuple.
    let levels = match place {
        Place::Alone => 1,
        Place::InBatch => 3,
    };
    let field = |at| bert::decode_nested(bytes, at, levels, &WALK).map_err(Error::Decode);
    let (id, at) = match read_uint(bytes, at) {
        Some(read) => read,
        None => {
            let (id, end) = field(at)?;
            (id_of(&id)?, end)
        }
    };
    let (ok, at) = if bytes
        .get(at..)
        .is_some_and(|rest| rest.starts_with(&OK_ATOM))
    {
        (true, at + OK_ATOM.len())
    } else {
        let (status, end) = field(at)?;
        match status.as_atom() {
            Some("ok") => (true, end),
            Some("error") => (false, end),
            _ => return Err(bad("a result's status is ok or error")),
        }
    };
    match (ok, fields) {
        (true, 3) => {
            let end = match place {
                Place::Alone => bytes.len(),
                Place::InBatch => {
                    bert::skip_nested(bytes, at, levels, &WALK).map_err(Error::Decode)?
                }
            };
            let outcome = RawOutcome::Value { at, levels, end };
            Ok((ResultEntry { id, outcome }, end))
        }
        (false, 5) => {
            let (class, at) = field(at)?;
            let (message, at) = field(at)?;
            let (lines, end) = field(at)?;
            let error = TaskError::new(text(&class, "class")?, text(&message, "message")?)
                .with_backtrace(backtrace_lines(&lines));
            let outcome = RawOutcome::Error(error);
            Ok((ResultEntry { id, outcome }, end))
        }
        (true, _) => Err(bad("a result that says ok is {Id, ok, Value}")),
        (false, _) => Err(bad(
            "a result that says error is {Id, error, Class, Message, Lines}",
        )),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The results a frame holds, their values built within the default limits.
    fn read(bytes: &[u8]) -> Result<Vec<(u64, TaskResult)>, Error> {
        match ToPool::decode(bytes)? {
            ToPool::Results(entries) => Ok(entries
                .into_iter()
                .map(|e| (e.id, e.outcome(bytes, &DecodeLimits::DEFAULT)))
                .collect()),
            other => panic!("not results: {other:?}"),
        }
    }

    fn round_trip(results: Vec<(u64, TaskResult)>) {
        let mut bytes = Vec::new();
        write_results(&mut bytes, &results).unwrap();
        assert_eq!(read(&bytes).unwrap(), results);
        // Cut anywhere, the frame is malformed, or (a RESULT's value is read only when it is
        // taken) its value fails to read; it never reads as a result.
        for cut in 0..bytes.len() {
            let read = read(&bytes[..cut]);
            let failed = match &read {
                Err(_) => true,
                Ok(entries) => entries
                    .iter()
                    .any(|(_, r)| matches!(r, Err(e) if e.class == "DecodeError")),
            };
            assert!(failed, "cut at {cut}: {read:?}");
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

    /// Found by the fuzzer (fuzz/regressions/pool_to_pool/): a RESULTS list of no entries
    /// was read without its NIL tail, so the writer's own empty batch (LIST 0, NIL) was
    /// refused and a batch with its tail cut off was taken; and an empty list written as
    /// STRING_EXT was refused although the general reading takes it.
    #[test]
    fn an_empty_batch_reads_back_and_needs_its_tail() {
        let mut bytes = Vec::new();
        write_results(&mut bytes, &[]).unwrap();
        assert_eq!(ToPool::decode(&bytes).unwrap(), ToPool::Results(vec![]));
        assert_eq!(bytes.pop(), Some(tag::NIL));
        assert!(ToPool::decode(&bytes).is_err());
        // The same empty list as an empty STRING_EXT, which the general reading takes too.
        bytes.truncate(bytes.len() - 5);
        bytes.extend_from_slice(&[tag::STRING, 0, 0]);
        assert_eq!(ToPool::decode(&bytes).unwrap(), ToPool::Results(vec![]));
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
