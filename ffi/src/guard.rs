//! The boundary every exported call runs in: its failure becomes a status and the thread's
//! last error message, a panic never unwinds into C, and plain C arguments (strings, lists,
//! byte ranges, out-pointers) are read here.

use crate::status::{dd_status, status_of, DD_ERR_NOT_FOUND, DD_ERR_NULL, DD_ERR_PANIC, DD_OK};
use dripdrop::Error;
use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Why an exported call failed, before it becomes a status and a message.
pub(crate) enum Fail {
    /// A required pointer was NULL; names it.
    Null(&'static str),
    /// The thing to act on is not there (a timer or task to cancel, an index past the end).
    NotFound(String),
    /// Anything core refused, or a bad argument (`Error::InvalidArgument`).
    Core(Error),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail::Core(e)
    }
}

pub(crate) type Result<T> = std::result::Result<T, Fail>;

/// A bad argument (`DD_ERR_INVALID_ARGUMENT`) saying what is wrong with it.
pub(crate) fn invalid(what: impl Into<String>) -> Fail {
    Fail::Core(Error::InvalidArgument(what.into()))
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Sets this thread's last error message.
pub(crate) fn set_last_error(message: &str) {
    // `try_with`: this runs outside the panic guard, so it must not panic, even on a thread
    // being torn down (the message is then lost).
    let _ = LAST_ERROR.try_with(|last| *last.borrow_mut() = c_text(message));
}

/// A C string of `text`; interior NULs, which C strings cannot hold, become spaces.
pub(crate) fn c_text(text: &str) -> CString {
    CString::new(text.replace('\0', " ")).unwrap_or_default()
}

/// The message of the last call on this thread that did not return `DD_OK` (empty if none
/// failed yet). Valid until the next failing call on this thread; never NULL.
#[no_mangle]
pub extern "C" fn dd_last_error_message() -> *const c_char {
    // `try_with`: a thread being torn down has no thread-locals left, and must not panic.
    LAST_ERROR
        .try_with(|last| last.borrow().as_ptr())
        .unwrap_or(c"".as_ptr())
}

/// Runs an exported call's body: an error becomes its status and the thread's last error
/// message; a panic becomes `DD_ERR_PANIC` instead of unwinding into C.
pub(crate) fn guard(body: impl FnOnce() -> Result<()>) -> dd_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => DD_OK,
        Ok(Err(Fail::Null(what))) => {
            set_last_error(&format!("{what} is NULL"));
            DD_ERR_NULL
        }
        Ok(Err(Fail::NotFound(what))) => {
            set_last_error(&what);
            DD_ERR_NOT_FOUND
        }
        Ok(Err(Fail::Core(e))) => {
            set_last_error(&e.to_string());
            status_of(&e)
        }
        Err(payload) => {
            let text = dripdrop::panic_message(payload.as_ref());
            set_last_error(&format!("internal error (panic): {text}"));
            DD_ERR_PANIC
        }
    }
}

/// Like `guard`, for calls that return a value instead of a status (accessors, `free`):
/// a panic gives `fallback`.
pub(crate) fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// A required callback.
pub(crate) fn callback<F>(f: Option<F>, what: &'static str) -> Result<F> {
    f.ok_or(Fail::Null(what))
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

/// An optional string: NULL is `None`.
pub(crate) fn optional_text<'a>(
    pointer: *const c_char,
    what: &'static str,
) -> Result<Option<&'a str>> {
    if pointer.is_null() {
        return Ok(None);
    }
    text(pointer, what).map(Some)
}

/// A list of strings, the C way: `count` pointers at `pointers` (NULL is fine when `count`
/// is 0). `what` names one item.
pub(crate) fn texts<'a>(
    pointers: *const *const c_char,
    count: usize,
    what: &'static str,
) -> Result<Vec<&'a str>> {
    items(pointers, count, what)?
        .iter()
        .map(|&p| text(p, what))
        .collect()
}

/// A list the C way: `count` items at `pointer` (NULL is fine when `count` is 0).
pub(crate) fn items<'a, T>(pointer: *const T, count: usize, what: &'static str) -> Result<&'a [T]> {
    if count == 0 {
        return Ok(&[]);
    }
    if pointer.is_null() {
        return Err(Fail::Null(what));
    }
    // SAFETY: non-NULL, and the caller promises `count` readable items.
    Ok(unsafe { std::slice::from_raw_parts(pointer, count) })
}

/// A required (pointer, length) byte range; NULL with length 0 is the empty range.
pub(crate) fn byte_range<'a>(data: *const u8, len: usize, what: &'static str) -> Result<&'a [u8]> {
    items(data, len, what)
}

/// A required out-pointer, to write a result through.
pub(crate) fn out<'a, T>(pointer: *mut T, what: &'static str) -> Result<&'a mut T> {
    // SAFETY: NULL is refused; otherwise the caller promises storage for one `T`.
    unsafe { pointer.as_mut() }.ok_or(Fail::Null(what))
}

/// Writes through an optional out-pointer (NULL: the caller does not want the result).
pub(crate) fn put_optional<T>(pointer: *mut T, value: T) {
    // SAFETY: NULL or storage for one `T`, as the header states for each optional output.
    if let Some(slot) = unsafe { pointer.as_mut() } {
        *slot = value;
    }
}

/// A duration in whole milliseconds, the unit of C's options.
pub(crate) fn millis_of(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// An options struct the caller must give.
pub(crate) fn required_options<'a, T>(pointer: *const T, what: &'static str) -> Result<&'a T> {
    optional_options(pointer).ok_or(Fail::Null(what))
}

/// An options struct the caller may leave out (NULL: the defaults).
pub(crate) fn optional_options<'a, T>(pointer: *const T) -> Option<&'a T> {
    // SAFETY: NULL or a pointer to an options struct the caller filled (from its
    // `dd_*_options_default`).
    unsafe { pointer.as_ref() }
}
