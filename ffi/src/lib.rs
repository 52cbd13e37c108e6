//! The C ABI of DripDrop: `libdripdrop` (cdylib and staticlib) and `include/dripdrop.h`,
//! generated from this crate by cbindgen (`tools/header`).
//!
//! Conventions (the header's preamble says them to C programmers):
//! - Opaque handles; each kind has a `dd_<noun>_free`, and freeing NULL does nothing.
//! - Every fallible call returns a `dd_status` (0 is `DD_OK`) and writes its outputs only on
//!   success; `dd_last_error_message()` says what went wrong, per thread.
//! - No panic crosses the boundary: every exported body runs inside `guard`.
//! - Callbacks take `void *userdata` first; `userdata_free`, if given, is called exactly once
//!   when the callback goes away.

#![warn(missing_docs)]
#![allow(non_camel_case_types)]
// Every pointer argument is checked for NULL and documented; the functions are `unsafe` in
// spirit but exported as plain `extern "C"` so C callers see ordinary prototypes.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

mod bytes;
mod callback;
mod error;
mod message;
mod node;
mod pool;
mod status;
mod timers;
mod value;
mod worker;

pub use bytes::*;
pub use error::*;
pub use message::*;
pub use node::*;
pub use pool::*;
pub use status::*;
pub use timers::*;
pub use value::*;
pub use worker::*;
