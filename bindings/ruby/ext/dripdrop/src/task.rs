//! `DripDrop::Task`: what a task handler that takes a second parameter gets, core's
//! `TaskContext` (lib/dripdrop/task.rb adds `[]` for handlers written for the old Hash).

use dripdrop::TaskContext;
use magnus::{method, prelude::*, Error, RModule, Ruby};

#[magnus::wrap(class = "DripDrop::Task", free_immediately, size)]
pub struct RbTask {
    context: TaskContext,
}

impl RbTask {
    pub fn new(context: TaskContext) -> RbTask {
        RbTask { context }
    }

    /// The task's id, the same on every attempt.
    fn id(&self) -> u64 {
        self.context.id()
    }

    fn name(&self) -> String {
        self.context.name().to_owned()
    }

    /// 1 on the first run, more after a worker died under the task.
    fn attempt(&self) -> u32 {
        self.context.attempt()
    }

    /// Whether the caller cancelled the task (or its deadline passed): its result is no
    /// longer wanted.
    fn is_cancelled(&self) -> bool {
        self.context.is_cancelled()
    }

    /// Seconds until the caller's deadline (0.0 once passed), or nil without one.
    fn time_left(&self) -> Option<f64> {
        self.context.time_left().map(|left| left.as_secs_f64())
    }
}

pub fn define(ruby: &Ruby, dripdrop: &RModule) -> Result<(), Error> {
    let class = dripdrop.define_class("Task", ruby.class_object())?;
    class.undef_default_alloc_func();
    class.define_method("id", method!(RbTask::id, 0))?;
    class.define_method("name", method!(RbTask::name, 0))?;
    class.define_method("attempt", method!(RbTask::attempt, 0))?;
    class.define_method("cancelled?", method!(RbTask::is_cancelled, 0))?;
    class.define_method("time_left", method!(RbTask::time_left, 0))?;
    Ok(())
}
