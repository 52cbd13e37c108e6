#![warn(missing_docs)]
//! DripDrop: message-passing apps on ZeroMQ with one message format (BERT).
//!
//! This crate is the engine every skin (C, Ruby, Python) drives: the [`bert`] codec and
//! [`Message`], and a [`Node`] running named routes over ZeroMQ sockets, timers and a local
//! `defer` pool on one reactor loop.

pub mod bert;
mod context;
mod control;
mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod message;
mod monitor;
mod node;
mod panic_message;
pub mod pool;
mod reactor;
mod route;
pub mod security;
mod service;
mod settings;
#[cfg(test)]
mod test_env;
mod threads;

pub use bert::{Atom, DecodeLimits, Value};
pub use control::host_name;
pub use error::{Error, MessageError};
pub use message::Message;
pub use node::{
    Connection, HostedNode, Lender, Node, NodeHandle, NodeOptions, PoolRef, Response, TaskOptions,
    DEFER_THREADS,
};
pub use panic_message::panic_message;
pub use pool::{
    Placement, PoolOptions, TaskContext, TaskError, TaskResult, Worker, WorkerHandle, WorkerOptions,
};
pub use reactor::TimerId;
pub use route::{Mode, MsgFormat, Route, RouteKind, RouteOptions, RouteStats, TopicFilter};
pub use security::{Certificate, Curve, CurveOption};
