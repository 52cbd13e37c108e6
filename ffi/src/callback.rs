//! Userdata of C callbacks: the pointer, and its free function called exactly once.

use std::ffi::c_void;

/// Frees a callback's userdata.
pub type dd_free_cb = Option<unsafe extern "C" fn(userdata: *mut c_void)>;

/// A callback's userdata; dropping it calls `userdata_free` once.
pub(crate) struct Userdata {
    pointer: *mut c_void,
    free: dd_free_cb,
}

// SAFETY: the header states on which threads each callback (and its userdata) is used; a C
// caller that registers a callback run on another thread promises the userdata may go there.
unsafe impl Send for Userdata {}
unsafe impl Sync for Userdata {}

impl Userdata {
    pub(crate) fn new(pointer: *mut c_void, free: dd_free_cb) -> Self {
        Userdata { pointer, free }
    }

    pub(crate) fn get(&self) -> *mut c_void {
        self.pointer
    }
}

impl Drop for Userdata {
    fn drop(&mut self) {
        if let Some(free) = self.free.take() {
            // SAFETY: the C caller gave this function for this pointer; it runs once.
            unsafe { free(self.pointer) };
        }
    }
}
