//! Status codes, the per-thread last error, and the panic boundary every exported call runs in.

use dripdrop::Error;
use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// What a call did. `DD_OK` is 0; the other numbers are stable across versions.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum dd_status {
    /// The call succeeded.
    DD_OK = 0,
    /// A required pointer argument was NULL.
    DD_ERR_NULL = 1,
    /// A bad argument: an unknown route kind, text that is not UTF-8, a bad option...
    DD_ERR_INVALID_ARGUMENT = 2,
    /// Bytes that are not a valid BERT frame (or message).
    DD_ERR_DECODE = 3,
    /// A value BERT cannot carry (a NaN, an atom outside Latin-1...).
    DD_ERR_ENCODE = 4,
    /// A value that is not a valid message (an empty name, a head that is not a dict...).
    DD_ERR_MESSAGE = 5,
    /// ZeroMQ refused: a bad address, an address in use...
    DD_ERR_ZMQ = 6,
    /// A route's send queue or a pool's pending queue is full; retry later.
    DD_ERR_BACKPRESSURE = 7,
    /// No route has that name.
    DD_ERR_NO_SUCH_ROUTE = 8,
    /// A route of that name already exists.
    DD_ERR_DUPLICATE_ROUTE = 9,
    /// The route's kind does not do that (sending on a pull route...).
    DD_ERR_WRONG_KIND = 10,
    /// A request or task did not finish in time.
    DD_ERR_TIMEOUT = 11,
    /// The peer or the task failed; `dd_error_class` gives the remote class.
    DD_ERR_REMOTE = 12,
    /// A callback failed; the loop went on.
    DD_ERR_CALLBACK = 13,
    /// The node or pool stopped first.
    DD_ERR_STOPPED = 14,
    /// No worker pool has that name.
    DD_ERR_NO_SUCH_POOL = 15,
    /// The task was cancelled (`dd_pool_cancel`) before it finished.
    DD_ERR_CANCELLED = 16,
    /// The task's worker died under it too many times: it is quarantined as poison.
    DD_ERR_WORKER_LOST = 17,
    /// No connected worker can run the task.
    DD_ERR_NO_WORKER = 18,
    /// Something in the library panicked (a bug); the call did nothing.
    DD_ERR_PANIC = 19,
    /// The thing asked for is not there (a dict key, a timer, a finished task).
    DD_ERR_NOT_FOUND = 20,
}

/// Why an exported call failed, before it becomes a status and a message.
pub(crate) enum Fail {
    Null(&'static str),
    NotFound(String),
    Core(Error),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail::Core(e)
    }
}

pub(crate) type Result<T> = std::result::Result<T, Fail>;

pub(crate) fn invalid(what: impl Into<String>) -> Fail {
    Fail::Core(Error::InvalidArgument(what.into()))
}

