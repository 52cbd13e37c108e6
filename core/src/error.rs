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
        /// The route the frame came in on.
        route: String,
        /// Why it could not be read: a decode or message error, or a wrong count of frames.
        #[source]
        source: Box<Error>,
    },
    /// ZeroMQ refused an operation (bad address, unsupported option...).
    #[error("{context}: {message}")]
    Zmq {
        /// What was being done, and on which route, pool or worker
        /// (`route jobs: bind tcp://*:2200`).
        context: String,
        /// libzmq's description of the error.
        message: String,
    },
    /// A route's send queue, or a worker pool's pending queue, is full: the message or task
    /// was not accepted. Retry after the peer catches up (nothing accepted earlier is lost).
    /// `route` names the route or the pool.
    #[error("{route}: backpressure: queue full ({bound} waiting)")]
    Backpressure {
        /// The route's name, or `pool <name>` for a pool.
        route: String,
        /// The queue's bound: how many messages or tasks it holds when full.
        bound: usize,
    },
    /// No route has this name.
    #[error("no route named {0:?}")]
    NoSuchRoute(String),
    /// A route of this name already exists.
    #[error("a route named {0:?} already exists")]
    DuplicateRoute(String),
    /// The operation does not fit the route's kind (sending on a pull route...).
    #[error("route {route} ({kind}): {what}")]
    WrongKind {
        /// The route's name.
        route: String,
        /// The route's kind, as its DripDrop name (`zmq_pull`...).
        kind: &'static str,
        /// What was refused, and why.
        what: &'static str,
    },
    /// Bad arguments: an empty address list, a bad topic regex...
    #[error("{0}")]
    InvalidArgument(String),
    /// A request got no reply within its timeout.
    #[error("route {route}: no reply within {timeout_ms} ms")]
    Timeout {
        /// The route the request went out on.
        route: String,
        /// How long the request waited, in milliseconds.
        timeout_ms: u64,
    },
    /// The peer answered a request with an error (`dripdrop.error`), or a task failed on its
    /// worker: the remote class, message and backtrace (empty when the peer sent none).
    #[error("remote {class}: {message}")]
    Remote {
        /// The remote error's class (an exception class name); empty if the peer sent none.
        class: String,
        /// The remote error's message; empty if the peer sent none.
        message: String,
        /// The remote backtrace, one line per entry.
        backtrace: Vec<String>,
    },
    /// No worker pool has this name.
    #[error("no worker pool named {0:?}")]
    NoSuchPool(String),
    /// A task did not finish within its deadline; it will not be run again.
    #[error("pool {pool}: task {task} ({id}) did not finish within {timeout_ms} ms")]
    TaskTimeout {
        /// The pool's name.
        pool: String,
        /// The task's name.
        task: String,
        /// The task's id.
        id: u64,
        /// The deadline the task had, in milliseconds.
        timeout_ms: u64,
    },
    /// The caller cancelled the task before it finished.
    #[error("pool {pool}: task {task} ({id}) was cancelled")]
    Cancelled {
        /// The pool's name.
        pool: String,
        /// The task's name.
        task: String,
        /// The task's id.
        id: u64,
    },
    /// The task's worker died under it `attempts` times: it is quarantined as poison and
    /// not run again.
    #[error(
        "pool {pool}: task {task} ({id}) lost its worker {attempts} times; quarantined as poison"
    )]
    WorkerLost {
        /// The pool's name.
        pool: String,
        /// The task's name.
        task: String,
        /// The task's id.
        id: u64,
        /// How many times a worker died while running the task.
        attempts: u32,
    },
    /// No connected worker announced this task for as long as the pool waits for one.
    #[error("pool {pool}: no worker can run task {task} (waited {waited_ms} ms)")]
    NoWorkerForTask {
        /// The pool's name.
        pool: String,
        /// The task's name.
        task: String,
        /// How long the task waited for a worker, in milliseconds.
        waited_ms: u64,
    },
    /// A callback panicked or raised; the loop goes on.
    #[error("error in {context}: {message}")]
    Callback {
        /// Which callback or operation failed (`reply callback`, `deferred operation`...).
        context: String,
        /// What went wrong (for a panic, its message).
        message: String,
    },
    /// A connection could not be made, was lost, or is closed: an http_client's refused or
    /// reset connection, a websocket_server connection sent to after it closed.
    #[error("route {route}: {message}")]
    Connection {
        /// The route the connection belongs to.
        route: String,
        /// What happened (`connection refused`, `connection 7 is closed`...).
        message: String,
    },
    /// Text that should be a JSON message (an HTTP body, a WebSocket text frame) is not one.
    #[error("invalid JSON message: {0}")]
    Json(String),
    /// A CURVE certificate or key cannot be used: a file that cannot be read or is not a
    /// certificate, a certificate without the secret key its socket needs, a connecting
    /// socket given no server key. `path` names the file (or the option) at fault.
    #[error("certificate {path}: {why}")]
    Certificate {
        /// The certificate file, directory or option at fault.
        path: String,
        /// What is wrong with it.
        why: String,
    },
    /// The node stopped before the operation could complete.
    #[error("the node has stopped")]
    Stopped,
    /// The node is running on another thread, or its loop is waiting and lends it to no
    /// callback: only its handle (`post`, `stop`) reaches it now.
    #[error("{0}")]
    WrongThread(String),
}

