//! The C ABI of DripDrop: `libdripdrop` (cdylib and staticlib) and `include/dripdrop.h`,
//! generated from this crate by cbindgen (`tools/header`).
//!
//! Conventions (the header's preamble says them to C programmers):
//! - Opaque handles, each bound to its Rust type in `handle.rs` and converted only there;
//!   each kind C may own has a `dd_<noun>_free`, and freeing NULL does nothing.
//! - Every fallible call returns a `dd_status` (0 is `DD_OK`) and writes its outputs only on
//!   success; `dd_last_error_message()` says what went wrong, per thread. A value that may
//!   be absent comes as NULL (no status says "absent").
//! - A list is an array and a count. Enumerations are plain integers with named constants,
//!   checked when they come from C.
//! - No panic crosses the boundary: every exported body runs inside `guard`.
//! - Callbacks take `void *userdata` first; `userdata_free`, if given, is called exactly once
//!   when the callback goes away. A callback that gets the node gets the `dd_node *` the
//!   program knows, through which the loop's node is lent for the call.

#![warn(missing_docs)]
#![allow(non_camel_case_types)]
// Every pointer argument is checked for NULL and documented; the functions are `unsafe` in
// spirit but exported as plain `extern "C"` so C callers see ordinary prototypes.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

// Grouped in the order the header presents them (cbindgen follows the declarations).

// The boundary: handles, statuses, errors, and what callbacks carry.
mod callback;
mod guard;
mod handle;
mod status;

// Data.
mod bytes;
mod value;

mod message;

mod error;

// CURVE: the option's struct, which the options of nodes, routes, pools and workers hold.
mod curve;

// A node and its routes.
mod node;

mod route_options;

mod route;

mod frames;

mod request;

mod connection;

mod connection_routes;

// Timers, defer, errors and other threads.
mod timers;

mod defer;

mod on_error;

mod node_handle;

// Worker pools and workers.
mod task_context;

mod pool;

mod map;

mod worker;

pub use bytes::*;
pub use callback::dd_free_cb;
pub use connection::*;
pub use connection_routes::*;
pub use curve::*;
pub use defer::*;
pub use error::*;
pub use frames::*;
pub use guard::dd_last_error_message;
pub use map::*;
pub use message::*;
pub use node::*;
pub use node_handle::*;
pub use on_error::*;
pub use pool::*;
pub use request::*;
pub use route::*;
pub use route_options::*;
pub use status::*;
pub use task_context::*;
pub use timers::*;
pub use value::*;
pub use worker::*;