/// The status of a core error.
pub(crate) fn status_of(e: &Error) -> dd_status {
    use dd_status::*;
    match e {
        Error::Decode(_) | Error::Receive { .. } => DD_ERR_DECODE,
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
        // A variant added to the core later reads as a generic bad call until mapped.
        #[allow(unreachable_patterns)]
        _ => DD_ERR_INVALID_ARGUMENT,
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(message: &str) {
    // Interior NULs cannot be in a C string; they become spaces.
    let text = CString::new(message.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|last| *last.borrow_mut() = text);
}

/// The message of the last call on this thread that did not return `DD_OK` (empty if none
/// failed yet). Valid until the next failing call on this thread; never NULL.
#[no_mangle]
pub extern "C" fn dd_last_error_message() -> *const c_char {
    LAST_ERROR.with(|last| last.borrow().as_ptr())
}

/// A short, static name of a status (`"DD_ERR_ZMQ"`); never NULL.
#[no_mangle]
pub extern "C" fn dd_status_name(status: dd_status) -> *const c_char {
    let name: &'static CStr = match status {
        dd_status::DD_OK => c"DD_OK",
        dd_status::DD_ERR_NULL => c"DD_ERR_NULL",
        dd_status::DD_ERR_INVALID_ARGUMENT => c"DD_ERR_INVALID_ARGUMENT",
        dd_status::DD_ERR_DECODE => c"DD_ERR_DECODE",
        dd_status::DD_ERR_ENCODE => c"DD_ERR_ENCODE",
        dd_status::DD_ERR_MESSAGE => c"DD_ERR_MESSAGE",
        dd_status::DD_ERR_ZMQ => c"DD_ERR_ZMQ",
        dd_status::DD_ERR_BACKPRESSURE => c"DD_ERR_BACKPRESSURE",
        dd_status::DD_ERR_NO_SUCH_ROUTE => c"DD_ERR_NO_SUCH_ROUTE",
        dd_status::DD_ERR_DUPLICATE_ROUTE => c"DD_ERR_DUPLICATE_ROUTE",
        dd_status::DD_ERR_WRONG_KIND => c"DD_ERR_WRONG_KIND",
        dd_status::DD_ERR_TIMEOUT => c"DD_ERR_TIMEOUT",
        dd_status::DD_ERR_REMOTE => c"DD_ERR_REMOTE",
        dd_status::DD_ERR_CALLBACK => c"DD_ERR_CALLBACK",
        dd_status::DD_ERR_STOPPED => c"DD_ERR_STOPPED",
        dd_status::DD_ERR_NO_SUCH_POOL => c"DD_ERR_NO_SUCH_POOL",
        dd_status::DD_ERR_CANCELLED => c"DD_ERR_CANCELLED",
        dd_status::DD_ERR_WORKER_LOST => c"DD_ERR_WORKER_LOST",
        dd_status::DD_ERR_NO_WORKER => c"DD_ERR_NO_WORKER",
        dd_status::DD_ERR_PANIC => c"DD_ERR_PANIC",
        dd_status::DD_ERR_NOT_FOUND => c"DD_ERR_NOT_FOUND",
    };
    name.as_ptr()
}

/// Runs an exported call's body: an error becomes its status and the thread's last error
/// message; a panic becomes `DD_ERR_PANIC` instead of unwinding into C.
pub(crate) fn guard(body: impl FnOnce() -> Result<()>) -> dd_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => dd_status::DD_OK,
        Ok(Err(Fail::Null(what))) => {
            set_last_error(&format!("{what} is NULL"));
            dd_status::DD_ERR_NULL
        }
        Ok(Err(Fail::NotFound(what))) => {
            set_last_error(&what);
            dd_status::DD_ERR_NOT_FOUND
        }
        Ok(Err(Fail::Core(e))) => {
            set_last_error(&e.to_string());
            status_of(&e)
        }
        Err(payload) => {
            let text = dripdrop::panic_message(payload.as_ref());
            set_last_error(&format!("internal error (panic): {text}"));
            dd_status::DD_ERR_PANIC
        }
    }
}

/// Like `guard`, for calls that cannot fail but must not unwind either (accessors, `free`).
pub(crate) fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// A required pointer, as a reference.
pub(crate) fn arg<'a, T>(pointer: *const T, what: &'static str) -> Result<&'a T> {
    // SAFETY: the caller passes a pointer this library handed out (or NULL, refused here);
    // the header states each one's lifetime.
    unsafe { pointer.as_ref() }.ok_or(Fail::Null(what))
}

/// A required mutable pointer, as a reference.
pub(crate) fn arg_mut<'a, T>(pointer: *mut T, what: &'static str) -> Result<&'a mut T> {
    // SAFETY: as for `arg`; the header says which calls may not overlap.
    unsafe { pointer.as_mut() }.ok_or(Fail::Null(what))
}

/// A required NUL-terminated UTF-8 string.
pub(crate) fn text<'a>(pointer: *const c_char, what: &'static str) -> Result<&'a str> {
    if pointer.is_null() {
        return Err(Fail::Null(what));
    }
    // SAFETY: non-NULL, and the caller promises a NUL-terminated string.
    let bytes = unsafe { CStr::from_ptr(pointer) };
    bytes
        .to_str()
        .map_err(|_| invalid(format!("{what} is not UTF-8")))
}

/// A required (pointer, length) byte range; NULL with length 0 is the empty range.
pub(crate) fn byte_range<'a>(data: *const u8, len: usize, what: &'static str) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if data.is_null() {
        return Err(Fail::Null(what));
    }
    // SAFETY: non-NULL, and the caller promises `len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(data, len) })
}

/// Writes a new object to an out-pointer (which must not be NULL), boxing it.
pub(crate) fn put<T, H>(out: *mut *mut H, value: T) -> Result<()> {
    if out.is_null() {
        return Err(Fail::Null("the out pointer"));
    }
    let raw = Box::into_raw(Box::new(value)).cast::<H>();
    // SAFETY: `out` is non-NULL and points to writable storage for one pointer.
    unsafe { *out = raw };
    Ok(())
}

/// Frees an object `put` made; NULL does nothing.
pub(crate) fn free<T, H>(handle: *mut H) {
    if !handle.is_null() {
        // SAFETY: the handle came from `put` with the same `T`, and is freed once.
        drop(unsafe { Box::from_raw(handle.cast::<T>()) });
    }
}
