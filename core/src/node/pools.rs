//! Worker pools seen from the node: named tasks, the pools' links and what waits on them
//! (callbacks, `map` feeds), and [`PoolRef`]'s `defer`, `map` and `cancel`.

use super::Node;
use crate::bert::Value;
use crate::error::Error;
use crate::pool::{
    Command, Done, Ending, IdSource, PoolLink, PoolOptions, PoolSnapshot, Task, TaskRegistry,
};
use crate::reactor::Waker;
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

/// Who waits for a task's result.
enum Waiter {
    Callback(TaskCallback),
    Feed { feed: usize, index: u64 },
}

/// A `map` in progress: items are submitted as results free room.
struct Feed {
    task: Arc<str>,
    items: Box<dyn Iterator<Item = Result<Value, Error>>>,
    next_index: u64,
    in_flight: usize,
    exhausted: bool,
    on_result: Option<FeedCallback>,
    on_done: Option<DoneCallback>,
}

/// A task's result, for the node to hand to whoever waits for it.
pub(crate) enum Delivery {
    Callback(TaskCallback, Result<Value, Error>),
    /// An item of a `map`: its callback is lent for the call (give it back with
    /// [`Pools::restore_feed_callback`]).
    Item {
        pool: usize,
        feed: usize,
        on_result: FeedCallback,
        index: u64,
        result: Result<Value, Error>,
    },
}

/// What pumping a pool's feeds leaves for the node to call.
#[derive(Default)]
pub(crate) struct FeedOutcome {
    pub(crate) finished: Vec<DoneCallback>,
    pub(crate) errors: Vec<Error>,
}

/// A pool as the node holds it.
struct NodePool {
    link: PoolLink,
    waiters: FxHashMap<u64, (Arc<str>, Waiter)>,
    /// Tasks not yet handed to the pool's thread (see [`Pools::flush`]).
    outbox: Vec<Task>,
    feeds: Vec<Option<Feed>>,
    ids: IdSource,
}

/// A node's named tasks and pools.
#[derive(Default)]
pub(crate) struct Pools {
    tasks: TaskRegistry,
    pools: Vec<NodePool>,
    /// Inside `run`: submissions wait for the end of the turn to go out in one batch.
    batching: bool,
}

impl Pools {
    pub(crate) fn tasks(&self) -> &TaskRegistry {
        &self.tasks
    }

    pub(crate) fn len(&self) -> usize {
        self.pools.len()
    }

    /// Submissions wait for [`Pools::flush`] (inside the loop) or go at once (outside it).
    pub(crate) fn set_batching(&mut self, batching: bool) {
        self.batching = batching;
    }

    /// Starts a pool; returns the endpoints it bound.
    pub(crate) fn start(
        &mut self,
        name: &str,
        options: PoolOptions,
        context: &zmq::Context,
        node_waker: &Arc<Waker>,
    ) -> Result<Vec<String>, Error> {
        if name.is_empty() {
            return Err(Error::InvalidArgument("a pool needs a name".into()));
        }
        if self.pools.iter().any(|p| p.link.name() == name) {
            return Err(Error::InvalidArgument(format!(
                "a worker pool named {name:?} already exists"
            )));
        }
        let link = PoolLink::start(name, options, self.tasks.clone(), context, node_waker)?;
        let endpoints = link.endpoints().to_vec();
        self.pools.push(NodePool {
            link,
            waiters: FxHashMap::default(),
            outbox: Vec::new(),
            feeds: Vec::new(),
            ids: IdSource::new(),
        });
        Ok(endpoints)
    }

    pub(crate) fn index_of(&self, name: &str) -> Result<usize, Error> {
        self.pools
            .iter()
            .position(|p| p.link.name() == name)
            .ok_or_else(|| Error::NoSuchPool(name.to_owned()))
    }

    /// Submits a task; returns its id.
    fn defer(
        &mut self,
        pool: usize,
        task: &str,
        args: Value,
        options: TaskOptions,
        callback: TaskCallback,
    ) -> Result<u64, Error> {
        check_task_name(task)?;
        let target = &mut self.pools[pool];
        if target.waiters.len() >= target.link.max_pending() {
            return Err(Error::Backpressure {
                route: format!("pool {}", target.link.name()),
                bound: target.link.max_pending(),
            });
        }
        let waiter = Waiter::Callback(callback);
        let id = target.submit(Arc::from(task), args, options.timeout, waiter);
        self.flush_unless_batching(pool);
        Ok(id)
    }

    fn add_feed(&mut self, pool: usize, feed: Feed) {
        self.pools[pool].feeds.push(Some(feed));
    }

    /// Takes the next error a pool's thread has for `on_error`.
    pub(crate) fn next_notice(&self, pool: usize) -> Option<Error> {
        self.pools[pool].link.next_notice()
    }

    /// Takes the next batch of endings from a pool's thread.
    pub(crate) fn next_batch(&mut self, pool: usize) -> Option<Vec<Done>> {
        self.pools[pool].link.next_done()
    }

