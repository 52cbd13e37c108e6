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
    /// Both ways: `{heartbeat}`.
    Heartbeat,
    /// Both ways: `{disconnect}`, the sender is going away (a pool also says it to a worker
    /// it does not know, which then says READY again).
    Disconnect,
    /// Pool → worker: `{cancel, Id}`, the result is no longer wanted.
    Cancel { id: u64 },
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
            } => return encode_task(out, *id, name, args, *attempt, *deadline_ms),
            Control::Result { id, outcome } => return encode_result(out, *id, outcome),
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
            Control::Task { .. } | Control::Result { .. } => {
                unreachable!("written in place by encode_into")
            }
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
            let [id, name, args, attempt, deadline] =
                <[Value; 5]>::try_from(rest).map_err(|_| bad("TASK"))?;
            let attempt = u32::try_from(uint(&attempt, "attempt")?)
                .map_err(|_| bad("attempt out of range"))?;
            let deadline_ms = match deadline {
                Value::Nil => None,
                d => Some(uint(&d, "deadline")?),
            };
            Control::Task {
                id: id_of(&id)?,
                name: text(&name, "task name")?,
                args,
                attempt,
                deadline_ms,
            }
        }
        ("result", rest) if fields == 3 => {
            let [id, status, value] = <[Value; 3]>::try_from(rest).map_err(|_| bad("RESULT"))?;
            if status.as_atom() != Some("ok") {
                return Err(bad("a 3-field RESULT is {result, Id, ok, Value}"));
            }
            Control::Result {
                id: id_of(&id)?,
                outcome: Ok(value),
            }
        }
        ("result", rest) if fields == 5 => {
            let [id, status, class, message, backtrace] =
                <[Value; 5]>::try_from(rest).map_err(|_| bad("RESULT"))?;
            if status.as_atom() != Some("error") {
                return Err(bad("a 5-field RESULT is {result, Id, error, ...}"));
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
            Control::Result {
                id: id_of(&id)?,
                outcome: Err(error.with_backtrace(lines)),
            }
        }
        (other, _) => return Err(bad(format!("unknown frame {other} with {fields} fields"))),
    };
    Ok(control)
}

/// Writes a TASK frame into `out` (cleared first), the arguments in place.
pub(crate) fn encode_task(
    out: &mut Vec<u8>,
    id: u64,
    name: &str,
    args: &Value,
    attempt: u32,
    deadline_ms: Option<u64>,
) -> Result<(), Error> {
    out.clear();
    out.extend_from_slice(&[tag::VERSION, tag::SMALL_TUPLE, 6]);
    write_atom(out, "task");
    write_id(out, id);
    write_text(out, name)?;
    bert::write_value(out, args, 1)?;
    bert::write_value(out, &Value::from(u64::from(attempt)), 1)?;
    bert::write_value(out, &deadline_ms.map_or(Value::Nil, Value::from), 1)?;
    Ok(())
}

/// Writes a RESULT frame into `out` (cleared first), the value in place.
pub(crate) fn encode_result(
    out: &mut Vec<u8>,
    id: u64,
    outcome: &Result<Value, TaskError>,
) -> Result<(), Error> {
    out.clear();
    out.push(tag::VERSION);
    match outcome {
        Ok(value) => {
            out.extend_from_slice(&[tag::SMALL_TUPLE, 4]);
            write_atom(out, "result");
            write_id(out, id);
            write_atom(out, "ok");
            bert::write_value(out, value, 1)?;
        }
        Err(e) => {
            let lines = e
                .backtrace
                .iter()
                .map(|l| Value::from(l.as_str()))
                .collect();
            out.extend_from_slice(&[tag::SMALL_TUPLE, 6]);
            write_atom(out, "result");
            write_id(out, id);
            write_atom(out, "error");
            write_text(out, &e.class)?;
            write_text(out, &e.message)?;
            bert::write_value(out, &Value::List(lines), 1)?;
        }
    }
    Ok(())
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
        let (id, at) = read_uint(bytes, TASK_HEAD.len())?;
        if *bytes.get(at)? != tag::BINARY {
            return None;
        }
        let len = u32::from_be_bytes(bytes.get(at + 1..at + 5)?.try_into().ok()?) as usize;
        let name = std::str::from_utf8(bytes.get(at + 5..at + 5 + len)?).ok()?;
        let (args, at) = bert::decode_nested(bytes, at + 5 + len, 1, &LIMITS).ok()?;
        let (attempt, at) = read_uint(bytes, at)?;
        let rest = bytes.get(at..)?;
        let deadline_ms = if rest == &NIL_CONSTANT[..15] {
            None
        } else {
            let (ms, end) = read_uint(bytes, at)?;
            if end != bytes.len() {
                return None;
            }
            Some(ms)
        };
        return Some(Control::Task {
            id,
            name: name.to_owned(),
            args,
            attempt: u32::try_from(attempt).ok()?,
            deadline_ms,
        });
    }
    None
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
