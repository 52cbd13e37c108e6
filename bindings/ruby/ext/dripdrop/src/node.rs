//! `DripDrop::Native::Node`: the reactor from Ruby, a core `HostedNode`. The loop holds the GVL
//! while it runs callbacks and releases it only while it waits, with an unblocking function
//! that wakes it; after each wait it runs Ruby's interrupts itself, so Ctrl-C, `Timeout` and
//! `Thread#kill` stop it promptly. `DripDrop::Node` (lib/dripdrop/node.rb) is the Ruby API
//! over it; its routes, timers and pools are in routes.rs, timers.rs and pools.rs.

use crate::convert::to_ruby;
use crate::errors::{error, to_rb_error, without_panic};
use crate::gvl;
use crate::options::named;
use crate::retained::Key;
use crate::running::{self, Running};
use crate::shared::{call, Shared};
use crate::tasks::RbTaskQueue;
use dripdrop::pool::HostQueue;
use dripdrop::{HostedNode, Node, NodeHandle, NodeOptions};
use magnus::{
    gc, prelude::*, typed_data::Obj, DataTypeFunctions, Error, RArray, RHash, Ruby, TypedData,
    Value,
};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

#[derive(TypedData)]
#[magnus(class = "DripDrop::Native::Node", mark, size)]
pub struct RbNode {
    /// This node's number, by which a posted block finds the running loop (see running.rs).
    number: u64,
    /// None once closed.
    hosted: RefCell<Option<HostedNode>>,
    handle: NodeHandle,
    pub(crate) shared: Rc<Shared>,
    /// The Ruby thread inside `run`, as a raw VALUE; 0 when not running.
    loop_thread: Cell<rb_sys::VALUE>,
    /// Threads of `defer` (Ruby's, lib/dripdrop/defer_pool.rb), as core read the options.
    defer_threads: usize,
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

// SAFETY: magnus wants `Send`, since any Ruby thread may hold the object. Every method runs
// with the GVL held, so no two threads touch the node at once; while the loop runs, `with_node`
// lets only the loop's thread reach it (others use the handle: post, stop), and `HostedNode`
// keeps the rest of the rules. libzmq sockets may move between threads with a full barrier
// between uses, which the GVL hand-over provides.
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
    /// Runs `f` with the node (core's `HostedNode::with`): inside a callback the loop's own,
    /// lent; outside the loop the node itself. While the loop runs, other Ruby threads are
    /// refused (`WrongThread`): a thread switch may come in the middle of a callback, and the
    /// node is that callback's. So is Ruby code that runs inside a method without a callback
    /// (a `map`'s Enumerator).
    pub(crate) fn with_node<T>(
        &self,
        ruby: &Ruby,
        f: impl FnOnce(&mut Node) -> Result<T, dripdrop::Error>,
    ) -> Result<T, Error> {
        let hosted = self.hosted.borrow();
        let Some(hosted) = hosted.as_ref() else {
            return Err(error(ruby, "Stopped", "the node is closed"));
        };
        if hosted.is_running() && self.loop_thread.get() != current_thread() {
            return Err(error(
                ruby,
                "WrongThread",
                "the node is running on another thread: use post { } to reach it",
            ));
        }
        let Some(_in_method) = self.shared.enter_method() else {
            return Err(error(
                ruby,
                "WrongThread",
                "the node is in use by the call that called this code",
            ));
        };
        without_panic(ruby, || match hosted.with(f) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) | Err(e) => Err(to_rb_error(ruby, e)),
        })
    }

    pub(crate) fn keep(&self, value: Value) -> Key {
        self.shared.retained.keep(value)
    }

    /// `Native::Node.new(options)`: node options by name (core's `NodeOptions::from_named`).
    fn new(ruby: &Ruby, options: Option<RHash>) -> Result<Self, Error> {
        // Reported to a control server as this process's language, unless the program says
        // otherwise (a later name overrides an earlier one).
        let language = ("language".to_owned(), dripdrop::Value::from("ruby"));
        let options = std::iter::once(language).chain(named(ruby, options)?);
        let options = NodeOptions::from_named(options).map_err(|e| to_rb_error(ruby, e))?;
        let defer_threads = options.defer_threads;
        // Ruby's `defer` runs on Ruby threads; core starts its own defer threads only at its
        // first defer, which Ruby never asks for.
        let node = Node::with_options(options).map_err(|e| to_rb_error(ruby, e))?;
        let hosted = HostedNode::new(node);
        let handle = hosted.handle().clone();
        let shared = Rc::new(Shared::new(handle.clone(), hosted.lender()));
        let reporter = Rc::clone(&shared);
        hosted
            .with(|n| n.on_error(move |node, e| reporter.report_core(node, e)))
            .map_err(|e| to_rb_error(ruby, e))?;
        Ok(RbNode {
            number: running::next_node_number(),
            hosted: RefCell::new(Some(hosted)),
            handle,
            shared,
            loop_thread: Cell::new(0),
            defer_threads,
            queue: RefCell::new(None),
            host_queue: RefCell::new(None),
        })
    }

    /// The number of `defer` threads the options gave (core's default when none).
    fn defer_threads(&self) -> usize {
        self.defer_threads
    }

    /// Sets the handler of exceptions in callbacks and of bad frames: `block.call(error)`.
    fn on_error(&self, block: Value) {
        let key = self.keep(block);
        if let Some(old) = self.shared.set_on_error(key) {
            self.shared.retained.forget(old);
        }
    }

    /// Runs `block.call` as nodelet `name` if the run list allows it; true if it ran. An
    /// exception in the block is raised here.
    fn nodelet(ruby: &Ruby, rb_self: &Self, name: String, block: Value) -> Result<bool, Error> {
        let shared = Rc::clone(&rb_self.shared);
        let mut failure = None;
        let ran = rb_self.with_node(ruby, |n| {
            n.nodelet(&name, |node| {
                failure = shared.lend(node, || call(ruby, block, ())).err();
                Ok(())
            })
        })?;
        match failure {
            Some(e) => Err(e),
            None => Ok(ran),
        }
    }

    /// The run list (from the options, else `DRIPDROP_RUN_LIST`), or nil: all run.
    fn run_list(ruby: &Ruby, rb_self: &Self) -> Result<Option<RArray>, Error> {
        let list = rb_self.with_node(ruby, |n| Ok(n.run_list().map(<[String]>::to_vec)))?;
        Ok(list.map(RArray::from_iter))
    }

    /// The names of the nodelets set up.
    fn nodelets(ruby: &Ruby, rb_self: &Self) -> Result<RArray, Error> {
        let names = rb_self.with_node(ruby, |n| Ok(n.nodelets().to_vec()))?;
        Ok(RArray::from_iter(names))
    }

    /// Runs the loop until `stop`; the GVL is released while it waits.
    fn run(ruby: &Ruby, rb_self: &Self) -> Result<(), Error> {
        let hosted = rb_self.hosted.borrow();
        let Some(hosted) = hosted.as_ref() else {
            return Err(error(ruby, "Stopped", "the node is closed"));
        };
        if hosted.is_running() {
            return Err(error(ruby, "Error", "the node is already running"));
        }
        rb_self.loop_thread.set(current_thread());
        let _running = Running::start(rb_self.number, Rc::clone(&rb_self.shared));
        let shared = &rb_self.shared;
        let waker = rb_self.handle.clone();
        let wake = move || waker.wake();
        let result = without_panic(ruby, || {
            let ran = hosted.run_with(&mut |wait| {
                let waited = gvl::without_gvl(
                    || {
                        wait();
                        errno::errno()
                    },
                    &wake,
                );
                if let Err(e) = gvl::check_interrupts() {
                    shared.set_fatal(e);
                    rb_self.handle.stop();
                }
                // Core reads the wait's errno (EINTR when a signal cut it short) once this
                // returns; a trap handler the interrupt check ran may have changed it.
                if let Some(errno) = waited {
                    errno::set_errno(errno);
                }
            });
            ran.map_err(|e| to_rb_error(ruby, e))
        });
        rb_self.loop_thread.set(0);
        if let Some(fatal) = rb_self.shared.take_fatal() {
            return Err(fatal);
        }
        result
    }

    /// Asks the loop to stop (from any thread); `run` returns once queued sends went out.
    fn stop(&self) {
        self.handle.stop();
    }

    /// Runs `block.call` on the loop's thread at its next turn; from any thread.
    fn post(ruby: &Ruby, rb_self: &Self, block: Value) -> Result<(), Error> {
        let key = rb_self.keep(block);
        let number = rb_self.number;
        let posted = rb_self.handle.post(move |node| {
            // Posted closures run inside `run`, on the loop's thread, where it is registered.
            if let Some(shared) = running::shared_of(number) {
                shared.invoke(node, |ruby| shared.call_once(ruby, key, ()));
            }
        });
        posted.map_err(|e| {
            rb_self.shared.retained.forget(key);
            to_rb_error(ruby, e)
        })
    }

    /// Every route's (and pool's) counters, as a Hash.
    fn stats(ruby: &Ruby, rb_self: &Self) -> Result<Value, Error> {
        let stats = rb_self.with_node(ruby, |n| Ok(n.stats()))?;
        to_ruby(ruby, &stats)
    }

    /// Closes the node's sockets and threads now (rather than when it is collected).
    fn close(ruby: &Ruby, rb_self: &Self) -> Result<(), Error> {
        let in_use = || error(ruby, "Error", "the node runs or is in use: stop it first");
        let Ok(mut hosted) = rb_self.hosted.try_borrow_mut() else {
            return Err(in_use());
        };
        if hosted.as_ref().is_some_and(HostedNode::is_in_use) {
            return Err(in_use());
        }
        drop(hosted.take());
        rb_self.shared.clear();
        Ok(())
    }

    /// Whether `run` is running.
    fn is_running(&self) -> bool {
        self.loop_thread.get() != 0
    }

    /// The queue this node's Ruby task threads serve.
    pub(crate) fn task_queue(ruby: &Ruby, rb_self: &Self) -> Obj<RbTaskQueue> {
        let mut queue = rb_self.queue.borrow_mut();
        *queue.get_or_insert_with(|| {
            let queue = RbTaskQueue::new();
            *rb_self.host_queue.borrow_mut() = Some(queue.host_queue());
            ruby.obj_wrap(queue)
        })
    }
}

pub fn define(ruby: &Ruby, native: &magnus::RModule) -> Result<(), Error> {
    use magnus::{function, method};
    let class = native.define_class("Node", ruby.class_object())?;
    class.define_singleton_method("new", function!(RbNode::new, 1))?;
    class.define_method("defer_threads", method!(RbNode::defer_threads, 0))?;
    class.define_method("on_error", method!(RbNode::on_error, 1))?;
    class.define_method("nodelet", method!(RbNode::nodelet, 2))?;
    class.define_method("nodelets", method!(RbNode::nodelets, 0))?;
    class.define_method("run_list", method!(RbNode::run_list, 0))?;
    class.define_method("run", method!(RbNode::run, 0))?;
    class.define_method("stop", method!(RbNode::stop, 0))?;
    class.define_method("running?", method!(RbNode::is_running, 0))?;
    class.define_method("post", method!(RbNode::post, 1))?;
    class.define_method("stats", method!(RbNode::stats, 0))?;
    class.define_method("close", method!(RbNode::close, 0))?;
    class.define_method("task_queue", method!(RbNode::task_queue, 0))?;
    crate::routes::define(&class)?;
    crate::timers::define(&class)?;
    crate::pools::define(&class)?;
    Ok(())
}
