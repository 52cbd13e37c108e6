//! Workers from C: a process serving a pool with C task handlers.

use crate::callback::{dd_free_cb, Userdata};
use crate::curve::{curve_option, dd_curve_options};
use crate::guard::{
    guard, guard_value, invalid, millis_of, optional_options, optional_text, out, texts, Result,
};
use crate::handle::{free, put, try_mut, try_ref};
use crate::status::dd_status;
use crate::task_context::{dd_task_cb, register_task};
use dripdrop::{Worker, WorkerOptions};
use std::ffi::{c_char, c_void};
use std::time::Duration;

/// A worker. `dd_worker_run` blocks the calling thread, its I/O thread; tasks run on threads
/// of its own.
pub struct dd_worker {
    _private: [u8; 0],
}

/// Stops a running worker from another thread. Thread-safe.
pub struct dd_worker_handle {
    _private: [u8; 0],
}

/// Worker settings; start from `dd_worker_options_default` (core's defaults).
#[repr(C)]
pub struct dd_worker_options {
    /// Tasks run at once; 0 keeps the default (one per CPU).
    pub concurrency: usize,
    /// How often the worker heartbeats the pool, in ms (not 0).
    pub heartbeat_ms: u64,
    /// Silent heartbeats of the pool before the worker reconnects.
    pub liveness: u32,
    /// The name the pool shows in its stats, or NULL for `worker-<pid>`.
    pub name: *const c_char,
    /// The largest frame the pool may send, in bytes (`ZMQ_MAXMSGSIZE`).
    pub max_frame_bytes: usize,
    /// CURVE to the pool (the worker connects: it is a client, and needs the server's key);
    /// by default the environment's `DRIPDROP_CURVE_DIR`, if any.
    pub curve: dd_curve_options,
}

/// The default worker settings (core's).
#[no_mangle]
pub extern "C" fn dd_worker_options_default(options: *mut dd_worker_options) -> dd_status {
    guard(|| {
        let d = WorkerOptions::default();
        *out(options, "options")? = dd_worker_options {
            concurrency: d.concurrency,
            heartbeat_ms: millis_of(d.heartbeat),
            liveness: d.liveness,
            // Core's default names no worker: nothing to point to.
            name: std::ptr::null(),
            max_frame_bytes: d.max_frame_bytes,
            curve: dd_curve_options::unset(),
        };
        Ok(())
    })
}

fn worker_options(options: Option<&dd_worker_options>) -> Result<WorkerOptions> {
    let mut settings = WorkerOptions::default();
    let Some(o) = options else {
        return Ok(settings);
    };
    if o.concurrency > 0 {
        settings.concurrency = o.concurrency;
    }
    settings.heartbeat = Duration::from_millis(o.heartbeat_ms);
    settings.liveness = o.liveness;
    settings.name = optional_text(o.name, "name")?.map(str::to_owned);
    settings.max_frame_bytes = o.max_frame_bytes;
    settings.curve = curve_option(&o.curve, "curve")?;
    Ok(settings)
}

/// A worker for the pool at `count` addresses (it connects to each when it runs).
/// `options` may be NULL.
#[no_mangle]
pub extern "C" fn dd_worker_new(
    addresses: *const *const c_char,
    count: usize,
    options: *const dd_worker_options,
    worker: *mut *mut dd_worker,
) -> dd_status {
    guard(|| {
        if count == 0 {
            return Err(invalid("a worker needs at least one address"));
        }
        let addresses = texts(addresses, count, "addresses")?;
        let settings = worker_options(optional_options(options))?;
        put(worker, Worker::new(&addresses, settings)?)
    })
}

/// Registers a task the worker announces and runs (before `dd_worker_run`).
#[no_mangle]
pub extern "C" fn dd_worker_task(
    worker: *mut dd_worker,
    name: *const c_char,
    cb: dd_task_cb,
    userdata: *mut c_void,
    userdata_free: dd_free_cb,
) -> dd_status {
    let userdata = Userdata::new(userdata, userdata_free);
    guard(|| register_task(try_mut(worker, "worker")?.registry(), name, cb, userdata))
}

/// A handle to stop the worker from another thread; make it before `dd_worker_run`.
#[no_mangle]
pub extern "C" fn dd_worker_handle_new(
    worker: *const dd_worker,
    handle: *mut *mut dd_worker_handle,
) -> dd_status {
    guard(|| {
        let made = try_ref(worker, "worker")?.handle();
        put(handle, made)
    })
}

/// Makes `dd_worker_run` return (it says DISCONNECT to the pool first).
#[no_mangle]
pub extern "C" fn dd_worker_handle_stop(handle: *const dd_worker_handle) -> dd_status {
    guard(|| {
        try_ref(handle, "handle")?.stop();
        Ok(())
    })
}

/// Frees a worker handle; NULL does nothing.
#[no_mangle]
pub extern "C" fn dd_worker_handle_free(handle: *mut dd_worker_handle) {
    guard_value((), || free(handle))
}

/// Serves the pool until a handle's stop: connects, reconnects with backoff, runs tasks.
#[no_mangle]
pub extern "C" fn dd_worker_run(worker: *mut dd_worker) -> dd_status {
    guard(|| Ok(try_mut(worker, "worker")?.run()?))
}

/// Frees a worker (not while it runs); NULL does nothing.
#[no_mangle]
pub extern "C" fn dd_worker_free(worker: *mut dd_worker) {
    guard_value((), || free(worker))
}
