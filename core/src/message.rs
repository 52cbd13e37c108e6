//! `Message { name, head, body }`: the unit every route sends and receives.
//!
//! On the wire a message is the BERT dict `{bert, dict, [{name, Name}, {head, Head},
//! {body, Body}]}`: byte for byte what the Ruby `bert` gem writes for
//! `BERT.encode({:name => name, :head => head, :body => body})`, except the text of floats (the
//! gem writes 16 significant digits, which do not always round-trip; we write 21).

use crate::bert::{self, DecodeLimits, MessageFields, PathSegment, Value};
use crate::error::{Error, MessageError};
use compact_str::CompactString;

/// A named message with a head (a dict of metadata) and a body (any value).
///
/// ```
/// use dripdrop::{Message, Value};
///
/// let msg = Message::new("ping")?
///     .with_head_entry("reply_to", "pong")
///     .with_body(Value::Int(42));
/// let back = Message::decode(&msg.encode()?)?;
/// assert_eq!(back, msg);
/// assert_eq!(back.head_get("reply_to").and_then(Value::as_str), Some("pong"));
/// # Ok::<(), dripdrop::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// Held inline when short (most names are), so a decoded message's name costs no
    /// allocation.
    name: CompactString,
    head: Vec<(Value, Value)>,
    body: Value,
}

/// Checks a message name: non-empty UTF-8 without NUL bytes.
fn check_name(name: &str) -> Result<(), MessageError> {
    if name.is_empty() {
        return Err(MessageError::EmptyName);
    }
    if name.contains('\0') {
        return Err(MessageError::NameHasNul);
    }
    Ok(())
}

impl Message {
    /// A message with an empty head and a nil body.
    pub fn new(name: impl Into<String>) -> Result<Self, Error> {
        let name = name.into();
        check_name(&name)?;
        Ok(Message {
            name: CompactString::from(name),
            head: Vec::new(),
            body: Value::Nil,
        })
    }

    /// Replaces the head; it must be a `Value::Dict` (a Ruby Hash, a Python dict).
    pub fn with_head(mut self, head: Value) -> Result<Self, Error> {
        self.set_head(head)?;
        Ok(self)
    }

    /// Adds one head entry with a text key.
    pub fn with_head_entry(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.head.push((Value::from(key), value.into()));
        self
    }

    /// Replaces the body.
    pub fn with_body(mut self, body: impl Into<Value>) -> Self {
        self.body = body.into();
        self
    }

    /// The message's name: non-empty UTF-8 without NUL bytes.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The head's entries, in order.
    pub fn head(&self) -> &[(Value, Value)] {
        &self.head
    }

    /// The body; nil unless one was given.
    pub fn body(&self) -> &Value {
        &self.body
    }

    /// The head entry under a text (binary or atom) key.
    pub fn head_get(&self, key: &str) -> Option<&Value> {
        bert::dict_get(&self.head, key)
    }

    /// Replaces the head; it must be a `Value::Dict`.
    pub fn set_head(&mut self, head: Value) -> Result<(), Error> {
        match head {
            Value::Dict(pairs) => {
                self.head = pairs;
                Ok(())
            }
            other => Err(MessageError::HeadNotDict(kind_name(&other)).into()),
        }
    }

    /// Replaces the body.
    pub fn set_body(&mut self, body: impl Into<Value>) {
        self.body = body.into();
    }

    /// Takes the message apart into name, head entries and body.
    pub fn into_parts(self) -> (String, Vec<(Value, Value)>, Value) {
        (self.name.into_string(), self.head, self.body)
    }

