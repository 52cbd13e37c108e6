//! Status codes: what every fallible call returns, their names and the class word each
//! stands for in every language.
//!
//! A status is a plain `uint32_t` with named constants, not a Rust enum: C may hand any
//! number back (to `dd_status_name`, `dd_status_class`), and reading a Rust enum from a
//! number outside it would be undefined behaviour. Numbers are looked up, never transmuted.

use crate::guard::{guard_value, set_last_error};
use dripdrop::Error;
use std::ffi::{c_char, CStr};

/// What a call did: `DD_OK` (0) or one of the `DD_ERR_*` codes below. The numbers are stable
/// across versions.
pub type dd_status = u32;

/// The call succeeded.
pub const DD_OK: dd_status = 0;
/// A required pointer argument was NULL.
pub const DD_ERR_NULL: dd_status = 1;
/// A bad argument: an unknown route kind, text that is not UTF-8, a bad option, a constant
/// that names nothing...
pub const DD_ERR_INVALID_ARGUMENT: dd_status = 2;
/// Bytes that are not a valid BERT frame (or message).
pub const DD_ERR_DECODE: dd_status = 3;
/// A value BERT cannot carry (a NaN, an atom outside Latin-1...).
pub const DD_ERR_ENCODE: dd_status = 4;
/// A value that is not a valid message (an empty name, a head that is not a dict...).
pub const DD_ERR_MESSAGE: dd_status = 5;
/// ZeroMQ refused: a bad address, an address in use...
pub const DD_ERR_ZMQ: dd_status = 6;
/// A route's send queue or a pool's pending queue is full; retry later.
pub const DD_ERR_BACKPRESSURE: dd_status = 7;
/// No route has that name.
pub const DD_ERR_NO_SUCH_ROUTE: dd_status = 8;
/// A route of that name already exists.
pub const DD_ERR_DUPLICATE_ROUTE: dd_status = 9;
/// The route's kind or format does not do that (sending on a pull route...).
pub const DD_ERR_WRONG_KIND: dd_status = 10;
/// A request or task did not finish in time.
pub const DD_ERR_TIMEOUT: dd_status = 11;
/// The peer or the task failed; `dd_error_remote_class` gives the remote class.
pub const DD_ERR_REMOTE: dd_status = 12;
/// A callback failed; the loop went on.
pub const DD_ERR_CALLBACK: dd_status = 13;
/// The node or pool stopped first.
pub const DD_ERR_STOPPED: dd_status = 14;
/// No worker pool has that name.
pub const DD_ERR_NO_SUCH_POOL: dd_status = 15;
/// The task was cancelled (`dd_pool_cancel`) before it finished.
pub const DD_ERR_CANCELLED: dd_status = 16;
/// The task's worker died under it too many times: it is quarantined as poison.
pub const DD_ERR_WORKER_LOST: dd_status = 17;
/// No connected worker can run the task.
pub const DD_ERR_NO_WORKER: dd_status = 18;
/// Something in the library panicked (a bug); the call did nothing.
pub const DD_ERR_PANIC: dd_status = 19;
/// The thing to act on is not there (a timer or task to cancel, an index past the end).
pub const DD_ERR_NOT_FOUND: dd_status = 20;
/// The node is in use where this call cannot reach it: its loop runs already (`dd_node_run`
/// from one of its callbacks), or is running and this call came from outside its callbacks.
pub const DD_ERR_WRONG_THREAD: dd_status = 21;
/// A connection could not be made, was lost, or is closed (an http_client's refused or reset
/// connection, a websocket_server connection sent to after it closed).
pub const DD_ERR_CONNECTION: dd_status = 22;
/// A CURVE certificate or key cannot be used: a file that cannot be read or is not a
/// certificate, one without the secret key its socket needs, a connecting socket with no
/// server key. The message names the file.
pub const DD_ERR_CERTIFICATE: dd_status = 23;

/// One status: its constant's name and the class word the other languages give it.
struct StatusInfo {
    name: &'static CStr,
    /// `None` where no other language has such an error: success, a NULL (C's own), a
    /// missing thing (nil or false elsewhere), a panic of the library.
    class: Option<&'static CStr>,
}

const fn info(name: &'static CStr, class: Option<&'static CStr>) -> StatusInfo {
    StatusInfo { name, class }
}

