//! `dd_bytes`: bytes the library hands out (an encoded frame, an endpoint, a text).

use crate::guard::{guard_value, Result};
use crate::handle::{free, put, try_ref};

/// An owned byte buffer. Its data is followed by a NUL byte (not counted in its length), so a
/// text can be read as a C string.
pub struct dd_bytes {
    _private: [u8; 0],
}

/// What a `dd_bytes` points to.
pub(crate) struct Bytes {
    /// The bytes and one NUL after them.
    data: Vec<u8>,
}

pub(crate) fn put_bytes(out: *mut *mut dd_bytes, mut data: Vec<u8>) -> Result<()> {
    data.push(0);
    put(out, Bytes { data })
}

/// The bytes (followed by a NUL); valid until `dd_bytes_free`. NULL for a NULL handle.
#[no_mangle]
pub extern "C" fn dd_bytes_data(bytes: *const dd_bytes) -> *const u8 {
    guard_value(std::ptr::null(), || {
        try_ref(bytes, "bytes").map_or(std::ptr::null(), |b| b.data.as_ptr())
    })
}

/// How many bytes, not counting the NUL after them; 0 for a NULL handle.
#[no_mangle]
pub extern "C" fn dd_bytes_len(bytes: *const dd_bytes) -> usize {
    guard_value(0, || {
        try_ref(bytes, "bytes").map_or(0, |b| b.data.len() - 1)
    })
}

/// Frees bytes; NULL does nothing.
#[no_mangle]
pub extern "C" fn dd_bytes_free(bytes: *mut dd_bytes) {
    guard_value((), || free(bytes))
}
