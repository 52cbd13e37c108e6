//! The pool protocol (see `docs/protocol.md`): BERT tuples on a ROUTER (pool) / DEALER
//! (worker) pair, one frame per message at the worker, identity + frame at the pool.
//!
//! One module per direction, each with the type of what it carries, its reader and its
//! writers: [`to_worker`] (TASK, TASKS, CANCEL, HEARTBEAT, DISCONNECT) and [`to_pool`] (READY,
//! RESULT, RESULTS, HEARTBEAT, DISCONNECT). A frame that arrives in the wrong direction is a
//! decode error. This module holds what both directions write and read the same way.

pub(crate) mod to_pool;
pub(crate) mod to_worker;

use crate::bert::{self, tag, DecodeLimits, Value};
use crate::error::Error;

/// The protocol version a worker announces in READY.
pub(crate) const VERSION: i64 = 1;

/// Control frames (READY, HEARTBEAT...) are read within the default limits; values a side
/// keeps (task arguments, result values) within that side's own.
const LIMITS: DecodeLimits = DecodeLimits::DEFAULT;

/// The largest RESULTS frame: reading a batch walks over every value in it, so a batch is
/// kept small, and a worker sends results that would not fit as single RESULT frames (whose
/// value the pool reads only if it takes the result).
pub(crate) const MAX_RESULTS_FRAME_BYTES: usize = 1 << 20;

/// For walking a frame's fixed fields and skipping values: the socket already bounds the
/// frame's size (`ZMQ_MAXMSGSIZE`), and a walk builds nothing, so only nesting is limited.
/// Whoever builds a value applies its own limits then.
const WALK: DecodeLimits = DecodeLimits {
    max_input_bytes: usize::MAX,
    max_elements: usize::MAX,
    ..DecodeLimits::DEFAULT
};

/// What a frame is, read from its opening bytes without reading its fields.
pub(crate) struct Envelope {
    /// The atom that names the frame.
    pub(crate) kind: bert::Atom,
    /// Fields after the atom.
    pub(crate) fields: usize,
    /// Where the first field starts.
    pub(crate) at: usize,
}

/// Reads a frame's version, tuple header and leading atom, in any of the encodings BERT
/// allows for them.
pub(crate) fn envelope(bytes: &[u8]) -> Result<Envelope, Error> {
    if bytes.first() != Some(&tag::VERSION) {
        return Err(bad("a frame starts with BERT's version byte 131"));
    }
    let (arity, at) = tuple_header(bytes, 1).ok_or_else(|| bad("a frame is a tuple"))?;
    let (kind, at) = match bert::decode_nested(bytes, at, 1, &WALK) {
        Ok((Value::Atom(kind), at)) if arity > 0 => (kind, at),
        _ => return Err(bad("a frame's tuple starts with an atom")),
    };
    Ok(Envelope {
        kind,
        fields: arity - 1,
        at,
    })
}

/// The arity of the tuple whose header is at `at`, and where its first element starts.
fn tuple_header(bytes: &[u8], at: usize) -> Option<(usize, usize)> {
    match *bytes.get(at)? {
        tag::SMALL_TUPLE => Some((usize::from(*bytes.get(at + 1)?), at + 2)),
        tag::LARGE_TUPLE => {
            let arity = u32::from_be_bytes(bytes.get(at + 1..at + 5)?.try_into().ok()?);
            Some((arity as usize, at + 5))
        }
        _ => None,
    }
}

/// The opening bytes of a frame as the writers write it: the version, a tuple of `arity`
/// (the kind's atom and the fields), the atom `kind`, and with `list` the tag of the list a
/// batch frame holds (its length follows). `N` is their count; a wrong one fails to compile.
const fn frame_head<const N: usize>(arity: u8, kind: &[u8], list: bool) -> [u8; N] {
    assert!(N == 6 + kind.len() + list as usize, "the head's length");
    let mut head = [0u8; N];
    head[0] = tag::VERSION;
    head[1] = tag::SMALL_TUPLE;
    head[2] = arity;
    head[3] = tag::ATOM;
    head[5] = kind.len() as u8;
    let mut i = 0;
    while i < kind.len() {
        head[6 + i] = kind[i];
        i += 1;
    }
    if list {
        head[N - 1] = tag::LIST;
    }
    head
}

