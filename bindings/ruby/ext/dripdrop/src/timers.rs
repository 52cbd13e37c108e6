//! A node's timers from Ruby: `every`, `after`, `next_tick`, and cancelling them. A timer's
//! block stays retained until the timer is cancelled, fires for the last time, or the node
//! closes.

use crate::node::RbNode;
use crate::options::seconds;
use dripdrop::{Node, TimerId};
use magnus::{method, prelude::*, Error, RClass, Ruby, Value};
use std::cell::Cell;
use std::rc::Rc;

/// Calls `block` every `period` seconds; returns the timer's id.
fn every(ruby: &Ruby, rb_self: &RbNode, period: f64, block: Value) -> Result<u64, Error> {
    let period = seconds(ruby, period)?;
    let shared = Rc::clone(&rb_self.shared);
    let key = rb_self.keep(block);
    let id = rb_self.with_node(ruby, |n| {
        Ok(n.every(period, move |node| {
            shared.invoke(node, |ruby| shared.call_kept(ruby, key, ()))
        }))
    });
    remember(rb_self, id, key)
}

/// Calls `block` once after `delay` seconds; returns the timer's id.
fn after(ruby: &Ruby, rb_self: &RbNode, delay: f64, block: Value) -> Result<u64, Error> {
    let delay = seconds(ruby, delay)?;
    once(ruby, rb_self, block, |n, f| n.after(delay, f))
}

/// Calls `block` at the loop's next turn; returns the timer's id.
fn next_tick(ruby: &Ruby, rb_self: &RbNode, block: Value) -> Result<u64, Error> {
    once(ruby, rb_self, block, |n, f| n.next_tick(f))
}

fn once(
    ruby: &Ruby,
    rb_self: &RbNode,
    block: Value,
    schedule: impl FnOnce(&mut Node, Box<dyn FnOnce(&mut Node)>) -> TimerId,
) -> Result<u64, Error> {
    let shared = Rc::clone(&rb_self.shared);
    let key = rb_self.keep(block);
    // Known once scheduled; the timer cannot fire before this method returns.
    let scheduled = Rc::new(Cell::new(None));
    let fired = Rc::clone(&scheduled);
    let id = rb_self.with_node(ruby, |n| {
        Ok(schedule(
            n,
            Box::new(move |node: &mut Node| {
                shared.invoke(node, |ruby| {
                    let block = shared.retained.get(ruby, key);
                    if let Some(id) = fired.get() {
                        shared.forget_timer(id);
                    }
                    match block {
                        Some(block) => crate::shared::call(ruby, block, ()),
                        None => Ok(()),
                    }
                })
            }),
        ))
    });
    if let Ok(id) = &id {
        scheduled.set(Some(id.to_raw()));
    }
    remember(rb_self, id, key)
}

/// Keeps the timer's block for `cancel_timer`, or lets it go if there is no timer.
fn remember(rb_self: &RbNode, id: Result<TimerId, Error>, key: u64) -> Result<u64, Error> {
    match id {
        Ok(id) => {
            rb_self.shared.remember_timer(id.to_raw(), key);
            Ok(id.to_raw())
        }
        Err(e) => {
            rb_self.shared.retained.forget(key);
            Err(e)
        }
    }
}

/// Cancels a timer; false if it already fired (a one-shot) or never was.
fn cancel_timer(ruby: &Ruby, rb_self: &RbNode, id: u64) -> Result<bool, Error> {
    let cancelled = rb_self.with_node(ruby, |n| Ok(n.cancel_timer(TimerId::from_raw(id))))?;
    rb_self.shared.forget_timer(id);
    Ok(cancelled)
}

pub fn define(class: &RClass) -> Result<(), Error> {
    class.define_method("every", method!(every, 2))?;
    class.define_method("after", method!(after, 2))?;
    class.define_method("next_tick", method!(next_tick, 1))?;
    class.define_method("cancel_timer", method!(cancel_timer, 1))?;
    Ok(())
}
