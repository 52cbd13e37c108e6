//! Worker pools seen from the node: named tasks, `worker_pool`, and [`PoolRef`]'s `defer`,
//! `map` and `cancel`, with results delivered to callbacks on the loop's thread.

use super::Node;
use crate::bert::Value;
use crate::error::Error;
use crate::pool::{
    Command, Done, Ending, IdSource, PoolLink, PoolOptions, Submission, TaskContext, TaskRegistry,
    TaskResult,
};
use rustc_hash::FxHashMap;
use std::sync::Arc;
use std::time::Duration;

/// Called with a task's result on the loop's thread.
pub type TaskCallback = Box<dyn FnOnce(&mut Node, Result<Value, Error>)>;
/// Called by `map` with each item's index and result, in the order results come.
pub type FeedCallback = Box<dyn FnMut(&mut Node, u64, Result<Value, Error>)>;

/// Called by `map` after the last result.
pub type DoneCallback = Box<dyn FnOnce(&mut Node)>;

/// Per-task settings for [`PoolRef::defer_with`].
#[derive(Clone, Debug, Default)]
pub struct TaskOptions {
    /// How long the caller waits for the result; past it the task fails with
    /// `Error::TaskTimeout` and its worker is told to cancel it.
    pub timeout: Option<Duration>,
}

enum Waiter {
    Callback(TaskCallback),
    Feed { feed: usize, index: u64 },
}

/// A `map` in progress: items are submitted as results free room.
struct Feed {
    task: Arc<str>,
    items: Box<dyn Iterator<Item = Value>>,
    next_index: u64,
    in_flight: usize,
    window: usize,
    exhausted: bool,
    on_result: Option<FeedCallback>,
    on_done: Option<DoneCallback>,
}

/// A pool as the node holds it.
pub(crate) struct NodePool {
    link: PoolLink,
    waiters: FxHashMap<u64, (Arc<str>, Waiter)>,
    /// Submissions not yet handed to the pool's thread (see `flush_pools`).
    outbox: Vec<Submission>,
    feeds: Vec<Option<Feed>>,
    ids: IdSource,
}

/// A pool of this node, borrowed to submit tasks.
pub struct PoolRef<'a> {
    node: &'a mut Node,
    index: usize,
}

impl Node {
    /// Registers a named task this node's pools run on their local threads.
    pub fn task(
        &mut self,
        name: &str,
        handler: impl Fn(&TaskContext, Value) -> TaskResult + Send + Sync + 'static,
    ) -> &mut Self {
        self.tasks.register(name, handler);
        self
    }

    /// The node's named tasks.
    pub fn tasks(&self) -> &TaskRegistry {
        &self.tasks
    }

    /// Starts a worker pool; returns the endpoints it bound for remote workers (with the
    /// port of a `tcp://...:*` address filled in).
    pub fn worker_pool(&mut self, name: &str, options: PoolOptions) -> Result<Vec<String>, Error> {
        if name.is_empty() {
            return Err(Error::InvalidArgument("a pool needs a name".into()));
        }
        if self.pools.iter().any(|p| p.link.name == name) {
            return Err(Error::InvalidArgument(format!(
                "a worker pool named {name:?} already exists"
            )));
        }
        let link = PoolLink::start(
            name,
            options,
            self.tasks.clone(),
            &self.context,
            Arc::clone(&self.waker),
        )?;
        let endpoints = link.endpoints.clone();
        self.pools.push(NodePool {
            link,
            waiters: FxHashMap::default(),
            outbox: Vec::new(),
            feeds: Vec::new(),
            ids: IdSource::new(),
        });
        Ok(endpoints)
    }