/// Reads the entries of a batch frame (`{tasks, [...]}`, `{results, [...]}`) whose opening
/// bytes are `head`: each a tuple of `arity` fields read by `entry` from where its fields
/// start, which returns the entry and where it ends. `None` if anything is not as the writer
/// writes it.
fn read_batch<T>(
    bytes: &[u8],
    head: &[u8],
    arity: u8,
    mut entry: impl FnMut(usize) -> Option<(T, usize)>,
) -> Option<Vec<T>> {
    let rest = bytes.strip_prefix(head)?;
    let count = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    let mut at = head.len() + 4;
    // Each entry takes at least a dozen bytes: a hostile count cannot make us reserve.
    let mut entries = Vec::with_capacity(count.min(bytes.len() / 12));
    for _ in 0..count {
        if bytes.get(at..at + 2)? != [tag::SMALL_TUPLE, arity] {
            return None;
        }
        let (read, end) = entry(at + 2)?;
        entries.push(read);
        at = end;
    }
    (bytes.get(at..)? == [tag::NIL]).then_some(entries)
}

/// `ok` as written in a result.
const OK_ATOM: [u8; 5] = [tag::ATOM, 0, 2, b'o', b'k'];

/// `{bert, nil}`, a task without a deadline, as the writer writes it.
const NIL_CONSTANT: [u8; 15] = [
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
];

/// Writes `{heartbeat}`, which both sides send while idle.
pub(crate) fn write_heartbeat(out: &mut Vec<u8>) {
    write_bare(out, "heartbeat");
}

/// Writes `{disconnect}`: the sender is going away (a pool also says it to a worker it does
/// not know, which then says READY again).
pub(crate) fn write_disconnect(out: &mut Vec<u8>) {
    write_bare(out, "disconnect");
}

/// A frame that is a tuple of one atom.
fn write_bare(out: &mut Vec<u8>, kind: &str) {
    out.clear();
    out.extend_from_slice(&[tag::VERSION, tag::SMALL_TUPLE, 1]);
    write_atom(out, kind);
}

fn atom(name: &'static str) -> Value {
    Value::Atom(bert::Atom::from_static(name))
}

fn bad(what: impl Into<String>) -> Error {
    Error::InvalidArgument(format!("pool protocol: {}", what.into()))
}

/// A frame read as its kind (the leading atom) and fields; the slow but general reading,
/// for frames the fast readers decline.
fn fields(bytes: &[u8], limits: &DecodeLimits) -> Result<(bert::Atom, Vec<Value>), Error> {
    let Value::Tuple(items) = bert::decode_with_limits(bytes, limits)? else {
        return Err(bad("a control frame is a tuple"));
    };
    let mut items = items.into_iter();
    let kind = match items.next() {
        Some(Value::Atom(a)) => a,
        _ => return Err(bad("a control frame starts with an atom")),
    };
    Ok((kind, items.collect()))
}

/// The error of a frame that is not one this side takes.
fn unknown(kind: &str, fields: usize, side: &str) -> Error {
    bad(format!("{side} takes no frame {kind} with {fields} fields"))
}

/// The one list field of a batch frame.
fn entries(mut rest: Vec<Value>, what: &str) -> Result<Vec<Value>, Error> {
    match rest.pop() {
        Some(Value::List(items)) if rest.is_empty() => Ok(items),
        _ => Err(bad(format!("{what} holds a list"))),
    }
}

fn write_list_header(out: &mut Vec<u8>, len: usize) -> Result<(), Error> {
    let len = u32::try_from(len).map_err(|_| bad("a batch of more than 2^32 entries"))?;
    out.push(tag::LIST);
    out.extend_from_slice(&len.to_be_bytes());
    Ok(())
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
    // Ids stay below 2^63 (see `ids`), so they are plain integers on the wire; written
    // straight, not through a `Value` (one is written per task).
    bert::write_int(out, i64::try_from(id).unwrap_or(i64::MAX));
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