    /// The BERT frame of this message. Fails only for a body or head the format cannot carry
    /// (a NaN, an atom outside Latin-1...), naming the path to it, e.g. `body.items[3]`.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        // Room for the frame's fixed part and a small body without regrowing.
        let mut out = Vec::with_capacity(128 + self.name.len());
        self.encode_into(&mut out)?;
        Ok(out)
    }

    /// Appends this message's BERT frame to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        // The path is built only when there is an error to name.
        let in_field = |name: &'static str| {
            move |e: bert::EncodeError| e.within(PathSegment::Field(name.to_owned()))
        };
        // {bert, dict, [{name, N}, {head, H}, {body, B}]}, written without building a Value;
        // the envelope and field names are fixed bytes.
        out.push(bert::tag::VERSION);
        out.extend_from_slice(&bert::tag::MESSAGE_ENVELOPE);
        out.extend_from_slice(&bert::tag::message_field(b"name"));
        bert::write_binary(out, self.name.as_bytes())
            .map_err(bert::EncodeError::new)
            .map_err(in_field("name"))?;
        // Head and body sit inside the frame's tuple, list and field tuple.
        const FIELD_DEPTH: usize = 3;
        out.extend_from_slice(&bert::tag::message_field(b"head"));
        bert::write_dict(out, &self.head, FIELD_DEPTH).map_err(in_field("head"))?;
        out.extend_from_slice(&bert::tag::message_field(b"body"));
        bert::write_value(out, &self.body, FIELD_DEPTH).map_err(in_field("body"))?;
        out.push(bert::tag::NIL);
        Ok(())
    }

    /// Reads a message frame with the default decode limits.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        Self::decode_with_limits(bytes, &DecodeLimits::DEFAULT)
    }

    /// Reads a message frame within `limits`.
    pub fn decode_with_limits(bytes: &[u8], limits: &DecodeLimits) -> Result<Self, Error> {
        // Frames in the usual layout skip the outer dict; any other frame, and any frame the
        // fast path fails on, is read the generic way, which also words the error.
        if let Ok(Some(fields)) = bert::decode_message_fields(bytes, limits) {
            let MessageFields { name, head, body } = fields;
            let name = std::str::from_utf8(name).map_err(|_| MessageError::NameNotUtf8)?;
            return Self::assemble(CompactString::from(name), Some(head), Some(body));
        }
        Self::from_value(bert::decode_with_limits(bytes, limits)?)
    }

    /// The message as a JSON object, `{"name": …, "head": {…}, "body": …}`, as the HTTP
    /// and WebSocket routes send it. Every value has a JSON form that reads back as itself
    /// (docs/design.md, "Values"); a time beyond year 9999 has none and is an error.
    pub fn to_json(&self) -> Result<Vec<u8>, Error> {
        crate::route::json::encode_message(self)
    }

    /// Reads a message from a JSON object (`head` and `body` may be left out), within
    /// `limits`: its bytes, nesting, number of values and the digits of big integers.
    pub fn from_json(bytes: &[u8], limits: &DecodeLimits) -> Result<Message, Error> {
        crate::route::json::decode_message(bytes, limits)
    }

    /// The message as one dict value `{name, head, body}` (the original gem's `to_hash`).
    pub fn to_value(&self) -> Value {
        Value::Dict(vec![
            (Value::atom("name"), Value::from(self.name.as_str())),
            (Value::atom("head"), Value::Dict(self.head.clone())),
            (Value::atom("body"), self.body.clone()),
        ])
    }

    /// Reads a message from a dict with `name`, `head` and `body` keys, as atoms or binaries
    /// (the original gem's `from_hash`). A missing or nil head is empty; a missing body is nil.
    pub fn from_value(value: Value) -> Result<Self, Error> {
        let Value::Dict(pairs) = value else {
            return Err(MessageError::NotADict(kind_name(&value)).into());
        };
        let (mut name, mut head, mut body) = (None, None, None);
        for (key, value) in pairs {
            let slot = match &key {
                Value::Atom(a) => a.as_str().as_bytes(),
                Value::Binary(b) => b.as_slice(),
                _ => continue,
            };
            match slot {
                b"name" => name = Some(value),
                b"head" => head = Some(value),
                b"body" => body = Some(value),
                _ => {}
            }
        }
        Self::from_fields(name, head, body)
    }

    /// Checks and assembles the fields of a message read from the wire or a dict.
    fn from_fields(
        name: Option<Value>,
        head: Option<Value>,
        body: Option<Value>,
    ) -> Result<Self, Error> {
        let name = match name {
            Some(Value::Binary(bytes)) => {
                String::from_utf8(bytes).map_err(|_| MessageError::NameNotUtf8)?
            }
            Some(Value::Atom(a)) => a.as_str().to_owned(),
            Some(other) => return Err(MessageError::NameNotText(kind_name(&other)).into()),
            None => return Err(MessageError::MissingName.into()),
        };
        Self::assemble(CompactString::from(name), head, body)
    }

    /// Checks the name and the head, and puts the message together.
    fn assemble(
        name: CompactString,
        head: Option<Value>,
        body: Option<Value>,
    ) -> Result<Self, Error> {
        check_name(&name)?;
        let head = match head {
            None | Some(Value::Nil) => Vec::new(),
            Some(Value::Dict(pairs)) => pairs,
            // An empty Erlang proplist and an empty dict look alike to some writers.
            Some(Value::List(items)) if items.is_empty() => Vec::new(),
            Some(other) => return Err(MessageError::HeadNotDict(kind_name(&other)).into()),
        };
        Ok(Message {
            name,
            head,
            body: body.unwrap_or(Value::Nil),
        })
    }
}

/// A short name of a value's kind, for error messages.
pub(crate) fn kind_name(value: &Value) -> &'static str {
    match value {
        Value::Nil => "nil",
        Value::Bool(_) => "boolean",
        Value::Int(_) | Value::BigInt(_) => "integer",
        Value::Float(_) => "float",
        Value::Binary(_) => "binary",
        Value::Atom(_) => "atom",
        Value::List(_) => "list",
        Value::Tuple(_) => "tuple",
        Value::Dict(_) => "dict",
        Value::Time(_) => "time",
        Value::Regex(_) => "regex",
    }
}
