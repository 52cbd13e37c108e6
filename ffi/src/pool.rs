//! Worker pools from C: named tasks with C handlers, `dd_node_worker_pool`, `dd_pool_defer`,
//! `dd_pool_map` and `dd_pool_cancel`.

use crate::bytes::{dd_bytes, put_bytes};
use crate::callback::{dd_free_cb, Userdata};
use crate::node::{callback, dd_node, dd_node_cb, dd_result_cb, deliver, lend_node, node_mut};
use crate::status::{arg, arg_mut, dd_status, guard, guard_value, text, Fail, Result};
use crate::value::{dd_value, lend, take_value, value};
use dripdrop::pool::{TaskContext, TaskError, TaskRegistry, TaskResult};
use dripdrop::{Error, Node, Placement, PoolOptions, TaskOptions, Value};
use std::ffi::{c_char, c_void, CString};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// A running task, as its handler sees it (borrowed for the handler's call).
pub struct dd_task {
    context: TaskContext,
    name: CString,
    failure: Option<TaskError>,
}

/// A task handler. Runs on a pool or worker thread, possibly on several threads at once
/// with the same userdata. Returns the task's result, which the library takes, or NULL after
/// `dd_task_fail` says why it failed.
pub type dd_task_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        task: *mut dd_task,
        args: *const dd_value,
    ) -> *mut dd_value,
>;

/// Gives `dd_pool_map` its next item (which the library takes), or NULL when there are no
/// more. Called on the node's thread.
pub type dd_next_cb = Option<unsafe extern "C" fn(userdata: *mut c_void) -> *mut dd_value>;

/// Called by `dd_pool_map` with each item's index (from 0) and result, or error, as results
/// come (not in order). Both are borrowed for the call.
pub type dd_item_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        node: *mut dd_node,
        index: u64,
        result: *const dd_value,
        error: *const dd_error,
    ),
>;

use crate::error::dd_error;

/// The task's id: the same on every attempt, an idempotency key.
#[no_mangle]
pub extern "C" fn dd_task_id(task: *const dd_task) -> u64 {
    guard_value(0, || arg(task, "task").map_or(0, |t| t.context.id()))
}

/// 1 on the first run, more after a worker died under the task.
#[no_mangle]
pub extern "C" fn dd_task_attempt(task: *const dd_task) -> u32 {
    guard_value(0, || arg(task, "task").map_or(0, |t| t.context.attempt()))
}

/// The task's name, borrowed from the task.
#[no_mangle]
pub extern "C" fn dd_task_name(task: *const dd_task) -> *const c_char {
    guard_value(std::ptr::null(), || {
        arg(task, "task").map_or(std::ptr::null(), |t| t.name.as_ptr())
    })
}

/// Whether the caller gave up on the task (cancel or deadline): a long handler may stop.
#[no_mangle]
pub extern "C" fn dd_task_is_cancelled(task: *const dd_task) -> bool {
    guard_value(false, || {
        arg(task, "task").is_ok_and(|t| t.context.is_cancelled())
    })
}

/// Marks the task failed with an error class and message, which reach the caller as a
/// remote error; the handler then returns NULL.
#[no_mangle]
pub extern "C" fn dd_task_fail(
    task: *mut dd_task,
    class: *const c_char,
    message: *const c_char,
) -> dd_status {
    guard(|| {
        let (class, message) = (text(class, "class")?, text(message, "message")?);
        arg_mut(task, "task")?.failure = Some(TaskError::new(class, message));
        Ok(())
    })
}

/// A Rust task handler that calls a C one.
pub(crate) fn task_handler(
    cb: unsafe extern "C" fn(*mut c_void, *mut dd_task, *const dd_value) -> *mut dd_value,
    userdata: Arc<Userdata>,
) -> impl Fn(&TaskContext, Value) -> TaskResult + Send + Sync + 'static {
    move |context, args| {
        let mut task = dd_task {
            context: context.clone(),
            name: CString::new(context.name()).unwrap_or_default(),
            failure: None,
        };
        // SAFETY: the C handler, on a task thread, as the header says.
        let result = unsafe { cb(userdata.get(), &mut task, lend(&args)) };
        if result.is_null() {
            return Err(task.failure.unwrap_or_else(|| {
                TaskError::new(
                    "NoResult",
                    "the task handler returned NULL without dd_task_fail",
                )
            }));
        }
        take_value(result, "result").map_err(|_| TaskError::new("NoResult", "no result"))
    }
}

