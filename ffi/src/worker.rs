//! Workers from C: a process serving a pool with C task handlers.

use crate::callback::{dd_free_cb, Userdata};
use crate::pool::{dd_task_cb, register_task};
use crate::status::{arg, arg_mut, dd_status, free, guard, guard_value, put, text, Result};
use dripdrop::{Worker, WorkerHandle, WorkerOptions};
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

/// Worker settings; start from `dd_worker_options_default`.
#[repr(C)]
pub struct dd_worker_options {
    /// Tasks run at once; 0 for one per CPU.
    pub concurrency: usize,
    /// How often the worker heartbeats the pool, in ms (not 0).
    pub heartbeat_ms: u64,
    /// Silent heartbeats of the pool before the worker reconnects.
    pub liveness: u32,
    /// The name the pool shows in its stats, or NULL for `worker-<pid>`.
    pub name: *const c_char,
}

/// The default worker settings.
#[no_mangle]
pub extern "C" fn dd_worker_options_default(out: *mut dd_worker_options) -> dd_status {
    guard(|| {
        let d = WorkerOptions::default();
        *arg_mut(out, "out")? = dd_worker_options {
            concurrency: 0,
            heartbeat_ms: d.heartbeat.as_millis() as u64,
            liveness: d.liveness,
            name: std::ptr::null(),
        };
        Ok(())
    })
}

fn worker_mut<'a>(worker: *mut dd_worker) -> Result<&'a mut Worker> {
    arg_mut(worker.cast::<Worker>(), "worker")
}

/// A worker for the pool at `address` (several: comma-separated); it connects when it runs.
/// `options` may be NULL.
#[no_mangle]
pub extern "C" fn dd_worker_new(
    address: *const c_char,
    options: *const dd_worker_options,
    out: *mut *mut dd_worker,
) -> dd_status {
    guard(|| {
        let addresses: Vec<&str> = text(address, "address")?.split(',').collect();
        let mut settings = WorkerOptions::default();
        // SAFETY: NULL or a pointer to an options struct the caller filled.
        if let Some(o) = unsafe { options.as_ref() } {
            if o.concurrency > 0 {
                settings.concurrency = o.concurrency;
            }
            settings.heartbeat = Duration::from_millis(o.heartbeat_ms);
            settings.liveness = o.liveness;
            if !o.name.is_null() {
                settings.name = Some(text(o.name, "name")?.to_owned());
            }
        }
        put::<Worker, dd_worker>(out, Worker::new(&addresses, settings)?)
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
    guard(|| register_task(worker_mut(worker)?.registry(), name, cb, userdata))
}

/// A handle to stop the worker from another thread.
#[no_mangle]
pub extern "C" fn dd_worker_handle_new(
    worker: *const dd_worker,
    out: *mut *mut dd_worker_handle,
) -> dd_status {
    guard(|| {
        let handle = arg(worker.cast::<Worker>(), "worker")?.handle();
        put::<WorkerHandle, dd_worker_handle>(out, handle)
    })
}

/// Makes `dd_worker_run` return (it says DISCONNECT to the pool first).
#[no_mangle]
pub extern "C" fn dd_worker_handle_stop(handle: *const dd_worker_handle) -> dd_status {
    guard(|| {
        arg(handle.cast::<WorkerHandle>(), "handle")?.stop();
        Ok(())
    })
}

/// Frees a worker handle; NULL does nothing.
#[no_mangle]
pub extern "C" fn dd_worker_handle_free(handle: *mut dd_worker_handle) {
    guard_value((), || free::<WorkerHandle, dd_worker_handle>(handle))
}

/// Serves the pool until a handle's stop: connects, reconnects with backoff, runs tasks.
#[no_mangle]
pub extern "C" fn dd_worker_run(worker: *mut dd_worker) -> dd_status {
    guard(|| Ok(worker_mut(worker)?.run()?))
}

/// Frees a worker (not while it runs); NULL does nothing.
#[no_mangle]
pub extern "C" fn dd_worker_free(worker: *mut dd_worker) {
    guard_value((), || free::<Worker, dd_worker>(worker))
}
