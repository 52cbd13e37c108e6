//! A node's worker pools from Ruby: its Ruby tasks, starting a pool, and `defer`, `map`,
//! `cancel` and counters on one. Results come back on the loop's thread as `(result, error)`.

use crate::convert::{from_ruby, to_ruby};
use crate::errors::to_rb_error;
use crate::node::RbNode;
use crate::options::{named, seconds};
use crate::shared::{call, exception_of};
use dripdrop::{PoolOptions, TaskOptions};
use magnus::{method, prelude::*, Error, RArray, RClass, RHash, Ruby, Value};
use std::rc::Rc;

/// Calls `block.call(*leading, result, error)` with a task's value or its exception.
fn deliver(
    ruby: &Ruby,
    block: Value,
    index: Option<u64>,
    result: Result<dripdrop::Value, dripdrop::Error>,
) -> Result<(), Error> {
    let (value, error) = match result {
        Ok(v) => (to_ruby(ruby, &v)?, ruby.qnil().as_value()),
        Err(e) => (ruby.qnil().as_value(), exception_of(to_rb_error(ruby, e))?),
    };
    match index {
        Some(index) => call(ruby, block, (index, value, error)),
        None => call(ruby, block, (value, error)),
    }
}

/// Registers task `name` for this node's pools, run by the threads serving `task_queue`.
fn task(ruby: &Ruby, rb_self: &RbNode, name: String) -> Result<(), Error> {
    let queue = RbNode::task_queue(ruby, rb_self).host_queue();
    rb_self.with_node(ruby, |n| {
        n.host_task(&name, &queue);
        Ok(())
    })
}

/// Starts a worker pool from core's pool options by name; returns `[endpoints, local]`: the
/// endpoints it bound and how many local threads (Ruby's) its tasks want.
fn worker_pool(
    ruby: &Ruby,
    rb_self: &RbNode,
    name: String,
    options: RHash,
) -> Result<RArray, Error> {
    let options =
        PoolOptions::from_named(named(ruby, Some(options))?).map_err(|e| to_rb_error(ruby, e))?;
    let local = options.local_threads;
    let endpoints = rb_self.with_node(ruby, |n| n.worker_pool(&name, options))?;
    let out = ruby.ary_new();
    out.push(RArray::from_iter(endpoints))?;
    out.push(local)?;
    Ok(out)
}

/// Runs task `task` of pool `pool`; `block.call(result, error)` on the loop's thread.
/// Returns the task's id.
fn pool_defer(
    ruby: &Ruby,
    rb_self: &RbNode,
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
    let shared = Rc::clone(&rb_self.shared);
    let key = rb_self.keep(block);
    let submitted = rb_self.with_node(ruby, |n| {
        n.pool(&pool)?
            .defer_with(&task, args, options, move |node, result| {
                shared.invoke(node, |ruby| match shared.retained.take(ruby, key) {
                    Some(block) => deliver(ruby, block, None, result),
                    None => Ok(()),
                })
            })
    });
    if submitted.is_err() {
        rb_self.shared.retained.forget(key);
    }
    submitted
}

/// Feeds `items` (an Enumerator) to task `task` of pool `pool` as results free room (core's
/// `try_map`): `on_result.call(index, result, error)` for each, then `on_done.call`. An item
/// the Enumerator raises on (or that BERT cannot carry) ends the feeding and goes to
/// `on_error`; the items before it still run.
fn pool_map(
    ruby: &Ruby,
    rb_self: &RbNode,
    pool: String,
    task: String,
    items: Value,
    on_result: Value,
    on_done: Value,
) -> Result<(), Error> {
    let shared = &rb_self.shared;
    let items_key = rb_self.keep(items);
    let result_key = rb_self.keep(on_result);
    let done_key = rb_self.keep(on_done);
    let feeder = Rc::clone(shared);
    let values = std::iter::from_fn(move || {
        let ruby = Ruby::get().ok()?;
        let items = feeder.retained.get(&ruby, items_key)?;
        let next = items
            .funcall::<_, _, Value>("next", ())
            .and_then(|item| from_ruby(&ruby, item));
        match next {
            Ok(value) => Some(Ok(value)),
            Err(e) => {
                feeder.retained.forget(items_key);
                if e.is_kind_of(ruby.exception_stop_iteration()) {
                    None
                } else {
                    Some(Err(feeder.item_error(&ruby, e)))
                }
            }
        }
    });
    let (for_results, for_done) = (Rc::clone(shared), Rc::clone(shared));
    let submitted = rb_self.with_node(ruby, |n| {
        n.pool(&pool)?.try_map(
            &task,
            values,
            move |node, index, result| {
                for_results.invoke(node, |ruby| {
                    match for_results.retained.get(ruby, result_key) {
                        Some(block) => deliver(ruby, block, Some(index), result),
                        None => Ok(()),
                    }
                })
            },
            move |node| {
                for_done.retained.forget(result_key);
                for_done.invoke(node, |ruby| for_done.call_once(ruby, done_key, ()))
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
fn pool_cancel(ruby: &Ruby, rb_self: &RbNode, pool: String, id: u64) -> Result<bool, Error> {
    rb_self.with_node(ruby, |n| Ok(n.pool(&pool)?.cancel(id)))
}

/// The pool's counters.
fn pool_stats(ruby: &Ruby, rb_self: &RbNode, pool: String) -> Result<Value, Error> {
    let stats = rb_self.with_node(ruby, |n| Ok(n.pool(&pool)?.stats()))?;
    to_ruby(ruby, &stats)
}

pub fn define(class: &RClass) -> Result<(), Error> {
    class.define_method("task", method!(task, 1))?;
    class.define_method("worker_pool", method!(worker_pool, 2))?;
    class.define_method("pool_defer", method!(pool_defer, 5))?;
    class.define_method("pool_map", method!(pool_map, 5))?;
    class.define_method("pool_cancel", method!(pool_cancel, 2))?;
    class.define_method("pool_stats", method!(pool_stats, 1))?;
    Ok(())
}
