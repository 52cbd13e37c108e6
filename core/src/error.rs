//! The crate's error type: one enum every skin maps to its own exceptions.

use crate::bert::{DecodeError, EncodeError};

/// Any DripDrop error.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Error {
    /// A frame could not be read.
    #[error("decode error: {0}")]
    Decode(#[from] DecodeError),
    /// A value could not be written.
    #[error("encode error: {0}")]
    Encode(#[from] EncodeError),
    /// A frame or value is not a valid message.
    #[error("invalid message: {0}")]
    Message(#[from] MessageError),
}

/// Why a value is not a valid message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("message name is empty")]
    EmptyName,
    #[error("message name contains a NUL byte")]
    NameHasNul,
    #[error("message name is not valid UTF-8")]
    NameNotUtf8,
    #[error("message name is a {0}, expected a binary or atom")]
    NameNotText(&'static str),
    #[error("message has no name")]
    MissingName,
    #[error("message head is a {0}, expected a dict")]
    HeadNotDict(&'static str),
    #[error("message frame holds a {0}, expected a dict of name, head and body")]
    NotADict(&'static str),
}
