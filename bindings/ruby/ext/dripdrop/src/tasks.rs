//! Task handlers written in Ruby: Ruby threads serve a core `HostQueue` (`TaskQueue#serve`),
//! since Ruby may only be called from threads Ruby made.

use crate::convert::{from_ruby, to_ruby};
use crate::gvl;
use crate::shared::{call_for, is_fatal};
use crate::task::RbTask;
use dripdrop::pool::{HostJob, HostQueue, Next, TaskError};
use magnus::{error::ErrorType, prelude::*, Error, RHash, Ruby, Value};
use std::sync::Arc;
use std::time::Duration;

/// The jobs of a node's or worker's Ruby tasks, for Ruby threads to run.
#[magnus::wrap(class = "DripDrop::Native::TaskQueue", free_immediately)]
pub struct RbTaskQueue {
    queue: Arc<HostQueue>,
}

/// How often a serving thread looks whether its queue was closed or it was interrupted.
const CHECK_EVERY: Duration = Duration::from_millis(100);

impl RbTaskQueue {
    pub fn new() -> RbTaskQueue {
        RbTaskQueue {
            queue: Arc::new(HostQueue::default()),
        }
    }

    /// The queue itself, for its owner to close when the owner goes away (its Ruby threads
    /// then end rather than wait for ever).
    pub fn host_queue(&self) -> Arc<HostQueue> {
        Arc::clone(&self.queue)
    }
}

/// The task's error as the caller will see it: the exception's class, message and backtrace.
fn task_error(e: &Error) -> TaskError {
    match e.error_type() {
        ErrorType::Exception(x) => {
            let class = class_name(x.class().as_value()).unwrap_or_else(|| "Exception".into());
            let message: String = x.funcall("message", ()).unwrap_or_default();
            let backtrace: Vec<String> = x
                .funcall::<_, _, Option<Vec<String>>>("backtrace", ())
                .ok()
                .flatten()
                .unwrap_or_default();
            TaskError::new(class, message).with_backtrace(backtrace)
        }
        ErrorType::Error(class, message) => TaskError::new(
            class_name(class.as_value()).unwrap_or_default(),
            message.to_string(),
        ),
        ErrorType::Jump(tag) => {
            TaskError::new("Stopped", format!("the task's thread ended ({tag})"))
        }
    }
}

fn class_name(class: Value) -> Option<String> {
    class
        .funcall::<_, _, Option<String>>("name", ())
        .ok()
        .flatten()
}

fn run(ruby: &Ruby, handlers: RHash, job: &HostJob) -> Result<Value, Error> {
    let handler: Option<Value> = handlers.get(ruby.str_new(job.context.name()));
    let Some(handler) = handler else {
        return Err(Error::new(
            ruby.exception_name_error(),
            format!("no Ruby task named {:?}", job.context.name()),
        ));
    };
    let args = to_ruby(ruby, &job.args)?;
    let arity: i64 = handler.funcall("arity", ())?;
    // Two parameters, or one and a splat: the handler wants the task too.
    if !(-1..=1).contains(&arity) {
        let task = ruby.obj_wrap(RbTask::new(job.context.clone()));
        call_for(ruby, handler, (args, task))
    } else {
        call_for(ruby, handler, (args,))
    }
}

impl RbTaskQueue {
    /// Runs jobs until the queue closes, on this (Ruby) thread: `handlers` maps task names
    /// (Strings) to callables; one that takes two arguments also gets the task, a
    /// `DripDrop::Task`. The GVL is released while waiting. An exception that `rescue => e`
    /// would not catch fails its task and ends the thread.
    fn serve(ruby: &Ruby, rb_self: &Self, handlers: RHash) -> Result<(), Error> {
        loop {
            let queue = &rb_self.queue;
            let next = gvl::without_gvl(|| queue.next(CHECK_EVERY), &|| {});
            gvl::check_interrupts()?;
            let job = match next {
                Some(Next::Job(job)) => job,
                None | Some(Next::Idle) => continue,
                Some(Next::Closed) => return Ok(()),
            };
            match run(ruby, handlers, &job).and_then(|v| from_ruby(ruby, v)) {
                Ok(value) => job.finish(Ok(value)),
                Err(e) => {
                    let fatal = is_fatal(ruby, &e);
                    job.finish(Err(task_error(&e)));
                    if fatal {
                        return Err(e);
                    }
                }
            }
        }
    }

    /// Ends `serve` on every thread (within a tenth of a second) once no job is waiting.
    fn close(&self) {
        self.queue.close();
    }
}

pub fn define(ruby: &Ruby, native: &magnus::RModule) -> Result<(), Error> {
    use magnus::method;
    let class = native.define_class("TaskQueue", ruby.class_object())?;
    class.undef_default_alloc_func();
    class.define_method("serve", method!(RbTaskQueue::serve, 1))?;
    class.define_method("close", method!(RbTaskQueue::close, 0))?;
    Ok(())
}