    /// Who waits for a task that ended, and its result.
    pub(crate) fn settle(&mut self, pool: usize, done: Done) -> Option<Delivery> {
        let target = &mut self.pools[pool];
        let (task, waiter) = target.waiters.remove(&done.id)?;
        let result = outcome(target.link.name(), &task, done.id, done.ending);
        match waiter {
            Waiter::Callback(callback) => Some(Delivery::Callback(callback, result)),
            Waiter::Feed { feed, index } => {
                let state = target.feeds.get_mut(feed)?.as_mut()?;
                state.in_flight -= 1;
                let on_result = state.on_result.take()?;
                Some(Delivery::Item {
                    pool,
                    feed,
                    on_result,
                    index,
                    result,
                })
            }
        }
    }

    /// Tasks submitted whose callbacks have not run, in every pool.
    pub(crate) fn waiting(&self) -> usize {
        self.pools.iter().map(|p| p.waiters.len()).sum()
    }

    /// Ends every task of `pool` still outstanding: each is cancelled at the pool and its
    /// waiter gets `Error::Stopped`; the pool's `map` feeds submit no more.
    pub(crate) fn hand_back(&mut self, pool: usize) -> Vec<Delivery> {
        let target = &mut self.pools[pool];
        target.flush();
        for feed in target.feeds.iter_mut().flatten() {
            feed.exhausted = true;
        }
        let ids: Vec<u64> = target.waiters.keys().copied().collect();
        let mut deliveries = Vec::with_capacity(ids.len());
        for &id in &ids {
            target.link.send(Command::Cancel(id));
        }
        for id in ids {
            let done = Done {
                id,
                ending: Ending::Stopped,
            };
            deliveries.extend(self.settle(pool, done));
        }
        deliveries
    }

    /// Gives back a `map` callback lent by [`Delivery::Item`].
    pub(crate) fn restore_feed_callback(
        &mut self,
        pool: usize,
        feed: usize,
        on_result: FeedCallback,
    ) {
        if let Some(Some(state)) = self.pools[pool].feeds.get_mut(feed) {
            state.on_result = Some(on_result);
        }
    }

    /// Submits the items a pool's feeds have room for; returns what the node must call:
    /// the `on_done` callbacks of the feeds that finished, and the errors of the items that
    /// could not be read (each of which ended its feed's submitting).
    pub(crate) fn pump_feeds(&mut self, pool: usize) -> FeedOutcome {
        let mut outcome = FeedOutcome::default();
        let target = &mut self.pools[pool];
        for feed in 0..target.feeds.len() {
            loop {
                let room = target.waiters.len() < target.link.max_pending();
                let window = target.link.max_pending();
                let Some(state) = target.feeds[feed].as_mut() else {
                    break;
                };
                if state.exhausted || !room || state.in_flight >= window {
                    break;
                }
                let args = match state.items.next() {
                    Some(Ok(args)) => args,
                    Some(Err(error)) => {
                        state.exhausted = true;
                        outcome.errors.push(error);
                        break;
                    }
                    None => {
                        state.exhausted = true;
                        break;
                    }
                };
                let index = state.next_index;
                state.next_index += 1;
                state.in_flight += 1;
                let task = Arc::clone(&state.task);
                target.submit(task, args, None, Waiter::Feed { feed, index });
            }
            let done = target.feeds[feed]
                .as_ref()
                .is_some_and(|f| f.exhausted && f.in_flight == 0);
            if done {
                if let Some(on_done) = target.feeds[feed].take().and_then(|f| f.on_done) {
                    outcome.finished.push(on_done);
                }
            }
        }
        while target.feeds.last().is_some_and(Option::is_none) {
            target.feeds.pop();
        }
        outcome
    }

    fn cancel(&mut self, pool: usize, id: u64) -> bool {
        let target = &mut self.pools[pool];
        if !target.waiters.contains_key(&id) {
            return false;
        }
        // The submission goes first, so the pool knows the task it is told to cancel.
        target.flush();
        target.link.send(Command::Cancel(id));
        true
    }

    fn flush_unless_batching(&mut self, pool: usize) {
        if !self.batching {
            // Outside the loop no turn ends to send the batch: the task goes now.
            self.pools[pool].flush();
        }
    }

    /// Hands what was submitted since the last flush to the pools' threads: called before
    /// the loop waits, so tasks go out in one batch per turn.
    pub(crate) fn flush(&mut self) {
        for pool in &mut self.pools {
            pool.flush();
        }
    }

    /// The pools' counters for `stats`.
    pub(crate) fn stats(&self) -> Value {
        Value::Dict(
            self.pools
                .iter()
                .map(|p| {
                    let Value::Dict(mut entries) = p.link.snapshot().to_value() else {
                        unreachable!("a snapshot is a dict")
                    };
                    let waiting = Value::from(p.waiters.len() as u64);
                    entries.insert(0, (Value::from("waiting"), waiting));
                    (Value::from(p.link.name()), Value::Dict(entries))
                })
                .collect(),
        )
    }

