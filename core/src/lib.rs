//! DripDrop: message-passing apps on ZeroMQ with one message format (BERT).
//!
//! This crate is the engine every skin (C, Ruby, Python) drives. So far it holds the
//! [`bert`] codec and [`Message`]; the reactor and the worker pool build on them.

pub mod bert;
mod error;
mod message;

pub use bert::{Atom, DecodeLimits, Value};
pub use error::{Error, MessageError};
pub use message::Message;
