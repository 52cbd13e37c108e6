//! `DripDrop::Native::Node`: the reactor from Ruby. The loop holds the GVL while it runs
//! callbacks and releases it only while it waits, with an unblocking function that wakes it;
//! after each wait it runs Ruby's interrupts itself, so Ctrl-C, `Timeout` and `Thread#kill`
//! stop it promptly. `DripDrop::Node` (lib/dripdrop/node.rb) is the Ruby API over it.

use crate::convert::{from_ruby, to_ruby};
use crate::errors::{error, rb_result};
use crate::gvl;
use crate::message::{message_class, message_of, message_to_ruby};
use crate::options::{pool_options, route_options, seconds};
use crate::response::RbResponse;
use crate::retained::Key;
use crate::shared::{call, exception_of, Shared};
use crate::tasks::RbTaskQueue;
use dripdrop::pool::HostQueue;
use dripdrop::{Mode, Node, NodeHandle, NodeOptions, RouteKind, TaskOptions, TimerId};
use magnus::{
    gc, prelude::*, typed_data::Obj, DataTypeFunctions, Error, RArray, RClass, RHash, Ruby,
    TypedData, Value,
};
use std::cell::{Cell, RefCell, UnsafeCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

/// A `Send` wrapper for what only the loop's thread touches: closures posted through the
/// node's handle run on the loop's thread, where the node and its `Shared` live.
struct LoopOnly<T>(T);
// SAFETY: see above; the value is only dereferenced on the loop's thread.
unsafe impl<T> Send for LoopOnly<T> {}

#[derive(TypedData)]
#[magnus(class = "DripDrop::Native::Node", mark, size)]
pub struct RbNode {
    node: UnsafeCell<Option<Node>>,
    shared: Rc<Shared>,
    handle: NodeHandle,
    /// The Ruby thread inside `run`, as a raw VALUE; 0 when not running.
    running_thread: Cell<rb_sys::VALUE>,
    /// One-shot timers' retained blocks, released on cancel.
    timer_blocks: RefCell<HashMap<u64, Key>>,
    queue: RefCell<Option<Obj<RbTaskQueue>>>,
    /// The task queue's closer: a collected node ends its task threads.
    host_queue: RefCell<Option<Arc<HostQueue>>>,
}

impl Drop for RbNode {
    fn drop(&mut self) {
        if let Some(queue) = self.host_queue.get_mut().take() {
            queue.close();
        }
    }
}

// SAFETY: a node is only touched by one thread at a time: every method runs with the GVL
// held, and while `run` waits without it no other thread may use the node (`with_node`
// refuses other threads while it runs). libzmq sockets may move between threads with a
// full barrier between uses, which the GVL hand-over provides.
unsafe impl Send for RbNode {}

impl DataTypeFunctions for RbNode {
    fn mark(&self, marker: &gc::Marker) {
        self.shared.retained.mark(marker);
        if let Ok(queue) = self.queue.try_borrow() {
            if let Some(queue) = *queue {
                marker.mark(queue);
            }
        }
    }
}

fn current_thread() -> rb_sys::VALUE {
    // SAFETY: methods run on a Ruby thread with the GVL.
    unsafe { rb_sys::rb_thread_current() }
}

impl RbNode {
    /// Runs `f` with the node: the callback's while one runs, else the node's own. Other
    /// threads are refused while the loop runs: they use `post`.
    pub(crate) fn with_node<T>(
        &self,
        ruby: &Ruby,
        f: impl FnOnce(&mut Node) -> Result<T, dripdrop::Error>,
    ) -> Result<T, Error> {
        let node = self.node_ptr(ruby)?;
        // SAFETY: see `node_ptr`.
        rb_result(ruby, f(unsafe { &mut *node }))
    }

    /// The node to use now. While the loop runs that is the reference it lends to the
    /// callback running on its thread; otherwise the node itself.
    fn node_ptr(&self, ruby: &Ruby) -> Result<*mut Node, Error> {
        let running = self.running_thread.get();
        let active = self.shared.active.get();
        if running != 0 {
            if running != current_thread() || active.is_null() {
                return Err(error(
                    ruby,
                    "WrongThread",
                    "the node is running on another thread (or outside a callback): use post { } to reach it",
                ));
            }
            return Ok(active);
        }
        if !active.is_null() {
            return Ok(active);
        }
        // SAFETY: not running, so no reference to the node is lent out.
        match unsafe { &mut *self.node.get() } {
            Some(node) => Ok(node as *mut Node),
            None => Err(error(ruby, "Stopped", "the node is closed")),
        }
    }

    fn keep(&self, value: Value) -> Key {
        self.shared.retained.keep(value)
    }

    /// A block kept for a callback that may run many times.
    fn persistent(&self, block: Value) -> (Rc<Shared>, Key) {
        (Rc::clone(&self.shared), self.keep(block))
    }
}

/// Calls `block.call(*args)`, if the block is still there (a cancelled timer's is not).
fn call_block<A: magnus::ArgList>(ruby: &Ruby, block: Option<Value>, args: A) -> Result<(), Error> {
    match block {
        Some(block) => call(ruby, block, args),
        None => Ok(()),
    }
}

/// Calls a retained block that may run again.
fn call_kept<A: magnus::ArgList>(
    ruby: &Ruby,
    shared: &Shared,
    key: Key,
    args: A,
) -> Result<(), Error> {
    call_block(ruby, shared.retained.get(ruby, key), args)
}

/// Calls a one-shot block, letting it go.
fn call_once<A: magnus::ArgList>(
    ruby: &Ruby,
    shared: &Shared,
    key: Key,
    args: A,
) -> Result<(), Error> {
    call_block(ruby, shared.retained.take(ruby, key), args)
}

/// Calls `block.call(result, error)` with a task's value or its exception.
fn deliver(
    ruby: &Ruby,
    block: Value,
    leading: Option<Value>,
    result: Result<dripdrop::Value, dripdrop::Error>,
) -> Result<(), Error> {
    let (value, error) = match result {
        Ok(v) => (to_ruby(ruby, &v)?, ruby.qnil().as_value()),
        Err(e) => (
            ruby.qnil().as_value(),
            exception_of(crate::errors::to_rb_error(ruby, e))?,
        ),
    };
    match leading {
        Some(first) => call(ruby, block, (first, value, error)),
        None => call(ruby, block, (value, error)),
    }
}

impl RbNode {
    /// `Native::Node.new(defer_threads, run_list)`.
    fn new(ruby: &Ruby, run_list: Option<Vec<String>>) -> Result<Self, Error> {
        let options = NodeOptions {
            run_list,
            // Ruby's `defer` runs on Ruby threads (lib/dripdrop/defer.rb): the engine's own
            // defer pool would sit idle.
            defer_threads: 1,
            ..NodeOptions::default()
        };
        let node = rb_result(ruby, Node::with_options(options))?;
        Ok(RbNode {
            handle: node.handle(),
            shared: Rc::new(Shared::new(node.handle())),
            node: UnsafeCell::new(Some(node)),
            running_thread: Cell::new(0),
            timer_blocks: RefCell::new(HashMap::new()),
            queue: RefCell::new(None),
            host_queue: RefCell::new(None),
        })
    }

    /// Adds a route; returns its endpoints (with the port ZeroMQ picked for `:*`).
    fn route(
        ruby: &Ruby,
        rb_self: &Self,
        name: String,
        kind: String,
        addresses: Vec<String>,
        mode: String,
        options: Option<RHash>,
    ) -> Result<Vec<String>, Error> {
        let kind = rb_result(ruby, RouteKind::from_name(&kind))?;
        let mode = rb_result(ruby, Mode::from_name(&mode))?;
        let options = route_options(ruby, options)?;
        let addresses: Vec<&str> = addresses.iter().map(String::as_str).collect();
        rb_self.with_node(ruby, |n| {
            n.route_with(&name, kind, &addresses, mode, options)
                .map(|r| r.endpoints().to_vec())
        })
    }

    /// The route's kind name (`zmq_push`...).
    fn route_kind(ruby: &Ruby, rb_self: &Self, name: String) -> Result<String, Error> {
        rb_self.with_node(ruby, |n| {
            n.get_route(&name).map(|r| r.kind().name().to_owned())
        })
    }

    /// `block.call(message)` for each message the route receives (xrep/rep:
    /// `block.call(message, response)`), messages made as instances of `class`.
    fn on_receive(
        ruby: &Ruby,
        rb_self: Obj<Self>,
        name: String,
        class: RClass,
        block: Value,
    ) -> Result<(), Error> {
        let this = &*rb_self;
        let kind = this.with_node(ruby, |n| n.get_route(&name).map(|r| r.kind()))?;
        let (shared, key) = this.persistent(block);
        let class_key = this.keep(class.as_value());
        if kind.answers() {
            let owner = magnus::value::Opaque::from(rb_self.as_value());
            this.with_node(ruby, |n| {
                n.on_request(&name, move |node, message, response| {
                    shared.invoke(node, |ruby| {
                        let class = class_of(ruby, &shared, class_key)?;
                        let msg = message_to_ruby(ruby, class, &message)?;
                        let response = RbResponse::wrap(ruby, response, ruby.get_inner(owner));
                        call_kept(ruby, &shared, key, (msg, response))
                    })
                })
            })
        } else {
            this.with_node(ruby, |n| {
                n.on_receive(&name, move |node, message| {
                    shared.invoke(node, |ruby| {
                        let class = class_of(ruby, &shared, class_key)?;
                        let msg = message_to_ruby(ruby, class, &message)?;
                        call_kept(ruby, &shared, key, (msg,))
                    })
                })
            })
        }
    }

    /// Sends a message (a DripDrop::Message or a Hash).
    fn send_message(
        ruby: &Ruby,
        rb_self: &Self,
        name: String,
        message: Value,
    ) -> Result<(), Error> {
        let message = message_of(ruby, message)?;
        rb_self.with_node(ruby, |n| n.send_message(&name, &message))
    }

    /// Sends a request; `block.call(reply, error)` gets the reply (an instance of `class`)
    /// or the exception.
    fn send_request(
        ruby: &Ruby,
        rb_self: &Self,
        name: String,
        message: Value,
        class: RClass,
        block: Value,
    ) -> Result<(), Error> {
        let message = message_of(ruby, message)?;
        let shared = Rc::clone(&rb_self.shared);
        let key = rb_self.keep(block);
        let class_key = rb_self.keep(class.as_value());
        let sent = rb_self.with_node(ruby, |n| {
            let shared = Rc::clone(&shared);
            n.send_request(&name, &message, move |node, reply| {
                shared.invoke(node, |ruby| {
                    let class = shared.retained.take(ruby, class_key);
                    let block = shared.retained.take(ruby, key);
                    let (Some(class), Some(block)) = (class, block) else {
                        return Ok(());
                    };
                    let (reply, error) = match reply {
                        Ok(reply) => {
                            let class = RClass::from_value(class).unwrap_or(message_class(ruby)?);
                            (
                                message_to_ruby(ruby, class, &reply)?,
                                ruby.qnil().as_value(),
                            )
                        }
                        Err(e) => (
                            ruby.qnil().as_value(),
                            exception_of(crate::errors::to_rb_error(ruby, e))?,
                        ),
                    };
                    call(ruby, block, (reply, error))
                })
            })
        });
        if sent.is_err() {
            shared.retained.forget(key);
            shared.retained.forget(class_key);
        }
        sent
    }

    /// Calls `block` every `seconds`; returns the timer's id.
    fn every(ruby: &Ruby, rb_self: &Self, period: f64, block: Value) -> Result<u64, Error> {
        let period = seconds(ruby, period)?;
        let (shared, key) = rb_self.persistent(block);
        let id = rb_self.with_node(ruby, |n| {
            Ok(n.every(period, move |node| {
                shared.invoke(node, |ruby| call_kept(ruby, &shared, key, ()))
            }))
        })?;
        rb_self.timer_blocks.borrow_mut().insert(id.to_raw(), key);
        Ok(id.to_raw())
    }

    /// Calls `block` once after `seconds`; returns the timer's id.
    fn after(ruby: &Ruby, rb_self: &Self, delay: f64, block: Value) -> Result<u64, Error> {
        let delay = seconds(ruby, delay)?;
        rb_self.once(ruby, block, |n, f| n.after(delay, f))
    }

    /// Calls `block` at the loop's next turn.
    fn next_tick(ruby: &Ruby, rb_self: &Self, block: Value) -> Result<u64, Error> {
        rb_self.once(ruby, block, |n, f| n.next_tick(f))
    }

    fn once(
        &self,
        ruby: &Ruby,
        block: Value,
        schedule: impl FnOnce(&mut Node, Box<dyn FnOnce(&mut Node)>) -> TimerId,
    ) -> Result<u64, Error> {
        let (shared, key) = self.persistent(block);
        let id = self.with_node(ruby, |n| {
            Ok(schedule(
                n,
                Box::new(move |node: &mut Node| {
                    shared.invoke(node, |ruby| call_once(ruby, &shared, key, ()))
                }),
            ))
        })?;
        self.timer_blocks.borrow_mut().insert(id.to_raw(), key);
        Ok(id.to_raw())
    }

    /// Cancels a timer; false if it already fired (a one-shot) or never was.
    fn cancel_timer(ruby: &Ruby, rb_self: &Self, id: u64) -> Result<bool, Error> {
        let cancelled = rb_self.with_node(ruby, |n| Ok(n.cancel_timer(TimerId::from_raw(id))))?;
        if let Some(key) = rb_self.timer_blocks.borrow_mut().remove(&id) {
            rb_self.shared.retained.forget(key);
        }
        Ok(cancelled)
    }

    /// Sets the handler of exceptions in callbacks and of bad frames: `block.call(error)`.
    fn on_error(ruby: &Ruby, rb_self: &Self, block: Value) -> Result<(), Error> {
        let key = rb_self.keep(block);
        if let Some(old) = rb_self.shared.on_error.replace(Some(key)) {
            rb_self.shared.retained.forget(old);
        }
        let shared = Rc::clone(&rb_self.shared);
        rb_self.with_node(ruby, |n| {
            n.on_error(move |node, error| shared.report_core(node, error));
            Ok(())
        })
    }

    /// Runs `block.call` as nodelet `name` if the run list allows it; true if it ran.
    fn nodelet(ruby: &Ruby, rb_self: &Self, name: String, block: Value) -> Result<bool, Error> {
        let shared = Rc::clone(&rb_self.shared);
        let mut failure = None;
        let ran = rb_self.with_node(ruby, |n| {
            n.nodelet(&name, |node| {
                let previous = shared.active.replace(node as *mut Node);
                if let Err(e) = call(ruby, block, ()) {
                    failure = Some(e);
                }
                shared.active.set(previous);
                Ok(())
            })
        })?;
        match failure {
            Some(e) => Err(e),
            None => Ok(ran),
        }
    }

    /// Runs the loop until `stop`; the GVL is released while it waits.
    fn run(ruby: &Ruby, rb_self: &Self) -> Result<(), Error> {
        if rb_self.running_thread.get() != 0 {
            return Err(error(ruby, "Error", "the node is already running"));
        }
        let node = rb_self.node_ptr(ruby)?;
        rb_self.running_thread.set(current_thread());
        let shared = Rc::clone(&rb_self.shared);
        let waker = rb_self.handle.clone();
        let wake = move || waker.wake();
        let stopper = rb_self.handle.clone();
        // SAFETY: `node_ptr` gave the node itself (not running); from here other threads are
        // refused and callbacks reach it through the reference the loop lends them.
        let result = unsafe { &mut *node }.run_with(&mut |wait| {
            let _ = gvl::without_gvl(wait, &wake);
            if let Err(e) = gvl::check_interrupts() {
                shared.set_fatal(e);
                stopper.stop();
            }
        });
        rb_self.running_thread.set(0);
        if let Some(fatal) = rb_self.shared.take_fatal() {
            return Err(fatal);
        }
        rb_result(ruby, result)
    }

    /// Asks the loop to stop (from any thread); `run` returns once queued sends went out.
    fn stop(&self) {
        self.handle.stop();
    }

    /// Runs `block.call` on the loop's thread at its next turn; from any thread.
    fn post(ruby: &Ruby, rb_self: &Self, block: Value) -> Result<(), Error> {
        let key = rb_self.keep(block);
        let shared = LoopOnly(Rc::as_ptr(&rb_self.shared));
        let posted = rb_self.handle.post(move |node| {
            let shared = shared;
            // SAFETY: posted closures run on the loop's thread, inside `run`, while the node
            // object (which owns `Shared`) is alive.
            let shared = unsafe { &*shared.0 };
            shared.invoke(node, |ruby| call_once(ruby, shared, key, ()))
        });
        if posted.is_err() {
            rb_self.shared.retained.forget(key);
        }
        rb_result(ruby, posted)
    }

    /// Every route's (and pool's) counters, as a Hash.
    fn stats(ruby: &Ruby, rb_self: &Self) -> Result<Value, Error> {
        let stats = rb_self.with_node(ruby, |n| Ok(n.stats()))?;
        to_ruby(ruby, &stats)
    }

    /// Closes the node's sockets and threads now (rather than when it is collected).
    fn close(ruby: &Ruby, rb_self: &Self) -> Result<(), Error> {
        if rb_self.running_thread.get() != 0 {
            return Err(error(ruby, "Error", "the node is running: stop it first"));
        }
        // SAFETY: not running, so no reference to the node is lent out.
        let node = unsafe { &mut *rb_self.node.get() }.take();
        drop(node);
        rb_self.shared.retained.clear();
        Ok(())
    }

    /// The queue this node's Ruby task threads serve.
    fn task_queue(ruby: &Ruby, rb_self: &Self) -> Obj<RbTaskQueue> {
        let mut queue = rb_self.queue.borrow_mut();
        *queue.get_or_insert_with(|| {
            let queue = RbTaskQueue::new();
            *rb_self.host_queue.borrow_mut() = Some(queue.host_queue());
            ruby.obj_wrap(queue)
        })
    }

    /// Registers task `name` for this node's pools, run by the threads serving `task_queue`.
    fn task(ruby: &Ruby, rb_self: &Self, name: String) -> Result<(), Error> {
        let queue = Self::task_queue(ruby, rb_self).host_queue();
        rb_self.with_node(ruby, |n| {
            n.host_task(&name, &queue);
            Ok(())
        })
    }

    /// Starts a worker pool; returns the endpoints it bound.
    fn worker_pool(
        ruby: &Ruby,
        rb_self: &Self,
        name: String,
        options: RHash,
    ) -> Result<Vec<String>, Error> {
        let options = pool_options(ruby, options)?;
        rb_self.with_node(ruby, |n| n.worker_pool(&name, options))
    }

    /// Runs task `task` of pool `pool`; `block.call(result, error)` on the loop's thread.
    /// Returns the task's id.
    fn pool_defer(
        ruby: &Ruby,
        rb_self: &Self,
        pool: String,
        task: String,
        args: Value,
        timeout: Option<f64>,
        block: Value,
    ) -> Result<u64, Error> {
        let args = from_ruby(ruby, args)?;
        let options = TaskOptions {
            timeout: timeout.map(|t| seconds(ruby, t)).transpose()?,
        };
        let (shared, key) = rb_self.persistent(block);
        let submitted = rb_self.with_node(ruby, |n| {
            let shared = Rc::clone(&shared);
            n.pool(&pool)?
                .defer_with(&task, args, options, move |node, result| {
                    shared.invoke(node, |ruby| match shared.retained.take(ruby, key) {
                        Some(block) => deliver(ruby, block, None, result),
                        None => Ok(()),
                    })
                })
        });
        if submitted.is_err() {
            shared.retained.forget(key);
        }
        submitted
    }

    /// Feeds `items` (an Enumerator) to task `task` of pool `pool` as results free room:
    /// `on_result.call(index, result, error)` for each, then `on_done.call`.
    fn pool_map(
        ruby: &Ruby,
        rb_self: &Self,
        pool: String,
        task: String,
        items: Value,
        on_result: Value,
        on_done: Value,
    ) -> Result<(), Error> {
        let shared = Rc::clone(&rb_self.shared);
        let items_key = rb_self.keep(items);
        let result_key = rb_self.keep(on_result);
        let done_key = rb_self.keep(on_done);
        let feeder = Rc::clone(&shared);
        let values = std::iter::from_fn(move || {
            let ruby = Ruby::get().ok()?;
            let items = feeder.retained.get(&ruby, items_key)?;
            let next = items
                .funcall::<_, _, Value>("next", ())
                .and_then(|item| from_ruby(&ruby, item));
            match next {
                Ok(value) => Some(value),
                Err(e) => {
                    // StopIteration ends the feed; anything else is reported, and ends it too.
                    feeder.retained.forget(items_key);
                    if !e.is_kind_of(ruby.exception_stop_iteration()) {
                        feeder.report(&ruby, e);
                    }
                    None
                }
            }
        });
        let (for_results, for_done) = (Rc::clone(&shared), Rc::clone(&shared));
        let submitted = rb_self.with_node(ruby, |n| {
            n.pool(&pool)?.map(
                &task,
                values,
                move |node, index, result| {
                    for_results.invoke(node, |ruby| {
                        match for_results.retained.get(ruby, result_key) {
                            Some(block) => deliver(
                                ruby,
                                block,
                                Some(ruby.integer_from_u64(index).as_value()),
                                result,
                            ),
                            None => Ok(()),
                        }
                    })
                },
                move |node| {
                    for_done.retained.forget(result_key);
                    for_done.invoke(node, |ruby| call_once(ruby, &for_done, done_key, ()))
                },
            )
        });
        if submitted.is_err() {
            for key in [items_key, result_key, done_key] {
                shared.retained.forget(key);
            }
        }
        submitted
    }

    /// Gives up on a task; false if it already finished.
    fn pool_cancel(ruby: &Ruby, rb_self: &Self, pool: String, id: u64) -> Result<bool, Error> {
        rb_self.with_node(ruby, |n| Ok(n.pool(&pool)?.cancel(id)))
    }

    /// The pool's counters.
    fn pool_stats(ruby: &Ruby, rb_self: &Self, pool: String) -> Result<Value, Error> {
        let stats = rb_self.with_node(ruby, |n| Ok(n.pool(&pool)?.stats()))?;
        to_ruby(ruby, &stats)
    }

    /// The names of the nodelets set up.
    fn nodelets(ruby: &Ruby, rb_self: &Self) -> Result<RArray, Error> {
        let names = rb_self.with_node(ruby, |n| Ok(n.nodelets().to_vec()))?;
        Ok(RArray::from_iter(names))
    }

    /// Whether `run` is running.
    fn is_running(&self) -> bool {
        self.running_thread.get() != 0
    }
}

fn class_of(ruby: &Ruby, shared: &Shared, key: Key) -> Result<RClass, Error> {
    match shared.retained.get(ruby, key).and_then(RClass::from_value) {
        Some(class) => Ok(class),
        None => message_class(ruby),
    }
}

pub fn define(ruby: &Ruby, native: &magnus::RModule) -> Result<(), Error> {
    use magnus::{function, method};
    let class = native.define_class("Node", ruby.class_object())?;
    class.define_singleton_method("new", function!(RbNode::new, 1))?;
    class.define_method("route", method!(RbNode::route, 5))?;
    class.define_method("route_kind", method!(RbNode::route_kind, 1))?;
    class.define_method("on_receive", method!(RbNode::on_receive, 3))?;
    class.define_method("send_message", method!(RbNode::send_message, 2))?;
    class.define_method("send_request", method!(RbNode::send_request, 4))?;
    class.define_method("every", method!(RbNode::every, 2))?;
    class.define_method("after", method!(RbNode::after, 2))?;
    class.define_method("next_tick", method!(RbNode::next_tick, 1))?;
    class.define_method("cancel_timer", method!(RbNode::cancel_timer, 1))?;
    class.define_method("on_error", method!(RbNode::on_error, 1))?;
    class.define_method("nodelet", method!(RbNode::nodelet, 2))?;
    class.define_method("nodelets", method!(RbNode::nodelets, 0))?;
    class.define_method("run", method!(RbNode::run, 0))?;
    class.define_method("stop", method!(RbNode::stop, 0))?;
    class.define_method("running?", method!(RbNode::is_running, 0))?;
    class.define_method("post", method!(RbNode::post, 1))?;
    class.define_method("stats", method!(RbNode::stats, 0))?;
    class.define_method("close", method!(RbNode::close, 0))?;
    class.define_method("task_queue", method!(RbNode::task_queue, 0))?;
    class.define_method("task", method!(RbNode::task, 1))?;
    class.define_method("worker_pool", method!(RbNode::worker_pool, 2))?;
    class.define_method("pool_defer", method!(RbNode::pool_defer, 5))?;
    class.define_method("pool_map", method!(RbNode::pool_map, 5))?;
    class.define_method("pool_cancel", method!(RbNode::pool_cancel, 2))?;
    class.define_method("pool_stats", method!(RbNode::pool_stats, 1))?;
    Ok(())
}
