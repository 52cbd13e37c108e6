//! Waiting without Ruby's GVL, through `rb_nogvl` with two flags:
//! - RB_NOGVL_INTR_FAIL: the plain call checks interrupts on the way out, and a raise there
//!   would unwind through Rust frames; here the caller checks them itself with
//!   [`check_interrupts`], under `rb_protect`, once its Rust state is consistent;
//! - RB_NOGVL_UBF_ASYNC_SAFE: every unblocking function given here is async-signal-safe (an
//!   atomic store, a write to a pipe). Without the flag Ruby 3.1 starts a helper thread for
//!   each call on a lone main thread: one thread per turn of a node's loop.

use std::ffi::c_void;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

struct Call<F, R> {
    f: Option<F>,
    result: Option<std::thread::Result<R>>,
}

unsafe extern "C" fn call<F: FnOnce() -> R, R>(data: *mut c_void) -> *mut c_void {
    // SAFETY: `data` is the `Call` that `without_gvl` lent for this call.
    let call = unsafe { &mut *(data as *mut Call<F, R>) };
    if let Some(f) = call.f.take() {
        call.result = Some(catch_unwind(AssertUnwindSafe(f)));
    }
    std::ptr::null_mut()
}

unsafe extern "C" fn unblock(data: *mut c_void) {
    // SAFETY: `data` is the `&dyn Fn()` that `without_gvl` lent for the call's duration.
    let wake = unsafe { &*(data as *const &(dyn Fn() + Sync)) };
    let _ = catch_unwind(AssertUnwindSafe(wake));
}

/// Runs `f` on this thread with the GVL released; `wake` is Ruby's unblocking function (called
/// from another thread, or a signal handler, when this one is interrupted: it must make `f`
/// return soon, and be async-signal-safe). `None`
/// when an interrupt was already pending and `f` did not run.
pub fn without_gvl<F: FnOnce() -> R, R>(f: F, wake: &(dyn Fn() + Sync)) -> Option<R> {
    let mut state = Call {
        f: Some(f),
        result: None,
    };
    let wake_ref: &(dyn Fn() + Sync) = wake;
    // SAFETY: both pointers outlive the call, which runs `call` on this thread and `unblock`
    // only while `call` runs.
    unsafe {
        rb_sys::rb_nogvl(
            Some(call::<F, R>),
            &mut state as *mut Call<F, R> as *mut c_void,
            Some(unblock),
            &wake_ref as *const &(dyn Fn() + Sync) as *mut c_void,
            (rb_sys::RB_NOGVL_INTR_FAIL | rb_sys::RB_NOGVL_UBF_ASYNC_SAFE) as i32,
        );
    }
    match state.result {
        None => None,
        Some(Ok(r)) => Some(r),
        Some(Err(panic)) => resume_unwind(panic),
    }
}

/// Runs Ruby's pending interrupts (signal handlers, `Thread#raise`, `Thread#kill`,
/// `Timeout`): an `Err` is the exception or jump they caused, for the caller to pass on once
/// it is back at the method boundary.
pub fn check_interrupts() -> Result<(), magnus::Error> {
    magnus::rb_sys::protect(|| {
        // SAFETY: called with the GVL held, under rb_protect.
        unsafe { rb_sys::rb_thread_check_ints() };
        rb_sys::Qnil as rb_sys::VALUE
    })
    .map(drop)
}
