//! The named tasks a node or worker can run, and what runs each.

use super::host_queue::HostQueue;
use super::task::{TaskContext, TaskFn, TaskResult};
use crate::bert::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// What runs a named task: a Rust handler, on a Rust thread; or host threads (Ruby, Python)
/// serving a [`HostQueue`], which the task's jobs go to straight from the I/O thread.
#[derive(Clone)]
pub enum TaskHandler {
    /// A Rust (or C) handler, called on one of the runner's threads.
    Native(Arc<TaskFn>),
    /// Host-language threads serving this queue run it.
    Host(Arc<HostQueue>),
}

/// The named tasks a node or worker can run, shared with the threads that run them.
#[derive(Clone, Default)]
pub struct TaskRegistry {
    tasks: Arc<RwLock<HashMap<String, TaskHandler>>>,
    /// Bumped by every registration, so a reader caching handlers knows when to look again.
    generation: Arc<AtomicU64>,
}

impl TaskRegistry {
    /// Registers (or replaces) a task run by a Rust handler.
    pub fn register(
        &self,
        name: &str,
        handler: impl Fn(&TaskContext, Value) -> TaskResult + Send + Sync + 'static,
    ) {
        self.write()
            .insert(name.to_owned(), TaskHandler::Native(Arc::new(handler)));
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Registers (or replaces) a task run by host threads serving `queue`.
    pub fn register_host(&self, name: &str, queue: &Arc<HostQueue>) {
        self.write()
            .insert(name.to_owned(), TaskHandler::Host(Arc::clone(queue)));
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Changes with every registration.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// What runs task `name`, if it is registered.
    pub fn get(&self, name: &str) -> Option<TaskHandler> {
        self.read().get(name).cloned()
    }

    /// Whether task `name` is registered.
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
    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, TaskHandler>> {
        self.tasks.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, TaskHandler>> {
        self.tasks.write().unwrap_or_else(|p| p.into_inner())
    }
}
