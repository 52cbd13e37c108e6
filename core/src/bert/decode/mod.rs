//! The safe decoder: bytes from peers to `Value` (BERT) or `Term` (raw Erlang).
//!
//! Every length read from the input is checked against the bytes that remain and against the
//! element budget before anything is allocated for it, nesting is bounded, and every failure
//! is a [`DecodeError`] naming the byte offset. No input makes it panic or abort. What it
//! allocates is bounded by what the input holds, not by what it claims: each element that
//! arrives takes at most twice the size of a `Value` (a container grows by doubling), a
//! binary takes its own bytes, and each container still open reserves room for at most 64
//! elements ahead of those that arrived; so a frame of `n` bytes nested `d` deep takes at most
//! about `64 n + 64 · 64 · d` bytes besides its binaries.

mod cursor;
mod message_frame;
mod nesting;

use super::complex;
use super::error::DecodeError;
use super::limits::DecodeLimits;
use super::term::Term;
use super::value::{Atom, Value};
use cursor::Decoder;
pub(crate) use message_frame::{decode_message_fields, MessageFields};
use num_bigint::BigInt;

/// Decodes one BERT frame into a [`Value`] with the default limits.
pub fn decode(bytes: &[u8]) -> Result<Value, DecodeError> {
    decode_with_limits(bytes, &DecodeLimits::DEFAULT)
}

/// Decodes one BERT frame into a [`Value`] within `limits`.
pub fn decode_with_limits(bytes: &[u8], limits: &DecodeLimits) -> Result<Value, DecodeError> {
    Decoder::new(bytes, limits).frame()
}

/// Reads the one term that starts at `at` in a frame whose envelope the caller has matched
/// itself, nested `levels` wire levels deep (counted against the depth limit); returns it
/// and the offset where it ends. For protocol frames whose fixed parts are read as bytes.
pub(crate) fn decode_nested(
    bytes: &[u8],
    at: usize,
    levels: usize,
    limits: &DecodeLimits,
) -> Result<(Value, usize), DecodeError> {
    nested(bytes, at, levels, limits)
}

/// Where the term that starts at `at` ends, checked as [`decode_nested`] checks it but built
/// into nothing: it allocates only for binaries, atoms and big integers it passes, one at a
/// time. For a term a reader may not want at all (a result nobody waits for).
pub(crate) fn skip_nested(
    bytes: &[u8],
    at: usize,
    levels: usize,
    limits: &DecodeLimits,
) -> Result<usize, DecodeError> {
    nested::<Skipped>(bytes, at, levels, limits).map(|(_, end)| end)
}

fn nested<B: Build>(
    bytes: &[u8],
    at: usize,
    levels: usize,
    limits: &DecodeLimits,
) -> Result<(B, usize), DecodeError> {
    let mut decoder = Decoder::new(bytes, limits);
    if bytes.len() > limits.max_input_bytes {
        let (len, max) = (bytes.len(), limits.max_input_bytes);
        return decoder.fail(0, super::error::DecodeErrorKind::InputTooLarge { len, max });
    }
    if decoder.max_depth < levels {
        let max = decoder.max_depth;
        return decoder.fail(at, super::error::DecodeErrorKind::TooDeep { max });
    }
    decoder.max_depth -= levels;
    decoder.pos = at.min(bytes.len());
    let term = decoder.term()?;
    Ok((term, decoder.pos))
}

/// Decodes one frame into a raw Erlang [`Term`], leaving `{bert, ...}` tuples as they are.
pub fn decode_term(bytes: &[u8], limits: &DecodeLimits) -> Result<Term, DecodeError> {
    Decoder::new(bytes, limits).frame()
}