/// Registers a C task handler in a node's or worker's registry.
pub(crate) fn register_task(
    registry: &TaskRegistry,
    name: *const c_char,
    cb: dd_task_cb,
    userdata: Userdata,
) -> Result<()> {
    let cb = callback(cb, "cb")?;
    registry.register(text(name, "name")?, task_handler(cb, Arc::new(userdata)));
    Ok(())
}

/// Registers a named task the node's pools run on their local threads.
#[no_mangle]
pub extern "C" fn dd_node_task(
    node: *mut dd_node,
    name: *const c_char,
    cb: dd_task_cb,
    userdata: *mut c_void,
    userdata_free: dd_free_cb,
) -> dd_status {
    let userdata = Userdata::new(userdata, userdata_free);
    guard(|| register_task(node_mut(node)?.tasks(), name, cb, userdata))
}

/// Where a pool runs tasks.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum dd_placement {
    /// Only on the pool's local threads.
    DD_PLACEMENT_LOCAL = 0,
    /// Only on remote workers.
    DD_PLACEMENT_REMOTE = 1,
    /// On local threads while one is free, spilling over to remote workers.
    DD_PLACEMENT_LOCAL_FIRST = 2,
}

/// Pool settings; start from `dd_pool_options_default`.
#[repr(C)]
pub struct dd_pool_options {
    /// The address remote workers connect to (`tcp://0.0.0.0:2100`, `tcp://127.0.0.1:*`), or
    /// NULL for none.
    pub bind: *const c_char,
    /// Local threads running the node's tasks; 0 for none.
    pub local_threads: usize,
    /// Where tasks run.
    pub placement: dd_placement,
    /// Tasks accepted and not finished, at most; past it `dd_pool_defer` reports backpressure.
    pub max_pending: usize,
    /// How often the pool heartbeats each worker, in ms (not 0); a worker that announced a
    /// shorter interval is heartbeated at its own.
    pub heartbeat_ms: u64,
    /// Silent heartbeats before a worker is dead.
    pub liveness: u32,
    /// Worker deaths a task survives before it is quarantined.
    pub max_attempts: u32,
    /// How long a task waits for a worker that can run it; 0 waits for ever.
    pub no_worker_timeout_ms: u64,
    /// Tasks a worker is sent beyond its concurrency.
    pub prefetch: usize,
}

/// The default pool settings (remote workers, no address yet: set `bind`).
#[no_mangle]
pub extern "C" fn dd_pool_options_default(out: *mut dd_pool_options) -> dd_status {
    guard(|| {
        let d = PoolOptions::default();
        *arg_mut(out, "out")? = dd_pool_options {
            bind: std::ptr::null(),
            local_threads: 0,
            placement: dd_placement::DD_PLACEMENT_REMOTE,
            max_pending: d.max_pending,
            heartbeat_ms: d.heartbeat.as_millis() as u64,
            liveness: d.liveness,
            max_attempts: d.max_attempts,
            no_worker_timeout_ms: d.no_worker_timeout.map_or(0, |t| t.as_millis() as u64),
            prefetch: d.prefetch,
        };
        Ok(())
    })
}

fn pool_options(options: &dd_pool_options) -> Result<PoolOptions> {
    let bind = if options.bind.is_null() {
        Vec::new()
    } else {
        vec![text(options.bind, "bind")?.to_owned()]
    };
    Ok(PoolOptions {
        bind,
        local_threads: options.local_threads,
        placement: match options.placement {
            dd_placement::DD_PLACEMENT_LOCAL => Placement::Local,
            dd_placement::DD_PLACEMENT_REMOTE => Placement::Remote,
            dd_placement::DD_PLACEMENT_LOCAL_FIRST => Placement::LocalFirst,
        },
        max_pending: options.max_pending,
        heartbeat: Duration::from_millis(options.heartbeat_ms),
        liveness: options.liveness,
        max_attempts: options.max_attempts,
        no_worker_timeout: (options.no_worker_timeout_ms > 0)
            .then(|| Duration::from_millis(options.no_worker_timeout_ms)),
        prefetch: options.prefetch,
    })
}

