//! Named tasks: the handlers a pool's local threads or a worker run, what a handler sees of
//! its task, and how a failure travels back to the caller.

use super::cancels::Cancels;
use crate::bert::Value;
use crate::panic_message::panic_message;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Instant;

/// What a task handler sees besides its arguments.
#[derive(Clone, Debug)]
pub struct TaskContext {
    id: u64,
    name: Arc<str>,
    attempt: u32,
    deadline: Option<Instant>,
    /// Where its runner flags the tasks their callers gave up on; none until a runner takes
    /// it (one board per runner, not a flag allocated per task).
    cancels: Option<Arc<Cancels>>,
}

impl TaskContext {
    pub(crate) fn new(id: u64, name: Arc<str>, attempt: u32, deadline: Option<Instant>) -> Self {
        TaskContext {
            id,
            name,
            attempt,
            deadline,
            cancels: None,
        }
    }

    /// The runner that takes the task flags its cancel on `cancels`.
    pub(crate) fn watch(&mut self, cancels: &Arc<Cancels>) {
        self.cancels = Some(Arc::clone(cancels));
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

    pub(crate) fn name_arc(&self) -> &Arc<str> {
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

    /// How long until the deadline (zero once it passed), if the caller set one.
    pub fn time_left(&self) -> Option<std::time::Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// Whether the caller cancelled the task (or its deadline passed): a long task may check
    /// this and return early, since its result is no longer wanted.
    pub fn is_cancelled(&self) -> bool {
        self.cancels
            .as_ref()
            .is_some_and(|cancels| cancels.is_cancelled(self.id))
            || self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// A task's failure as it travels back to the caller: a class (an exception class name, a
/// Rust error kind), a message and the lines of a backtrace where the handler had one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskError {
    /// The kind of failure: an exception's class name, a Rust error kind.
    pub class: String,
    /// What went wrong.
    pub message: String,
    /// Where, innermost first, when the handler's language gives a backtrace.
    pub backtrace: Vec<String>,
}

impl TaskError {
    /// An error of `class` saying `message`, with no backtrace.
    pub fn new(class: impl Into<String>, message: impl Into<String>) -> Self {
        TaskError {
            class: class.into(),
            message: message.into(),
            backtrace: Vec::new(),
        }
    }

    /// The same error with the lines of a backtrace.
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
    /// The error under the class every skin gives it (`InvalidArgument`, `DecodeError`...).
    fn from(e: crate::Error) -> Self {
        TaskError::new(e.class_name(), e.to_string())
    }
}

/// What a handler returns.
pub type TaskResult = Result<Value, TaskError>;

/// A task handler: runs on a pool or worker thread, so it must be `Send + Sync`.
pub type TaskFn = dyn Fn(&TaskContext, Value) -> TaskResult + Send + Sync;

/// Class of the error a panicking handler turns into.
pub const PANIC_CLASS: &str = "Panic";
/// Class of the error for a task name the runner does not know.
pub const UNKNOWN_TASK_CLASS: &str = "UnknownTask";
/// Class of the error of a task cancelled (or past its deadline) before it started.
pub const CANCELLED_CLASS: &str = "Cancelled";

/// A task to run: what its handler sees of it, and its arguments. A pool's local threads and
/// a worker's threads (Rust or host) get the same.
#[derive(Debug)]
pub struct Job {
    /// The task's id, name, attempt, deadline and cancel flag.
    pub context: TaskContext,
    /// The task's arguments.
    pub args: Value,
}

impl Job {
    /// Calls a Rust handler; a panic becomes a `TaskError` of class [`PANIC_CLASS`]. A job
    /// cancelled (or past its deadline) while it waited is not run: its result is no
    /// longer wanted.
    pub(crate) fn run(self, handler: &TaskFn) -> TaskResult {
        if self.context.is_cancelled() {
            return Err(cancelled_before_start());
        }
        let Job { context, args } = self;
        catch_unwind(AssertUnwindSafe(|| handler(&context, args))).unwrap_or_else(|payload| {
            Err(TaskError::new(PANIC_CLASS, panic_message(payload.as_ref())))
        })
    }
}

/// The error of a job that was cancelled before it started.
pub(crate) fn cancelled_before_start() -> TaskError {
    TaskError::new(CANCELLED_CLASS, "cancelled before it started")
}