impl Error {
    /// The name every host skin gives this kind of error (`DripDrop::DecodeError` in Ruby,
    /// `dripdrop.DecodeError` in Python), so the skins agree on one list.
    pub fn class_name(&self) -> &'static str {
        match self {
            Error::Decode(_) | Error::Receive { .. } | Error::Json(_) => "DecodeError",
            Error::Connection { .. } => "ConnectionError",
            Error::Certificate { .. } => "CertificateError",
            Error::Encode(_) => "EncodeError",
            Error::Message(_) => "MessageError",
            Error::Zmq { .. } => "ZmqError",
            Error::Backpressure { .. } => "Backpressure",
            Error::NoSuchRoute(_) => "NoSuchRoute",
            Error::NoSuchPool(_) => "NoSuchPool",
            Error::DuplicateRoute(_) | Error::WrongKind { .. } => "RouteError",
            Error::InvalidArgument(_) => "InvalidArgument",
            Error::Timeout { .. } | Error::TaskTimeout { .. } => "TimeoutError",
            Error::Remote { .. } => "RemoteError",
            Error::Callback { .. } => "CallbackError",
            Error::Stopped => "Stopped",
            Error::WrongThread(_) => "WrongThread",
            Error::Cancelled { .. } => "Cancelled",
            Error::WorkerLost { .. } => "WorkerLost",
            Error::NoWorkerForTask { .. } => "NoWorkerForTask",
        }
    }

    /// libzmq's error number `errno` as an error, with libzmq's own words for it. Unlike
    /// `zmq::Error::from_raw`, which panics on a number the `zmq` crate does not list, any
    /// number is fine.
    pub(crate) fn zmq_errno(context: impl Into<String>, errno: i32) -> Self {
        // SAFETY: zmq_strerror returns a static, NUL-terminated string for any number.
        let text = unsafe { std::ffi::CStr::from_ptr(zmq_sys::zmq_strerror(errno)) };
        Error::Zmq {
            context: context.into(),
            message: text.to_string_lossy().into_owned(),
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
    /// The name is the empty string.
    #[error("message name is empty")]
    EmptyName,
    /// The name holds a NUL byte, which C strings cannot carry.
    #[error("message name contains a NUL byte")]
    NameHasNul,
    /// The name read from a frame or dict is a binary that is not UTF-8.
    #[error("message name is not valid UTF-8")]
    NameNotUtf8,
    /// The name is neither a binary nor an atom; holds the kind it is (`integer`, `list`...).
    #[error("message name is a {0}, expected a binary or atom")]
    NameNotText(&'static str),
    /// The dict has no `name` entry.
    #[error("message has no name")]
    MissingName,
    /// The head is not a dict; holds the kind it is.
    #[error("message head is a {0}, expected a dict")]
    HeadNotDict(&'static str),
    /// The value to read a message from is not a dict; holds the kind it is.
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