    /// The pool of this name.
    pub fn pool(&mut self, name: &str) -> Result<PoolRef<'_>, Error> {
        let index = self
            .pools
            .iter()
            .position(|p| p.link.name == name)
            .ok_or_else(|| Error::NoSuchPool(name.to_owned()))?;
        Ok(PoolRef { node: self, index })
    }

    /// Delivers what the pools finished, then lets their feeds submit more.
    pub(super) fn drain_pools(&mut self) {
        for index in 0..self.pools.len() {
            while let Ok(batch) = self.pools[index].link.done.try_recv() {
                for done in batch {
                    self.deliver(index, done);
                }
            }
            self.pump_feeds(index);
        }
    }

    fn deliver(&mut self, index: usize, done: Done) {
        let pool = &mut self.pools[index];
        let Some((task, waiter)) = pool.waiters.remove(&done.id) else {
            return;
        };
        let result = outcome(&pool.link.name, &task, done.id, done.ending);
        match waiter {
            Waiter::Callback(callback) => {
                self.guarded("pool callback", |node| callback(node, result));
            }
            Waiter::Feed { feed, index: item } => {
                let slot = &mut self.pools[index].feeds[feed];
                let Some(state) = slot.as_mut() else { return };
                state.in_flight -= 1;
                let Some(mut on_result) = state.on_result.take() else {
                    return;
                };
                self.guarded("map callback", |node| on_result(node, item, result));
                if let Some(state) = self.pools[index].feeds[feed].as_mut() {
                    state.on_result = Some(on_result);
                }
            }
        }
    }

    fn pump_feeds(&mut self, index: usize) {
        for feed in 0..self.pools[index].feeds.len() {
            loop {
                let pool = &mut self.pools[index];
                let room = pool.waiters.len() < pool.link.max_pending;
                let Some(state) = pool.feeds[feed].as_mut() else {
                    break;
                };
                if state.exhausted || !room || state.in_flight >= state.window {
                    break;
                }
                let Some(args) = state.items.next() else {
                    state.exhausted = true;
                    break;
                };
                let item = state.next_index;
                state.next_index += 1;
                state.in_flight += 1;
                let task = Arc::clone(&state.task);
                let waiter = Waiter::Feed { feed, index: item };
                self.pools[index].submit(task, args, None, waiter);
            }
            let pool = &mut self.pools[index];
            let finished = pool.feeds[feed]
                .as_ref()
                .is_some_and(|f| f.exhausted && f.in_flight == 0);
            if finished {
                let state = pool.feeds[feed].take();
                if let Some(on_done) = state.and_then(|f| f.on_done) {
                    self.guarded("map done callback", on_done);
                }
            }
        }
        let pool = &mut self.pools[index];
        while pool.feeds.last().is_some_and(Option::is_none) {
            pool.feeds.pop();
        }
    }

    /// Hands what was submitted since the last flush to the pools' threads: called before
    /// the loop waits, so tasks go out in one batch per turn.
    pub(super) fn flush_pools(&mut self) {
        for pool in &mut self.pools {
            pool.flush();
        }
    }

    /// The pools' counters for `stats`.
    pub(super) fn pool_stats(&self) -> Value {
        Value::Dict(
            self.pools
                .iter()
                .map(|p| {
                    let Value::Dict(mut entries) = p.link.snapshot().to_value() else {
                        unreachable!("a snapshot is a dict")
                    };
                    entries.insert(
                        0,
                        (Value::from("waiting"), Value::from(p.waiters.len() as u64)),
                    );
                    (Value::from(p.link.name.as_str()), Value::Dict(entries))
                })
                .collect(),
        )
    }
}

impl NodePool {
    fn submit(
        &mut self,
        task: Arc<str>,
        args: Value,
        timeout: Option<Duration>,
        waiter: Waiter,
    ) -> u64 {
        let id = self.ids.next();
        self.waiters.insert(id, (Arc::clone(&task), waiter));
        self.outbox.push(Submission {
            id,
            name: task,
            args,
            timeout,
        });
        id
    }

    fn flush(&mut self) {
        if !self.outbox.is_empty() {
            self.link
                .send(Command::Submit(std::mem::take(&mut self.outbox)));
        }
    }
}

