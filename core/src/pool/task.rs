//! Named tasks: the handlers a pool's local threads or a worker run, what a handler sees of
//! its task, and how a failure travels back to the caller.

use crate::bert::Value;
use crate::panic_message::panic_message;
use crate::waker::Waker;
use crossbeam_channel::{Receiver, Sender};
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

/// What a task handler sees besides its arguments.
#[derive(Clone, Debug)]
pub struct TaskContext {
    id: u64,
    name: Arc<str>,
    attempt: u32,
    deadline: Option<Instant>,
    cancelled: Arc<AtomicBool>,
}

impl TaskContext {
    pub(crate) fn new(id: u64, name: Arc<str>, attempt: u32, deadline: Option<Instant>) -> Self {
        TaskContext {
            id,
            name,
            attempt,
            deadline,
            cancelled: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The task's id, the same on every attempt: use it as an idempotency key when a task
    /// has effects (a task whose worker died is run again elsewhere).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The task's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// 1 on the first run, more after a worker died under the task.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// When the caller stops waiting for the result, if it set a deadline.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Whether the caller cancelled the task (or its deadline passed): a long task may check
    /// this and return early, since its result is no longer wanted.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire) || self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
    }
}

/// A task's failure as it travels back to the caller: a class (an exception class name, a
/// Rust error kind), a message and the lines of a backtrace where the handler had one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskError {
    pub class: String,
    pub message: String,
    pub backtrace: Vec<String>,
}

impl TaskError {
    pub fn new(class: impl Into<String>, message: impl Into<String>) -> Self {
        TaskError {
            class: class.into(),
            message: message.into(),
            backtrace: Vec::new(),
        }
    }

    pub fn with_backtrace(mut self, lines: Vec<String>) -> Self {
        self.backtrace = lines;
        self
    }
}

impl std::fmt::Display for TaskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.class, self.message)
    }
}

impl std::error::Error for TaskError {}

impl From<crate::Error> for TaskError {
    fn from(e: crate::Error) -> Self {
        TaskError::new("DripDrop::Error", e.to_string())
    }
}

/// What a handler returns.
pub type TaskResult = Result<Value, TaskError>;

/// A task handler: runs on a pool or worker thread, so it must be `Send + Sync`.
pub type TaskFn = dyn Fn(&TaskContext, Value) -> TaskResult + Send + Sync;

/// The named tasks a node or worker can run, shared with the threads that run them.
#[derive(Clone, Default)]
pub struct TaskRegistry {
    tasks: Arc<RwLock<HashMap<String, Arc<TaskFn>>>>,
}

impl TaskRegistry {
    /// Registers (or replaces) a task.
    pub fn register(
        &self,
        name: &str,
        handler: impl Fn(&TaskContext, Value) -> TaskResult + Send + Sync + 'static,
    ) {
        self.write().insert(name.to_owned(), Arc::new(handler));
    }

    pub fn get(&self, name: &str) -> Option<Arc<TaskFn>> {
        self.read().get(name).cloned()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.read().contains_key(name)
    }

    /// The registered names, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.read().keys().cloned().collect();
        names.sort();
        names
    }

    // A handler that panicked never holds the lock (it runs outside it), so a poisoned lock
    // still holds a consistent map.
    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<TaskFn>>> {
        self.tasks.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Arc<TaskFn>>> {
        self.tasks.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// Class of the error a panicking handler turns into.
pub const PANIC_CLASS: &str = "Panic";
/// Class of the error for a task name the runner does not know.
pub const UNKNOWN_TASK_CLASS: &str = "UnknownTask";

/// Runs a task by name; a panic or an unknown name becomes a `TaskError`.
pub(crate) fn run_task(registry: &TaskRegistry, context: &TaskContext, args: Value) -> TaskResult {
    let Some(handler) = registry.get(context.name()) else {
        return Err(TaskError::new(
            UNKNOWN_TASK_CLASS,
            format!("no task named {:?} here", context.name()),
        ));
    };
    catch_unwind(AssertUnwindSafe(|| handler(context, args)))
        .unwrap_or_else(|payload| Err(TaskError::new(PANIC_CLASS, panic_message(payload.as_ref()))))
}

/// A task handed to a task thread.
pub(crate) struct Job {
    pub(crate) context: TaskContext,
    pub(crate) args: Value,
}

/// Starts `count` threads named `{name}-{i}` that run the jobs of `jobs` until it closes,
/// handing each result to `results` and waking `waker`. A job cancelled (or past its
/// deadline) while it waited is not run: its result is no longer wanted.
pub(crate) fn start_task_threads(
    name: &str,
    count: usize,
    jobs: &Receiver<Job>,
    results: &Sender<(u64, TaskResult)>,
    registry: &TaskRegistry,
    waker: &Arc<Waker>,
) -> std::io::Result<()> {
    for i in 0..count {
        let (jobs, results) = (jobs.clone(), results.clone());
        let (registry, waker) = (registry.clone(), Arc::clone(waker));
        std::thread::Builder::new()
            .name(format!("{name}-{i}"))
            .spawn(move || {
                while let Ok(job) = jobs.recv() {
                    let id = job.context.id();
                    let result = if job.context.is_cancelled() {
                        Err(TaskError::new("Cancelled", "cancelled before it started"))
                    } else {
                        run_task(&registry, &job.context, job.args)
                    };
                    if results.send((id, result)).is_err() {
                        return;
                    }
                    waker.wake();
                }
            })?;
    }
    Ok(())
}