    /// The pools' names, in the order they started.
    pub(crate) fn names(&self) -> Vec<String> {
        self.pools
            .iter()
            .map(|p| p.link.name().to_owned())
            .collect()
    }

    /// Each pool's name and counters as its thread last published them.
    pub(crate) fn snapshots(&self) -> impl Iterator<Item = (&str, PoolSnapshot)> {
        self.pools
            .iter()
            .map(|p| (p.link.name(), p.link.snapshot()))
    }

    /// Stops every pool's thread (each tells its workers it is going).
    pub(crate) fn clear(&mut self) {
        self.pools.clear();
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
        self.outbox.push(Task::new(id, task, args, timeout));
        id
    }

    fn flush(&mut self) {
        if !self.outbox.is_empty() {
            // The next turn's batch is likely as large: room for it now, not grown (and its
            // tasks moved) step by step.
            let room = Vec::with_capacity(self.outbox.len());
            let batch = std::mem::replace(&mut self.outbox, room);
            self.link.send(Command::Submit(batch));
        }
    }
}

/// A pool of a node, borrowed to submit tasks: `node.pool("name")?`.
pub struct PoolRef<'a> {
    node: &'a mut Node,
    index: usize,
}

impl<'a> PoolRef<'a> {
    pub(crate) fn new(node: &'a mut Node, index: usize) -> Self {
        PoolRef { node, index }
    }

    fn pools(&mut self) -> &mut Pools {
        self.node.pools_mut()
    }

    /// The endpoints the pool bound for remote workers.
    pub fn endpoints(&self) -> &[String] {
        self.node.pools().pools[self.index].link.endpoints()
    }

    /// Tasks submitted whose callbacks have not run yet.
    pub fn outstanding(&self) -> usize {
        self.node.pools().pools[self.index].waiters.len()
    }

    /// Runs `task` with `args` on the pool; `callback` gets the result on the loop's thread.
    /// Returns the task's id (for `cancel`). Past `max_pending` outstanding tasks the task is
    /// refused with `Error::Backpressure`.
    ///
    /// ```
    /// use dripdrop::{Node, PoolOptions, TaskError, Value};
    ///
    /// let mut node = Node::new()?;
    /// node.task("square", |_task, n| match n {
    ///     Value::Int(n) => Ok(Value::Int(n * n)),
    ///     other => Err(TaskError::new("ArgumentError", format!("{other:?} is not a number"))),
    /// });
    /// node.worker_pool("math", PoolOptions::local(2))?;
    /// let answer = std::rc::Rc::new(std::cell::Cell::new(None));
    /// let slot = answer.clone();
    /// let id = node.pool("math")?.defer("square", 7, move |node, result| {
    ///     slot.set(Some(result));            // Ok(value), or Err(Error::Remote{..}) and kin
    ///     node.stop();
    /// })?;
    /// assert!(id > 0);                      // the task's id, for `cancel`
    /// node.run()?;
    /// assert_eq!(answer.take(), Some(Ok(Value::Int(49))));
    /// # Ok::<(), dripdrop::Error>(())
    /// ```
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
        let index = self.index;
        self.pools()
            .defer(index, task, args.into(), options, Box::new(callback))
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
        self.try_map(task, items.into_iter().map(Ok), on_result, on_done)
    }

    /// `map` over items that may fail to come (a host language's iterator that raises): the
    /// first `Err` ends the submitting and goes to `on_error`; the items submitted before it
    /// still run and reach `on_result`, and `on_done` runs after the last of them.
    pub fn try_map(
        &mut self,
        task: &str,
        items: impl IntoIterator<Item = Result<Value, Error>> + 'static,
        on_result: impl FnMut(&mut Node, u64, Result<Value, Error>) + 'static,
        on_done: impl FnOnce(&mut Node) + 'static,
    ) -> Result<(), Error> {
        check_task_name(task)?;
        let feed = Feed {
            task: Arc::from(task),
            items: Box::new(items.into_iter()),
            next_index: 0,
            in_flight: 0,
            exhausted: false,
            on_result: Some(Box::new(on_result)),
            on_done: Some(Box::new(on_done)),
        };
        let index = self.index;
        self.pools().add_feed(index, feed);
        self.node.pump_feeds(index);
        self.pools().flush_unless_batching(index);
        Ok(())
    }

    /// Gives up on a task: its callback gets `Error::Cancelled` (a worker running it is told
    /// to cancel; its result is dropped). False if the task already finished.
    pub fn cancel(&mut self, id: u64) -> bool {
        let index = self.index;
        self.pools().cancel(index, id)
    }

    /// The pool's counters.
    pub fn stats(&self) -> Value {
        self.node.pools().pools[self.index]
            .link
            .snapshot()
            .to_value()
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
    // The names are copied only for an error: this runs once per task.
    let (pool, task) = (pool.to_owned(), task.to_owned());
    Err(match ending {
        Ending::Ok(value) => return Ok(value),
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