/// How the decoder assembles what it reads; `Value` reads BERT's complex types, `Term` does not.
pub(crate) trait Build: Sized {
    /// Whether BERT's commonest complex types are read in one go: `{bert, dict, [...]}`
    /// straight into [`Build::dict`] pairs, skipping the tuple-per-entry detour (the shape of
    /// every message frame and head), and `{bert, nil|true|false}` without a tuple.
    const READS_BERT: bool;
    fn dict(pairs: Vec<(Self, Self)>) -> Self;
    /// `{bert, nil}`, read in one go when `READS_BERT`.
    fn nil() -> Self;
    /// `{bert, true}` / `{bert, false}`, read in one go when `READS_BERT`.
    fn boolean(b: bool) -> Self;
    fn atom(atom: Atom) -> Self;
    fn int(n: i64) -> Self;
    fn bigint(n: BigInt) -> Self;
    fn float(f: f64) -> Self;
    fn binary(bytes: Vec<u8>) -> Self;
    fn list(items: Vec<Self>) -> Self;
    fn tuple(items: Vec<Self>) -> Self;
    fn map(pairs: Vec<(Self, Self)>) -> Self;
}

impl Build for Value {
    const READS_BERT: bool = true;
    fn dict(pairs: Vec<(Self, Self)>) -> Self {
        Value::Dict(pairs)
    }
    fn nil() -> Self {
        Value::Nil
    }
    fn boolean(b: bool) -> Self {
        Value::Bool(b)
    }
    fn atom(atom: Atom) -> Self {
        Value::Atom(atom)
    }
    fn int(n: i64) -> Self {
        Value::Int(n)
    }
    fn bigint(n: BigInt) -> Self {
        Value::from_bigint(n)
    }
    fn float(f: f64) -> Self {
        Value::Float(f)
    }
    fn binary(bytes: Vec<u8>) -> Self {
        Value::Binary(bytes)
    }
    fn list(items: Vec<Self>) -> Self {
        Value::List(items)
    }
    fn tuple(items: Vec<Self>) -> Self {
        complex::tuple_to_value(items)
    }
    fn map(pairs: Vec<(Self, Self)>) -> Self {
        Value::Dict(pairs)
    }
}

impl Build for Term {
    const READS_BERT: bool = false;
    fn dict(pairs: Vec<(Self, Self)>) -> Self {
        // Never called: READS_BERT is false. Kept faithful all the same.
        let entries = pairs
            .into_iter()
            .map(|(k, v)| Term::Tuple(vec![k, v]))
            .collect();
        Term::Tuple(vec![
            Term::atom("bert"),
            Term::atom("dict"),
            Term::List(entries),
        ])
    }
    fn nil() -> Self {
        Term::Tuple(vec![Term::atom("bert"), Term::atom("nil")])
    }
    fn boolean(b: bool) -> Self {
        let name = if b { "true" } else { "false" };
        Term::Tuple(vec![Term::atom("bert"), Term::atom(name)])
    }
    fn atom(atom: Atom) -> Self {
        Term::Atom(atom)
    }
    fn int(n: i64) -> Self {
        Term::Int(n)
    }
    fn bigint(n: BigInt) -> Self {
        Term::from_bigint(n)
    }
    fn float(f: f64) -> Self {
        Term::Float(f)
    }
    fn binary(bytes: Vec<u8>) -> Self {
        Term::Binary(bytes)
    }
    fn list(items: Vec<Self>) -> Self {
        Term::List(items)
    }
    fn tuple(items: Vec<Self>) -> Self {
        Term::Tuple(items)
    }
    fn map(pairs: Vec<(Self, Self)>) -> Self {
        Term::Map(pairs)
    }
}

/// A term read and checked, then dropped: a zero-sized build, so the containers the decoder
/// opens for it hold nothing and allocate nothing.
struct Skipped;

impl Build for Skipped {
    const READS_BERT: bool = true;
    fn dict(_: Vec<(Self, Self)>) -> Self {
        Skipped
    }
    fn nil() -> Self {
        Skipped
    }
    fn boolean(_: bool) -> Self {
        Skipped
    }
    fn atom(_: Atom) -> Self {
        Skipped
    }
    fn int(_: i64) -> Self {
        Skipped
    }
    fn bigint(_: BigInt) -> Self {
        Skipped
    }
    fn float(_: f64) -> Self {
        Skipped
    }
    fn binary(_: Vec<u8>) -> Self {
        Skipped
    }
    fn list(_: Vec<Self>) -> Self {
        Skipped
    }
    fn tuple(_: Vec<Self>) -> Self {
        Skipped
    }
    fn map(_: Vec<(Self, Self)>) -> Self {
        Skipped
    }
}
