//! Typed errors of the codec: where a frame went wrong, or which value could not be written.

use std::fmt;

/// A frame that could not be decoded: the byte offset and what was wrong there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("at byte {offset}: {kind}")]
pub struct DecodeError {
    /// Where in the input the fault was found, counted from 0 (the input's length when it
    /// ended early).
    pub offset: usize,
    /// What was wrong there.
    pub kind: DecodeErrorKind,
}

/// What was wrong with a frame.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeErrorKind {
    /// The input has no bytes at all.
    #[error("empty input")]
    Empty,
    /// The first byte is not the format's version, 131; holds the byte.
    #[error("version byte is {0}, expected 131")]
    BadVersion(u8),
    /// The input ends in the middle of a term.
    #[error("input ends early: {needed} more byte(s) needed")]
    UnexpectedEnd {
        /// Bytes missing for the read that failed.
        needed: usize,
    },
    /// Bytes follow the frame's one term.
    #[error("{count} byte(s) after the end of the term")]
    TrailingBytes {
        /// How many bytes follow it.
        count: usize,
    },
    /// The input is longer than
    /// [`DecodeLimits::max_input_bytes`](super::DecodeLimits::max_input_bytes).
    #[error("input of {len} bytes exceeds the limit of {max}")]
    InputTooLarge {
        /// The input's length, in bytes.
        len: usize,
        /// The limit, in bytes.
        max: usize,
    },
    /// A term DripDrop refuses to read: a pid, port, reference, fun, compressed term...
    #[error("unsupported term: {name} (tag {tag})")]
    UnsupportedTag {
        /// The tag byte.
        tag: u8,
        /// What the tag stands for (`pid`, `compressed term`...).
        name: &'static str,
    },
    /// A tag byte the decoder does not know; holds the byte.
    #[error("unknown tag {0}")]
    UnknownTag(u8),
    /// Lists, tuples and maps nested deeper than the depth limit.
    #[error("nesting deeper than {max}")]
    TooDeep {
        /// The depth limit in force.
        max: usize,
    },
    /// A list, tuple, map or string declares more elements than the rest of the input could
    /// hold; refused before anything is allocated for them.
    #[error("{what} of {count} elements exceeds the {remaining} bytes left in the input")]
    CountExceedsInput {
        /// The kind of container: `list`, `tuple`, `map` or `string`.
        what: &'static str,
        /// The element count it declares.
        count: u64,
        /// Bytes left in the input at that point.
        remaining: usize,
    },
    /// The frame holds more terms than
    /// [`DecodeLimits::max_elements`](super::DecodeLimits::max_elements).
    #[error("more than {max} terms in one frame")]
    TooManyElements {
        /// The limit.
        max: usize,
    },
    /// A big integer's magnitude is longer than
    /// [`DecodeLimits::max_bigint_bytes`](super::DecodeLimits::max_bigint_bytes).
    #[error("big integer of {len} bytes exceeds the limit of {max}")]
    BigIntTooLarge {
        /// The magnitude's length, in bytes.
        len: usize,
        /// The limit, in bytes.
        max: usize,
    },
    /// A big integer's sign byte is neither 0 nor 1; holds the byte.
    #[error("big integer sign byte is {0}, expected 0 or 1")]
    BadBigIntSign(u8),
    /// A float that is not a finite number: FLOAT_EXT text that does not parse to one, or a
    /// NEW_FLOAT_EXT NaN or infinity; holds the text, or the value as Rust prints it.
    #[error("float text {0:?} is not a finite number")]
    BadFloat(String),
    /// An atom tagged as UTF-8 whose bytes are not UTF-8.
    #[error("atom is not valid UTF-8")]
    AtomNotUtf8,
    /// A list whose tail is not `[]`, which neither a `Value` nor a `Term` can hold.
    #[error("improper list (tail is not [])")]
    ImproperList,
}

/// A value that cannot be written as BERT, with the path to it (e.g. `body.items[3]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodeError {
    path: Vec<PathSegment>,
    /// Why the value cannot be written.
    pub kind: EncodeErrorKind,
}

impl EncodeError {
    pub(crate) fn new(kind: EncodeErrorKind) -> Self {
        EncodeError {
            path: Vec::new(),
            kind,
        }
    }

    /// Adds the segment leading to the failed value; called while unwinding, so segments
    /// arrive innermost first and are reversed when shown.
    pub(crate) fn within(mut self, segment: PathSegment) -> Self {
        self.path.push(segment);
        self
    }

    /// The path from the encoded root to the value that failed, e.g. `body.items[3]`;
    /// empty when the root itself failed.
    pub fn path(&self) -> String {
        let mut out = String::new();
        for segment in self.path.iter().rev() {
            match segment {
                PathSegment::Field(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                }
                PathSegment::Index(i) => out.push_str(&format!("[{i}]")),
                PathSegment::KeyOf(i) => out.push_str(&format!("<key {i}>")),
            }
        }
        out
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path();
        if path.is_empty() {
            write!(f, "cannot encode value: {}", self.kind)
        } else {
            write!(f, "cannot encode {path}: {}", self.kind)
        }
    }
}

impl std::error::Error for EncodeError {}

/// One step of an [`EncodeError`] path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PathSegment {
    /// A dict entry reached by a text key, or a message field.
    Field(String),
    /// An element of a list or tuple, or a dict entry whose key is not text.
    Index(usize),
    /// The key of the n-th dict entry.
    KeyOf(usize),
}

/// Why a value cannot be written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncodeErrorKind {
    /// A NaN or infinite float, which Erlang cannot hold; holds the float as Rust prints it.
    #[error("float {0} is not finite (Erlang has no NaN or infinity)")]
    NonFiniteFloat(String),
    /// An atom with a character above U+00FF, which ATOM_EXT (the one atom tag written for a
    /// `Value`) cannot carry; holds the atom's name.
    #[error("atom {0:?} has characters outside Latin-1, which BERT 1.0 atoms cannot carry")]
    AtomNotLatin1(String),
    /// An atom of more than 255 characters; holds its length in characters.
    #[error("atom of {0} characters is longer than 255")]
    AtomTooLong(usize),
    /// A binary, list, tuple, map or big integer too long for the format's 32-bit length.
    #[error("{what} of {len} exceeds the format's 32-bit length")]
    TooLong {
        /// What was too long: `binary`, `list`, `tuple`, `map` or `big integer`.
        what: &'static str,
        /// Its length: bytes for a binary or big integer, elements for a list or tuple, pairs
        /// for a map.
        len: usize,
    },
    /// Nesting deeper than [`HARD_MAX_DEPTH`](super::HARD_MAX_DEPTH) wire levels.
    #[error("nesting deeper than {max}")]
    TooDeep {
        /// The limit, [`HARD_MAX_DEPTH`](super::HARD_MAX_DEPTH).
        max: usize,
    },
    /// A `Value::Tuple` shaped like one of BERT's complex types (`{bert, nil}`,
    /// `{bert, dict, [...]}`...), which would decode as that type instead; holds the type's
    /// name.
    #[error(
        "tuple {{bert, {0}, ...}} would be read back as a BERT {0}; use the Value variant instead"
    )]
    ReservedTuple(String),
}