/// Every status, indexed by its number. The class words are core's (`Error::class_name`);
/// a test checks that every core error's status gives its class word back.
const STATUSES: [StatusInfo; 24] = [
    info(c"DD_OK", None),
    info(c"DD_ERR_NULL", Some(c"InvalidArgument")),
    info(c"DD_ERR_INVALID_ARGUMENT", Some(c"InvalidArgument")),
    info(c"DD_ERR_DECODE", Some(c"DecodeError")),
    info(c"DD_ERR_ENCODE", Some(c"EncodeError")),
    info(c"DD_ERR_MESSAGE", Some(c"MessageError")),
    info(c"DD_ERR_ZMQ", Some(c"ZmqError")),
    info(c"DD_ERR_BACKPRESSURE", Some(c"Backpressure")),
    info(c"DD_ERR_NO_SUCH_ROUTE", Some(c"NoSuchRoute")),
    info(c"DD_ERR_DUPLICATE_ROUTE", Some(c"RouteError")),
    info(c"DD_ERR_WRONG_KIND", Some(c"RouteError")),
    info(c"DD_ERR_TIMEOUT", Some(c"TimeoutError")),
    info(c"DD_ERR_REMOTE", Some(c"RemoteError")),
    info(c"DD_ERR_CALLBACK", Some(c"CallbackError")),
    info(c"DD_ERR_STOPPED", Some(c"Stopped")),
    info(c"DD_ERR_NO_SUCH_POOL", Some(c"NoSuchPool")),
    info(c"DD_ERR_CANCELLED", Some(c"Cancelled")),
    info(c"DD_ERR_WORKER_LOST", Some(c"WorkerLost")),
    info(c"DD_ERR_NO_WORKER", Some(c"NoWorkerForTask")),
    info(c"DD_ERR_PANIC", None),
    info(c"DD_ERR_NOT_FOUND", None),
    info(c"DD_ERR_WRONG_THREAD", Some(c"WrongThread")),
    info(c"DD_ERR_CONNECTION", Some(c"ConnectionError")),
    info(c"DD_ERR_CERTIFICATE", Some(c"CertificateError")),
];

/// The status of a core error. Exhaustive, so that a class core adds does not compile until
/// it has its status.
pub(crate) fn status_of(e: &Error) -> dd_status {
    match e {
        Error::Decode(_) | Error::Receive { .. } | Error::Json(_) => DD_ERR_DECODE,
        Error::Connection { .. } => DD_ERR_CONNECTION,
        Error::Certificate { .. } => DD_ERR_CERTIFICATE,
        Error::Encode(_) => DD_ERR_ENCODE,
        Error::Message(_) => DD_ERR_MESSAGE,
        Error::Zmq { .. } => DD_ERR_ZMQ,
        Error::Backpressure { .. } => DD_ERR_BACKPRESSURE,
        Error::NoSuchRoute(_) => DD_ERR_NO_SUCH_ROUTE,
        Error::DuplicateRoute(_) => DD_ERR_DUPLICATE_ROUTE,
        Error::WrongKind { .. } => DD_ERR_WRONG_KIND,
        Error::InvalidArgument(_) => DD_ERR_INVALID_ARGUMENT,
        Error::Timeout { .. } | Error::TaskTimeout { .. } => DD_ERR_TIMEOUT,
        Error::Remote { .. } => DD_ERR_REMOTE,
        Error::Callback { .. } => DD_ERR_CALLBACK,
        Error::Stopped => DD_ERR_STOPPED,
        Error::NoSuchPool(_) => DD_ERR_NO_SUCH_POOL,
        Error::Cancelled { .. } => DD_ERR_CANCELLED,
        Error::WorkerLost { .. } => DD_ERR_WORKER_LOST,
        Error::NoWorkerForTask { .. } => DD_ERR_NO_WORKER,
        Error::WrongThread(_) => DD_ERR_WRONG_THREAD,
    }
}

/// A status's entry; a number that is no status sets the thread's last error message.
fn lookup(status: dd_status) -> Option<&'static StatusInfo> {
    let found = usize::try_from(status).ok().and_then(|i| STATUSES.get(i));
    if found.is_none() {
        set_last_error(&format!(
            "{status} is not a status (DD_OK to DD_ERR_CERTIFICATE)"
        ));
    }
    found
}

fn c_str_or_null(text: Option<&'static CStr>) -> *const c_char {
    text.map_or(std::ptr::null(), CStr::as_ptr)
}

/// The name of a status's constant (`"DD_ERR_ZMQ"`), static. NULL for a number that is no
/// status (`dd_last_error_message()` then says so).
#[no_mangle]
pub extern "C" fn dd_status_name(status: dd_status) -> *const c_char {
    guard_value(std::ptr::null(), || {
        c_str_or_null(lookup(status).map(|s| s.name))
    })
}

