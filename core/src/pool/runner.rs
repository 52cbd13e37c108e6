//! Runs the jobs of a pool's local threads or of a worker: a Rust handler on the runner's own
//! threads (started when the first such job comes, so a runner whose tasks are all host
//! tasks starts none), a host task on the host threads serving its queue. Every result comes
//! back on one channel and wakes the owner's reactor.

use super::cancels::Cancels;
use super::host_queue::HostJob;
use super::registry::{TaskHandler, TaskRegistry};
use super::task::{Job, TaskError, TaskFn, TaskResult, UNKNOWN_TASK_CLASS};
use crate::reactor::Waker;
use crate::threads::JobThreads;
use crossbeam_channel::{Receiver, Sender};
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::Arc;

/// Task names whose handlers a runner keeps at hand.
const MAX_CACHED_HANDLERS: usize = 256;

pub(crate) struct TaskRunner {
    name: String,
    registry: TaskRegistry,
    thread_count: usize,
    threads: Option<JobThreads<(Arc<TaskFn>, Job)>>,
    results_tx: Sender<(u64, TaskResult)>,
    results: Receiver<(u64, TaskResult)>,
    waker: Arc<Waker>,
    /// What runs or waits to run now: only those can be flagged cancelled.
    running: FxHashSet<u64>,
    cancels: Arc<Cancels>,
    /// The registry's handlers by task name, as of `handlers_generation`: looked up once
    /// per name, not per task (the registry is shared behind a lock).
    handlers: FxHashMap<Arc<str>, Option<TaskHandler>>,
    /// None until the cache was first filled.
    handlers_generation: Option<u64>,
}

impl TaskRunner {
    /// A runner of `registry`'s tasks, `threads` at once for Rust handlers (threads named
    /// `{name}-{i}`), waking `waker` with each result.
    pub(crate) fn new(
        name: &str,
        threads: usize,
        registry: TaskRegistry,
        waker: Arc<Waker>,
    ) -> Self {
        let (results_tx, results) = crossbeam_channel::unbounded();
        TaskRunner {
            name: name.to_owned(),
            registry,
            thread_count: threads.max(1),
            threads: None,
            results_tx,
            results,
            waker,
            running: FxHashSet::default(),
            cancels: Arc::default(),
            handlers: FxHashMap::default(),
            handlers_generation: None,
        }
    }

    /// How many tasks run at once on the Rust threads.
    pub(crate) fn thread_count(&self) -> usize {
        self.thread_count
    }

    /// Starts a job; its result comes back through [`TaskRunner::next_result`].
    pub(crate) fn run(&mut self, mut job: Job) {
        let id = job.context.id();
        self.running.insert(id);
        job.context.watch(&self.cancels);
        match self.handler(job.context.name_arc()) {
            Some(TaskHandler::Native(handler)) => match self.threads() {
                Ok(threads) => threads.submit((handler, job)),
                Err(e) => self.answer(id, Err(TaskError::new("Stopped", e.to_string()))),
            },
            Some(TaskHandler::Host(queue)) => {
                let waker = Arc::clone(&self.waker);
                queue.push(HostJob::new(job, self.results_tx.clone(), waker));
            }
            None => {
                let message = format!("no task named {:?} here", job.context.name());
                self.answer(id, Err(TaskError::new(UNKNOWN_TASK_CLASS, message)));
            }
        }
    }

    /// What runs task `name`, from the cache while the registry has not changed.
    fn handler(&mut self, name: &Arc<str>) -> Option<TaskHandler> {
        let generation = Some(self.registry.generation());
        if generation != self.handlers_generation {
            self.handlers.clear();
            self.handlers_generation = generation;
        }
        if let Some(handler) = self.handlers.get(&**name) {
            return handler.clone();
        }
        let handler = self.registry.get(name);
        // Names come from the pool: however many it sends, the cache stays small.
        if self.handlers.len() >= MAX_CACHED_HANDLERS {
            self.handlers.clear();
        }
        self.handlers.insert(Arc::clone(name), handler.clone());
        handler
    }

    fn threads(&mut self) -> std::io::Result<&JobThreads<(Arc<TaskFn>, Job)>> {
        if self.threads.is_none() {
            let threads = JobThreads::start(
                &self.name,
                self.thread_count,
                &self.results_tx,
                &self.waker,
                |(handler, job): (Arc<TaskFn>, Job)| (job.context.id(), job.run(&*handler)),
            )?;
            self.threads = Some(threads);
        }
        Ok(self.threads.as_ref().expect("started above"))
    }

    /// A result known at once (no thread runs it).
    fn answer(&self, id: u64, result: TaskResult) {
        // The receiver is ours; the owner drains it at its next turn, which the wake-up
        // makes sure comes.
        let _ = self.results_tx.send((id, result));
        self.waker.wake();
    }

    /// Flags a running job cancelled; its handler sees it in `ctx.is_cancelled()`.
    pub(crate) fn cancel(&self, id: u64) {
        if self.running.contains(&id) {
            self.cancels.cancel(id);
        }
    }

    /// A finished job's result.
    pub(crate) fn next_result(&mut self) -> Option<(u64, TaskResult)> {
        let (id, result) = self.results.try_recv().ok()?;
        self.running.remove(&id);
        self.cancels.forget(id);
        Some((id, result))
    }
}
