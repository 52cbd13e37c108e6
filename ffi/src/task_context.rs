//! Named tasks with C handlers: `dd_task_context` (core's `TaskContext`), what a handler sees
//! of its task, and registering handlers with a node (`dd_node_task`) or a worker.

use crate::callback::{dd_free_cb, Userdata};
use crate::guard::{callback, guard, guard_value, text, Result};
use crate::handle::{lend_mut, try_mut, try_ref};
use crate::node::{dd_node, with_node};
use crate::status::dd_status;
use crate::value::{dd_value, lend_value, take_value};
use dripdrop::pool::TaskRegistry;
use dripdrop::{TaskContext, TaskError, TaskResult, Value};
use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;

/// A running task, as its handler sees it (borrowed for the handler's call).
pub struct dd_task_context {
    _private: [u8; 0],
}

/// What a `dd_task_context` points to: core's context, the task's name as a C string, and the
/// failure `dd_task_context_fail` records.
pub(crate) struct TaskCall {
    context: TaskContext,
    name: CString,
    failure: Option<TaskError>,
}

/// A task handler. Runs on a pool or worker thread, possibly on several threads at once
/// with the same userdata. Returns the task's result, which the library takes, or NULL after
/// `dd_task_context_fail` says why it failed.
pub type dd_task_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        task: *mut dd_task_context,
        args: *const dd_value,
    ) -> *mut dd_value,
>;

/// The task's id: the same on every attempt, an idempotency key. 0 for a NULL task.
#[no_mangle]
pub extern "C" fn dd_task_context_id(task: *const dd_task_context) -> u64 {
    guard_value(0, || try_ref(task, "task").map_or(0, |t| t.context.id()))
}

/// 1 on the first run, more after a worker died under the task. 0 for a NULL task.
#[no_mangle]
pub extern "C" fn dd_task_context_attempt(task: *const dd_task_context) -> u32 {
    guard_value(0, || {
        try_ref(task, "task").map_or(0, |t| t.context.attempt())
    })
}

/// The task's name, borrowed from the task. NULL only for a NULL task.
#[no_mangle]
pub extern "C" fn dd_task_context_name(task: *const dd_task_context) -> *const c_char {
    guard_value(std::ptr::null(), || {
        try_ref(task, "task").map_or(std::ptr::null(), |t| t.name.as_ptr())
    })
}

/// Whether the caller gave up on the task (cancel or deadline): a long handler may stop.
#[no_mangle]
pub extern "C" fn dd_task_context_is_cancelled(task: *const dd_task_context) -> bool {
    guard_value(false, || {
        try_ref(task, "task").is_ok_and(|t| t.context.is_cancelled())
    })
}

/// How long until the caller's deadline, in ms (0 once it passed); -1 (no value) when the
/// caller set none, and for a NULL task.
#[no_mangle]
pub extern "C" fn dd_task_context_time_left_ms(task: *const dd_task_context) -> i64 {
    guard_value(-1, || {
        try_ref(task, "task")
            .ok()
            .and_then(|t| t.context.time_left())
            .map_or(-1, |left| {
                i64::try_from(left.as_millis()).unwrap_or(i64::MAX)
            })
    })
}

/// Marks the task failed with an error class and message, which reach the caller as a
/// remote error; the handler then returns NULL.
#[no_mangle]
pub extern "C" fn dd_task_context_fail(
    task: *mut dd_task_context,
    class: *const c_char,
    message: *const c_char,
) -> dd_status {
    guard(|| {
        let (class, message) = (text(class, "class")?, text(message, "message")?);
        try_mut(task, "task")?.failure = Some(TaskError::new(class, message));
        Ok(())
    })
}

/// The C function a `dd_task_cb` holds.
type TaskFn =
    unsafe extern "C" fn(*mut c_void, *mut dd_task_context, *const dd_value) -> *mut dd_value;

/// A Rust task handler that calls a C one.
fn task_handler(
    cb: TaskFn,
    userdata: Arc<Userdata>,
) -> impl Fn(&TaskContext, Value) -> TaskResult + Send + Sync + 'static {
    move |context, args| {
        let mut task = TaskCall {
            context: context.clone(),
            name: CString::new(context.name()).unwrap_or_default(),
            failure: None,
        };
        // SAFETY: the C handler, on a task thread, as the header says; the context and the
        // arguments are borrowed for the call.
        let result = unsafe { cb(userdata.get(), lend_mut(&mut task), lend_value(&args)) };
        if result.is_null() {
            return Err(task.failure.unwrap_or_else(|| {
                TaskError::new(
                    "NoResult",
                    "the task handler returned NULL without dd_task_context_fail",
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
    guard(|| with_node(node, |node| register_task(node.tasks(), name, cb, userdata)))
}