/// The class word every language gives errors of this status (`"NoSuchPool"`,
/// `"RemoteError"`: Rust's `Error::class_name()`, the Ruby and Python exception classes),
/// static. NULL where there is none: `DD_OK`, `DD_ERR_NOT_FOUND` (nil or false elsewhere),
/// `DD_ERR_PANIC`, and a number that is no status (`dd_last_error_message()` then says so).
#[no_mangle]
pub extern "C" fn dd_status_class(status: dd_status) -> *const c_char {
    guard_value(std::ptr::null(), || {
        c_str_or_null(lookup(status).and_then(|s| s.class))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dripdrop::bert::{self, Value};

    fn class(status: dd_status) -> Option<&'static str> {
        STATUSES[status as usize].class.map(|c| c.to_str().unwrap())
    }

    #[test]
    fn each_status_sits_at_its_own_number_under_its_own_name() {
        let codes = [
            (DD_OK, "DD_OK"),
            (DD_ERR_NULL, "DD_ERR_NULL"),
            (DD_ERR_INVALID_ARGUMENT, "DD_ERR_INVALID_ARGUMENT"),
            (DD_ERR_DECODE, "DD_ERR_DECODE"),
            (DD_ERR_ENCODE, "DD_ERR_ENCODE"),
            (DD_ERR_MESSAGE, "DD_ERR_MESSAGE"),
            (DD_ERR_ZMQ, "DD_ERR_ZMQ"),
            (DD_ERR_BACKPRESSURE, "DD_ERR_BACKPRESSURE"),
            (DD_ERR_NO_SUCH_ROUTE, "DD_ERR_NO_SUCH_ROUTE"),
            (DD_ERR_DUPLICATE_ROUTE, "DD_ERR_DUPLICATE_ROUTE"),
            (DD_ERR_WRONG_KIND, "DD_ERR_WRONG_KIND"),
            (DD_ERR_TIMEOUT, "DD_ERR_TIMEOUT"),
            (DD_ERR_REMOTE, "DD_ERR_REMOTE"),
            (DD_ERR_CALLBACK, "DD_ERR_CALLBACK"),
            (DD_ERR_STOPPED, "DD_ERR_STOPPED"),
            (DD_ERR_NO_SUCH_POOL, "DD_ERR_NO_SUCH_POOL"),
            (DD_ERR_CANCELLED, "DD_ERR_CANCELLED"),
            (DD_ERR_WORKER_LOST, "DD_ERR_WORKER_LOST"),
            (DD_ERR_NO_WORKER, "DD_ERR_NO_WORKER"),
            (DD_ERR_PANIC, "DD_ERR_PANIC"),
            (DD_ERR_NOT_FOUND, "DD_ERR_NOT_FOUND"),
            (DD_ERR_WRONG_THREAD, "DD_ERR_WRONG_THREAD"),
            (DD_ERR_CONNECTION, "DD_ERR_CONNECTION"),
            (DD_ERR_CERTIFICATE, "DD_ERR_CERTIFICATE"),
        ];
        assert_eq!(codes.len(), STATUSES.len());
        for (code, name) in codes {
            assert_eq!(STATUSES[code as usize].name.to_str().unwrap(), name);
        }
        assert!(dd_status_name(STATUSES.len() as u32).is_null());
        assert!(dd_status_class(u32::MAX).is_null());
    }

    #[test]
    fn every_core_error_gets_back_its_class_word_from_its_status() {
        let errors = [
            Error::Decode(bert::decode(&[]).unwrap_err()),
            Error::Receive {
                route: "r".into(),
                source: Box::new(Error::Stopped),
            },
            Error::Encode(bert::encode(&Value::Float(f64::NAN)).unwrap_err()),
            Error::Message(dripdrop::MessageError::EmptyName),
            Error::Zmq {
                context: "c".into(),
                message: "m".into(),
            },
            Error::Backpressure {
                route: "r".into(),
                bound: 1,
            },
            Error::NoSuchRoute("r".into()),
            Error::DuplicateRoute("r".into()),
            Error::WrongKind {
                route: "r".into(),
                kind: "zmq_pull",
                what: "w",
            },
            Error::InvalidArgument("a".into()),
            Error::Timeout {
                route: "r".into(),
                timeout_ms: 1,
            },
            Error::Remote {
                class: "Boom".into(),
                message: "boom".into(),
                backtrace: Vec::new(),
            },
            Error::NoSuchPool("p".into()),
            Error::TaskTimeout {
                pool: "p".into(),
                task: "t".into(),
                id: 1,
                timeout_ms: 1,
            },
            Error::Cancelled {
                pool: "p".into(),
                task: "t".into(),
                id: 1,
            },
            Error::WorkerLost {
                pool: "p".into(),
                task: "t".into(),
                id: 1,
                attempts: 3,
            },
            Error::NoWorkerForTask {
                pool: "p".into(),
                task: "t".into(),
                waited_ms: 1,
            },
            Error::Callback {
                context: "c".into(),
                message: "m".into(),
            },
            Error::Stopped,
            Error::WrongThread("w".into()),
            Error::Connection {
                route: "r".into(),
                message: "m".into(),
            },
            Error::Certificate {
                path: "p".into(),
                why: "w".into(),
            },
        ];
        for e in errors {
            assert_eq!(class(status_of(&e)), Some(e.class_name()), "{e:?}");
        }
        assert_eq!(
            status_of(&Error::NoSuchPool("p".into())),
            DD_ERR_NO_SUCH_POOL
        );
    }
}
