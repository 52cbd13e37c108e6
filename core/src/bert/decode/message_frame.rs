//! A message frame in the layout every DripDrop node and the Ruby gem write, read without
//! building the outer dict: `{bert, dict, [{name, <<N>>}, {head, H}, {body, B}]}`.
//!
//! Receivers decode one of these per message, and the envelope (a tuple, a list, three field
//! tuples and their atoms) is fixed bytes, so matching it beats building and taking apart a
//! three-entry `Value::Dict`. Anything else returns `None` and the caller reads the frame the
//! generic way, so the result of a frame never depends on which path read it: the fast path
//! claims the same elements and counts the same depth as the generic one.

use super::super::error::DecodeErrorKind as Kind;
use super::super::limits::DecodeLimits;
use super::super::tag;
use super::super::value::Value;
use super::cursor::{Decoder, Result};

/// Wire levels around head and body: the frame's tuple, its list and the field's tuple.
const FIELD_DEPTH: usize = 3;

/// A message frame's fields, as read from the wire.
pub(crate) struct MessageFields<'a> {
    /// The name's bytes (not yet checked as UTF-8), in the frame.
    pub name: &'a [u8],
    /// The head (not yet checked to be a dict).
    pub head: Value,
    /// The body.
    pub body: Value,
}

/// Reads a frame in the canonical message layout; `Ok(None)` when it has any other layout.
/// An `Err` is a real decode error of the frame (the generic path would fail too).
pub(crate) fn decode_message_fields<'a>(
    bytes: &'a [u8],
    limits: &DecodeLimits,
) -> Result<Option<MessageFields<'a>>> {
    let mut decoder = Decoder::new(bytes, limits);
    if bytes.len() > limits.max_input_bytes
        || decoder.max_depth < FIELD_DEPTH
        || bytes.first() != Some(&tag::VERSION)
        || !bytes[1..].starts_with(&tag::MESSAGE_ENVELOPE)
    {
        return Ok(None);
    }
    decoder.pos = 1 + tag::MESSAGE_ENVELOPE.len();
    // What the generic path claims for the envelope: the tuple's 3, the list's 3.
    decoder.claim("tuple", 3, 1, 1)?;
    decoder.claim("list", 3, 1, 1 + tag::MESSAGE_ENVELOPE.len() - 5)?;

    let Some(()) = decoder.field(b"name")? else {
        return Ok(None);
    };
    if decoder.input_rest().first() != Some(&tag::BINARY) {
        return Ok(None);
    }
    decoder.pos += 1;
    let len = decoder.u32()? as usize;
    let name = decoder.take(len)?;

    let Some(()) = decoder.field(b"head")? else {
        return Ok(None);
    };
    let head = decoder.nested_term(FIELD_DEPTH)?;
    let Some(()) = decoder.field(b"body")? else {
        return Ok(None);
    };
    let body = decoder.nested_term(FIELD_DEPTH)?;

    let tail_at = decoder.pos;
    if decoder.u8()? != tag::NIL {
        return decoder.fail(tail_at, Kind::ImproperList);
    }
    if decoder.remaining() != 0 {
        let count = decoder.remaining();
        return decoder.fail(decoder.pos, Kind::TrailingBytes { count });
    }
    Ok(Some(MessageFields { name, head, body }))
}

impl Decoder<'_> {
    /// Consumes `{<field>, ` (a 2-tuple and the field's atom); `None` if something else is next.
    fn field(&mut self, name: &[u8; 4]) -> Result<Option<()>> {
        let expected = tag::message_field(name);
        if !self.input_rest().starts_with(&expected) {
            return Ok(None);
        }
        let at = self.pos;
        self.pos += expected.len();
        self.claim("tuple", 2, 1, at)?;
        Ok(Some(()))
    }

    /// Reads one term that sits `levels` wire levels deep, within the same depth limit.
    fn nested_term(&mut self, levels: usize) -> Result<Value> {
        // A binary body, the commonest, is read without the nesting machinery.
        if self.input_rest().first() == Some(&tag::BINARY) {
            self.pos += 1;
            let len = self.u32()? as usize;
            return Ok(Value::Binary(self.take(len)?.to_vec()));
        }
        let max_depth = self.max_depth;
        self.max_depth -= levels;
        // A head is a dict of leaves (`{"seq": 1}`, or empty), almost always.
        let term = match self.flat_dict() {
            Some(dict) => Ok(dict),
            None => self.term(),
        };
        self.max_depth = max_depth;
        term
    }
}