impl PoolRef<'_> {
    fn pool(&mut self) -> &mut NodePool {
        &mut self.node.pools[self.index]
    }

    /// The endpoints the pool bound for remote workers.
    pub fn endpoints(&self) -> &[String] {
        &self.node.pools[self.index].link.endpoints
    }

    /// Tasks submitted whose callbacks have not run yet.
    pub fn outstanding(&self) -> usize {
        self.node.pools[self.index].waiters.len()
    }

    /// Runs `task` with `args` on the pool; `callback` gets the result on the loop's thread.
    /// Returns the task's id (for `cancel`). Past `max_pending` outstanding tasks the task is
    /// refused with `Error::Backpressure`.
    pub fn defer(
        &mut self,
        task: &str,
        args: impl Into<Value>,
        callback: impl FnOnce(&mut Node, Result<Value, Error>) + 'static,
    ) -> Result<u64, Error> {
        self.defer_with(task, args, TaskOptions::default(), callback)
    }

    /// `defer` with per-task settings (a timeout).
    pub fn defer_with(
        &mut self,
        task: &str,
        args: impl Into<Value>,
        options: TaskOptions,
        callback: impl FnOnce(&mut Node, Result<Value, Error>) + 'static,
    ) -> Result<u64, Error> {
        check_task_name(task)?;
        let pool = self.pool();
        if pool.waiters.len() >= pool.link.max_pending {
            return Err(Error::Backpressure {
                route: format!("pool {}", pool.link.name),
                bound: pool.link.max_pending,
            });
        }
        let waiter = Waiter::Callback(Box::new(callback));
        let id = pool.submit(Arc::from(task), args.into(), options.timeout, waiter);
        if !self.node.running {
            // Outside the loop no turn ends to send the batch: the task goes now.
            self.pool().flush();
        }
        Ok(id)
    }

    /// Runs `task` once per item, submitting items only as results free room (at most the
    /// pool's `max_pending` in flight), so a producer goes exactly as fast as the workers and
    /// memory stays flat however many items there are. `on_result` gets each item's index
    /// (from 0) and result as it comes; `on_done` runs after the last.
    pub fn map(
        &mut self,
        task: &str,
        items: impl IntoIterator<Item = Value> + 'static,
        on_result: impl FnMut(&mut Node, u64, Result<Value, Error>) + 'static,
        on_done: impl FnOnce(&mut Node) + 'static,
    ) -> Result<(), Error> {
        check_task_name(task)?;
        let window = self.pool().link.max_pending;
        let feed = Feed {
            task: Arc::from(task),
            items: Box::new(items.into_iter()),
            next_index: 0,
            in_flight: 0,
            window,
            exhausted: false,
            on_result: Some(Box::new(on_result)),
            on_done: Some(Box::new(on_done)),
        };
        self.pool().feeds.push(Some(feed));
        let index = self.index;
        self.node.pump_feeds(index);
        if !self.node.running {
            self.pool().flush();
        }
        Ok(())
    }

    /// Gives up on a task: its callback gets `Error::Cancelled` (a worker running it is told
    /// to cancel; its result is dropped). False if the task already finished.
    pub fn cancel(&mut self, id: u64) -> bool {
        let pool = self.pool();
        if !pool.waiters.contains_key(&id) {
            return false;
        }
        // The submission goes first, so the pool knows the task it is told to cancel.
        pool.flush();
        pool.link.send(Command::Cancel(id));
        true
    }

    /// The pool's counters.
    pub fn stats(&self) -> Value {
        self.node.pools[self.index].link.snapshot().to_value()
    }
}

fn check_task_name(task: &str) -> Result<(), Error> {
    if task.is_empty() {
        return Err(Error::InvalidArgument("a task needs a name".into()));
    }
    Ok(())
}

/// The caller's result for how a task ended.
fn outcome(pool: &str, task: &str, id: u64, ending: Ending) -> Result<Value, Error> {
    if let Ending::Ok(value) = ending {
        return Ok(value);
    }
    let (pool, task) = (pool.to_owned(), task.to_owned());
    Err(match ending {
        Ending::Ok(_) => unreachable!("returned above"),
        Ending::Failed(e) => Error::Remote {
            class: e.class,
            message: e.message,
            backtrace: e.backtrace,
        },
        Ending::TimedOut { timeout_ms } => Error::TaskTimeout {
            pool,
            task,
            id,
            timeout_ms,
        },
        Ending::Cancelled => Error::Cancelled { pool, task, id },
        Ending::Quarantined { attempts } => Error::WorkerLost {
            pool,
            task,
            id,
            attempts,
        },
        Ending::NoWorker { waited_ms } => Error::NoWorkerForTask {
            pool,
            task,
            waited_ms,
        },
        Ending::Stopped => Error::Stopped,
        Ending::Unsendable(why) => {
            Error::InvalidArgument(format!("task {task}: its arguments cannot be sent: {why}"))
        }
    })
}