/// Starts pool `name`. `endpoint_out` (may be NULL) gets the address workers connect to,
/// with the port ZeroMQ picked for `tcp://...:*`, as NUL-terminated bytes (free them).
#[no_mangle]
pub extern "C" fn dd_node_worker_pool(
    node: *mut dd_node,
    name: *const c_char,
    options: *const dd_pool_options,
    endpoint_out: *mut *mut dd_bytes,
) -> dd_status {
    guard(|| {
        let node = node_mut(node)?;
        let options = pool_options(arg(options, "options")?)?;
        let endpoints = node.worker_pool(text(name, "name")?, options)?;
        if !endpoint_out.is_null() {
            let first = endpoints.first().cloned().unwrap_or_default();
            put_bytes(endpoint_out, first.into_bytes())?;
        }
        Ok(())
    })
}

/// Runs task `task` of pool `pool` with a copy of `args`; `cb` gets the result (or error) on
/// the node's thread, once, and then `userdata_free` runs. `timeout_ms` 0 waits for ever.
/// `id_out` (may be NULL) gets the task id, for `dd_pool_cancel`.
#[no_mangle]
pub extern "C" fn dd_pool_defer(
    node: *mut dd_node,
    pool: *const c_char,
    task: *const c_char,
    args: *const dd_value,
    timeout_ms: u64,
    cb: dd_result_cb,
    userdata: *mut c_void,
    userdata_free: dd_free_cb,
    id_out: *mut u64,
) -> dd_status {
    let userdata = Userdata::new(userdata, userdata_free);
    guard(|| {
        let node = node_mut(node)?;
        let cb = callback(cb, "cb")?;
        let args = value(args)?.clone();
        let options = TaskOptions {
            timeout: (timeout_ms > 0).then(|| Duration::from_millis(timeout_ms)),
        };
        let (pool, task) = (text(pool, "pool")?, text(task, "task")?);
        let id = node
            .pool(pool)?
            .defer_with(task, args, options, move |node, result| {
                deliver(&userdata, cb, node, result);
            })?;
        if !id_out.is_null() {
            *arg_mut(id_out, "id_out")? = id;
        }
        Ok(())
    })
}

/// Feeds pool `pool` one task per item `next` gives, only as results free room, so a
/// producer goes exactly as fast as the workers. `on_result` gets each item's result;
/// `on_done` (may be NULL) runs after the last, then `userdata_free`. All three callbacks
/// run on the node's thread.
#[no_mangle]
pub extern "C" fn dd_pool_map(
    node: *mut dd_node,
    pool: *const c_char,
    task: *const c_char,
    next: dd_next_cb,
    on_result: dd_item_cb,
    on_done: dd_node_cb,
    userdata: *mut c_void,
    userdata_free: dd_free_cb,
) -> dd_status {
    let userdata = Rc::new(Userdata::new(userdata, userdata_free));
    guard(|| {
        let node = node_mut(node)?;
        let (next, on_result) = (callback(next, "next")?, callback(on_result, "on_result")?);
        let items = {
            let userdata = Rc::clone(&userdata);
            std::iter::from_fn(move || {
                // SAFETY: the C producer, on the node's thread.
                let item = unsafe { next(userdata.get()) };
                (!item.is_null())
                    .then(|| take_value(item, "item").ok())
                    .flatten()
            })
        };
        let for_results = Rc::clone(&userdata);
        let results = move |node: &mut Node,
                            index: u64,
                            result: std::result::Result<Value, Error>| {
            let node = lend_node(node);
            // SAFETY: the C callback, on the node's thread, with borrowed arguments.
            match result {
                Ok(value) => unsafe {
                    on_result(
                        for_results.get(),
                        node,
                        index,
                        lend(&value),
                        std::ptr::null(),
                    )
                },
                Err(e) => {
                    let error = dd_error::new(&e);
                    unsafe { on_result(for_results.get(), node, index, std::ptr::null(), &error) }
                }
            }
        };
        let done = move |node: &mut Node| {
            if let Some(on_done) = on_done {
                // SAFETY: as above.
                unsafe { on_done(userdata.get(), lend_node(node)) };
            }
        };
        let (pool, task) = (text(pool, "pool")?, text(task, "task")?);
        node.pool(pool)?.map(task, items, results, done)?;
        Ok(())
    })
}

/// Gives up on a task: its callback gets `DD_ERR_CANCELLED`. `DD_ERR_NOT_FOUND` if it
/// already finished.
#[no_mangle]
pub extern "C" fn dd_pool_cancel(node: *mut dd_node, pool: *const c_char, id: u64) -> dd_status {
    guard(|| {
        let node = node_mut(node)?;
        if node.pool(text(pool, "pool")?)?.cancel(id) {
            Ok(())
        } else {
            Err(Fail::NotFound(format!("task {id} is not outstanding")))
        }
    })
}
