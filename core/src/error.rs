//! The crate's error type: one enum every skin maps to its own exceptions.

use crate::bert::{DecodeError, EncodeError, Value};

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
    /// A frame received on a route could not be read; the route and the loop go on.
    #[error("route {route}: {source}")]
    Receive {
        route: String,
        #[source]
        source: Box<Error>,
    },
    /// ZeroMQ refused an operation (bad address, unsupported option...).
    #[error("{context}: {message}")]
    Zmq { context: String, message: String },
    /// A route's send queue, or a worker pool's pending queue, is full: the message or task
    /// was not accepted. Retry after the peer catches up (nothing accepted earlier is lost).
    /// `route` names the route or the pool.
    #[error("{route}: backpressure: queue full ({bound} waiting)")]
    Backpressure { route: String, bound: usize },
    /// No route has this name.
    #[error("no route named {0:?}")]
    NoSuchRoute(String),
    /// A route of this name already exists.
    #[error("a route named {0:?} already exists")]
    DuplicateRoute(String),
    /// The operation does not fit the route's kind (sending on a pull route...).
    #[error("route {route} ({kind}): {what}")]
    WrongKind {
        route: String,
        kind: &'static str,
        what: &'static str,
    },
    /// Bad arguments: an empty address list, a bad topic regex...
    #[error("{0}")]
    InvalidArgument(String),
    /// A request got no reply within its timeout.
    #[error("route {route}: no reply within {timeout_ms} ms")]
    Timeout { route: String, timeout_ms: u64 },
    /// The peer answered a request with an error (`dripdrop.error`), or a task failed on its
    /// worker: the remote class, message and backtrace (empty when the peer sent none).
    #[error("remote {class}: {message}")]
    Remote {
        class: String,
        message: String,
        backtrace: Vec<String>,
    },
    /// No worker pool has this name.
    #[error("no worker pool named {0:?}")]
    NoSuchPool(String),
    /// A task did not finish within its deadline; it will not be run again.
    #[error("pool {pool}: task {task} ({id}) did not finish within {timeout_ms} ms")]
    TaskTimeout {
        pool: String,
        task: String,
        id: u64,
        timeout_ms: u64,
    },
    /// The caller cancelled the task before it finished.
    #[error("pool {pool}: task {task} ({id}) was cancelled")]
    Cancelled { pool: String, task: String, id: u64 },
    /// The task's worker died under it `attempts` times: it is quarantined as poison and
    /// not run again.
    #[error(
        "pool {pool}: task {task} ({id}) lost its worker {attempts} times; quarantined as poison"
    )]
    WorkerLost {
        pool: String,
        task: String,
        id: u64,
        attempts: u32,
    },
    /// No connected worker announced this task for as long as the pool waits for one.
    #[error("pool {pool}: no worker can run task {task} (waited {waited_ms} ms)")]
    NoWorkerForTask {
        pool: String,
        task: String,
        waited_ms: u64,
    },
    /// A callback panicked or raised; the loop goes on.
    #[error("error in {context}: {message}")]
    Callback { context: String, message: String },
    /// The node stopped before the operation could complete.
    #[error("the node has stopped")]
    Stopped,
}

impl Error {
    /// The name every host skin gives this kind of error (`DripDrop::DecodeError` in Ruby,
    /// `dripdrop.DecodeError` in Python), so the skins agree on one list.
    pub fn class_name(&self) -> &'static str {
        match self {
            Error::Decode(_) | Error::Receive { .. } => "DecodeError",
            Error::Encode(_) => "EncodeError",
            Error::Message(_) => "MessageError",
            Error::Zmq { .. } => "ZmqError",
            Error::Backpressure { .. } => "Backpressure",
            Error::NoSuchRoute(_) | Error::NoSuchPool(_) => "NoSuchRoute",
            Error::DuplicateRoute(_) | Error::WrongKind { .. } => "RouteError",
            Error::InvalidArgument(_) => "InvalidArgument",
            Error::Timeout { .. } | Error::TaskTimeout { .. } => "TimeoutError",
            Error::Remote { .. } => "RemoteError",
            Error::Callback { .. } => "CallbackError",
            Error::Stopped => "Stopped",
            Error::Cancelled { .. } => "Cancelled",
            Error::WorkerLost { .. } => "WorkerLost",
            Error::NoWorkerForTask { .. } => "NoWorkerForTask",
        }
    }

    pub(crate) fn zmq(context: impl Into<String>, e: zmq::Error) -> Self {
        Error::Zmq {
            context: context.into(),
            message: e.message().to_owned(),
        }
    }
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

/// The lines of a backtrace sent as a list of strings (what else is in the list is skipped).
pub(crate) fn backtrace_lines(lines: &Value) -> Vec<String> {
    match lines {
        Value::List(lines) => lines
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}
