//! The safe decoder: bytes from peers to `Value` (BERT) or `Term` (raw Erlang).
//!
//! Every length read from the input is checked against the bytes that remain and against the
//! element budget before anything is allocated for it, nesting is bounded, and every failure
//! is a [`DecodeError`] naming the byte offset. No input makes it panic, abort or allocate
//! more than a small multiple of the input's own size.

use super::complex;
use super::error::{DecodeError, DecodeErrorKind as Kind};
use super::limits::DecodeLimits;
use super::tag;
use super::term::Term;
use super::value::{Atom, Value};
use num_bigint::{BigInt, Sign};

/// Decodes one BERT frame into a [`Value`] with the default limits.
pub fn decode(bytes: &[u8]) -> Result<Value> {
    decode_with_limits(bytes, &DecodeLimits::DEFAULT)
}

/// Decodes one BERT frame into a [`Value`] within `limits`.
pub fn decode_with_limits(bytes: &[u8], limits: &DecodeLimits) -> Result<Value> {
    Decoder::new(bytes, limits).frame()
}

/// Decodes one frame into a raw Erlang [`Term`], leaving `{bert, ...}` tuples as they are.
pub fn decode_term(bytes: &[u8], limits: &DecodeLimits) -> Result<Term> {
    Decoder::new(bytes, limits).frame()
}

/// How the decoder assembles what it reads; `Value` reads BERT's complex types, `Term` does not.
pub(crate) trait Build: Sized {
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

enum Shape {
    List,
    Tuple,
    Map,
}

/// A container whose elements are being read.
struct Open<B> {
    shape: Shape,
    items: Vec<B>,
    /// Elements still to read (keys and values count separately in a map).
    left: usize,
}

impl<B> Open<B> {
    /// `count` entries were checked by `claim` against the input, so allocating them is bounded.
    fn new(shape: Shape, count: usize, terms: usize) -> Self {
        let capacity = match shape {
            Shape::Map => terms,
            _ => count,
        };
        Open {
            shape,
            items: Vec::with_capacity(capacity),
            left: terms,
        }
    }

    fn push(&mut self, term: B) {
        self.items.push(term);
        self.left -= 1;
    }
}

enum Start<B> {
    Leaf(B),
    Open(Open<B>),
}

struct Decoder<'a> {
    input: &'a [u8],
    pos: usize,
    max_depth: usize,
    max_bigint_bytes: usize,
    max_input_bytes: usize,
    elements_left: usize,
    max_elements: usize,
}

type Result<T> = std::result::Result<T, DecodeError>;

impl<'a> Decoder<'a> {
    fn new(input: &'a [u8], limits: &DecodeLimits) -> Self {
        Decoder {
            input,
            pos: 0,
            max_depth: limits.effective_depth(),
            max_bigint_bytes: limits.max_bigint_bytes,
            max_input_bytes: limits.max_input_bytes,
            elements_left: limits.max_elements,
            max_elements: limits.max_elements,
        }
    }

    fn fail<T>(&self, offset: usize, kind: Kind) -> Result<T> {
        Err(DecodeError { offset, kind })
    }

    fn frame<B: Build>(mut self) -> Result<B> {
        if self.input.len() > self.max_input_bytes {
            let (len, max) = (self.input.len(), self.max_input_bytes);
            return self.fail(0, Kind::InputTooLarge { len, max });
        }
        match self.input.first() {
            None => return self.fail(0, Kind::Empty),
            Some(&tag::VERSION) => self.pos = 1,
            Some(&other) => return self.fail(0, Kind::BadVersion(other)),
        }
        let term = self.term()?;
        if self.pos != self.input.len() {
            let count = self.input.len() - self.pos;
            return self.fail(self.pos, Kind::TrailingBytes { count });
        }
        Ok(term)
    }

    fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            let needed = n - self.remaining();
            return self.fail(self.input.len(), Kind::UnexpectedEnd { needed });
        }
        let bytes = &self.input[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    fn take_array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let bytes = self.take(N)?;
        let mut array = [0u8; N];
        array.copy_from_slice(bytes);
        Ok(array)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take_array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.take_array()?))
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.take_array()?))
    }

    /// Checks a declared element count before allocating for it: each element takes at least
    /// `min_bytes` of the input, and each counts against the frame's element budget.
    fn claim(
        &mut self,
        what: &'static str,
        count: u64,
        min_bytes: u64,
        at: usize,
    ) -> Result<usize> {
        let remaining = self.remaining();
        if count.saturating_mul(min_bytes) > remaining as u64 {
            return self.fail(
                at,
                Kind::CountExceedsInput {
                    what,
                    count,
                    remaining,
                },
            );
        }
        // Bounded by the input length just above, so it fits in usize.
        let count = count as usize;
        if count > self.elements_left {
            let max = self.max_elements;
            return self.fail(at, Kind::TooManyElements { max });
        }
        self.elements_left -= count;
        Ok(count)
    }

    /// Reads one term without recursion: containers wait on an explicit stack while their
    /// elements are read, so nesting costs heap (bounded by `max_depth`), never call stack.
    fn term<B: Build>(&mut self) -> Result<B> {
        let mut open: Vec<Open<B>> = Vec::new();
        loop {
            let at = self.pos;
            let mut done = match self.start(at)? {
                Start::Leaf(term) => term,
                Start::Open(container) => {
                    if open.len() >= self.max_depth {
                        let max = self.max_depth;
                        return self.fail(at, Kind::TooDeep { max });
                    }
                    if container.left > 0 {
                        open.push(container);
                        continue;
                    }
                    self.close(container)?
                }
            };
            // Hand the finished term to its container, closing every container it completes.
            loop {
                let Some(parent) = open.last_mut() else {
                    return Ok(done);
                };
                parent.push(done);
                if parent.left > 0 {
                    break;
                }
                let full = open.pop().expect("last_mut just returned it");
                done = self.close(full)?;
            }
        }
    }

    /// Reads a tag and either a whole leaf term or a container's header.
    fn start<B: Build>(&mut self, at: usize) -> Result<Start<B>> {
        let tag = self.u8()?;
        let leaf = match tag {
            tag::SMALL_INTEGER => B::int(i64::from(self.u8()?)),
            tag::INTEGER => B::int(i64::from(i32::from_be_bytes(self.take_array()?))),
            tag::NEW_FLOAT => {
                let f = f64::from_bits(u64::from_be_bytes(self.take_array()?));
                if !f.is_finite() {
                    return self.fail(at, Kind::BadFloat(f.to_string()));
                }
                B::float(f)
            }
            tag::FLOAT => B::float(self.float_text(at)?),
            tag::ATOM | tag::SMALL_ATOM | tag::ATOM_UTF8 | tag::SMALL_ATOM_UTF8 => {
                B::atom(self.atom(tag, at)?)
            }
            tag::BINARY => {
                let len = self.u32()? as usize;
                B::binary(self.take(len)?.to_vec())
            }
            tag::SMALL_BIG => {
                let len = usize::from(self.u8()?);
                B::bigint(self.bigint(len, at)?)
            }
            tag::LARGE_BIG => {
                let len = self.u32()? as usize;
                B::bigint(self.bigint(len, at)?)
            }
            tag::NIL => B::list(Vec::new()),
            tag::STRING => {
                let len = u64::from(self.u16()?);
                let len = self.claim("string", len, 1, at)?;
                let bytes = self.take(len)?;
                B::list(bytes.iter().map(|&b| B::int(i64::from(b))).collect())
            }
            tag::SMALL_TUPLE | tag::LARGE_TUPLE => {
                let arity = if tag == tag::SMALL_TUPLE {
                    u64::from(self.u8()?)
                } else {
                    u64::from(self.u32()?)
                };
                let arity = self.claim("tuple", arity, 1, at)?;
                return Ok(Start::Open(Open::new(Shape::Tuple, arity, arity)));
            }
            tag::LIST => {
                let len = u64::from(self.u32()?);
                let len = self.claim("list", len, 1, at)?;
                return Ok(Start::Open(Open::new(Shape::List, len, len)));
            }
            tag::MAP => {
                let arity = u64::from(self.u32()?);
                let arity = self.claim("map", arity, 2, at)?;
                return Ok(Start::Open(Open::new(Shape::Map, arity, 2 * arity)));
            }
            other => {
                return match tag::unsupported_name(other) {
                    Some(name) => self.fail(at, Kind::UnsupportedTag { tag: other, name }),
                    None => self.fail(at, Kind::UnknownTag(other)),
                }
            }
        };
        Ok(Start::Leaf(leaf))
    }

    /// Builds a container whose elements are all read; a list also reads its `[]` tail.
    fn close<B: Build>(&mut self, container: Open<B>) -> Result<B> {
        let Open { shape, items, .. } = container;
        match shape {
            Shape::Tuple => Ok(B::tuple(items)),
            Shape::List => {
                let tail_at = self.pos;
                if self.u8()? != tag::NIL {
                    return self.fail(tail_at, Kind::ImproperList);
                }
                Ok(B::list(items))
            }
            Shape::Map => {
                let mut pairs = Vec::with_capacity(items.len() / 2);
                let mut items = items.into_iter();
                while let (Some(key), Some(value)) = (items.next(), items.next()) {
                    pairs.push((key, value));
                }
                Ok(B::map(pairs))
            }
        }
    }

    fn atom(&mut self, tag: u8, at: usize) -> Result<Atom> {
        let len = match tag {
            tag::ATOM | tag::ATOM_UTF8 => usize::from(self.u16()?),
            _ => usize::from(self.u8()?),
        };
        let bytes = self.take(len)?;
        let name = match tag {
            tag::ATOM_UTF8 | tag::SMALL_ATOM_UTF8 => match std::str::from_utf8(bytes) {
                Ok(text) => text.to_owned(),
                Err(_) => return self.fail(at, Kind::AtomNotUtf8),
            },
            // ATOM_EXT and SMALL_ATOM_EXT hold Latin-1, whose bytes are the first 256 code points.
            _ if bytes.is_ascii() => String::from_utf8_lossy(bytes).into_owned(),
            _ => bytes.iter().map(|&b| char::from(b)).collect(),
        };
        Ok(Atom::new(name))
    }

    fn float_text(&mut self, at: usize) -> Result<f64> {
        let raw = self.take(31)?;
        let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
        let text = std::str::from_utf8(&raw[..end]).unwrap_or("").trim();
        // Rust's parser also takes "inf" and "NaN", which no Erlang peer writes.
        let looks_numeric = text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
        match text.parse::<f64>() {
            Ok(f) if looks_numeric && f.is_finite() => Ok(f),
            _ => {
                let shown = String::from_utf8_lossy(&raw[..end]).into_owned();
                self.fail(at, Kind::BadFloat(shown))
            }
        }
    }

    fn bigint(&mut self, len: usize, at: usize) -> Result<BigInt> {
        if len > self.max_bigint_bytes {
            let max = self.max_bigint_bytes;
            return self.fail(at, Kind::BigIntTooLarge { len, max });
        }
        let sign_at = self.pos;
        let sign = match self.u8()? {
            0 => Sign::Plus,
            1 => Sign::Minus,
            other => return self.fail(sign_at, Kind::BadBigIntSign(other)),
        };
        let magnitude = self.take(len)?;
        Ok(BigInt::from_bytes_le(sign, magnitude))
    }
}
