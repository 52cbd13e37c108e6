//! Typed errors of the codec: where a frame went wrong, or which value could not be written.

use std::fmt;

/// A frame that could not be decoded: the byte offset and what was wrong there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("at byte {offset}: {kind}")]
pub struct DecodeError {
    pub offset: usize,
    pub kind: DecodeErrorKind,
}

/// What was wrong with a frame.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeErrorKind {
    #[error("empty input")]
    Empty,
    #[error("version byte is {0}, expected 131")]
    BadVersion(u8),
    #[error("input ends early: {needed} more byte(s) needed")]
    UnexpectedEnd { needed: usize },
    #[error("{count} byte(s) after the end of the term")]
    TrailingBytes { count: usize },
    #[error("input of {len} bytes exceeds the limit of {max}")]
    InputTooLarge { len: usize, max: usize },
    #[error("unsupported term: {name} (tag {tag})")]
    UnsupportedTag { tag: u8, name: &'static str },
    #[error("unknown tag {0}")]
    UnknownTag(u8),
    #[error("nesting deeper than {max}")]
    TooDeep { max: usize },
    #[error("{what} of {count} elements exceeds the {remaining} bytes left in the input")]
    CountExceedsInput {
        what: &'static str,
        count: u64,
        remaining: usize,
    },
    #[error("more than {max} terms in one frame")]
    TooManyElements { max: usize },
    #[error("big integer of {len} bytes exceeds the limit of {max}")]
    BigIntTooLarge { len: usize, max: usize },
    #[error("big integer sign byte is {0}, expected 0 or 1")]
    BadBigIntSign(u8),
    #[error("float text {0:?} is not a finite number")]
    BadFloat(String),
    #[error("atom is not valid UTF-8")]
    AtomNotUtf8,
    #[error("improper list (tail is not [])")]
    ImproperList,
}

/// A value that cannot be written as BERT, with the path to it (e.g. `body.items[3]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodeError {
    path: Vec<PathSegment>,
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
    #[error("float {0} is not finite (Erlang has no NaN or infinity)")]
    NonFiniteFloat(String),
    #[error("atom {0:?} has characters outside Latin-1, which BERT 1.0 atoms cannot carry")]
    AtomNotLatin1(String),
    #[error("atom of {0} characters is longer than 255")]
    AtomTooLong(usize),
    #[error("{what} of {len} exceeds the format's 32-bit length")]
    TooLong { what: &'static str, len: usize },
    #[error("nesting deeper than {max}")]
    TooDeep { max: usize },
    #[error(
        "tuple {{bert, {0}, ...}} would be read back as a BERT {0}; use the Value variant instead"
    )]
    ReservedTuple(String),
}
