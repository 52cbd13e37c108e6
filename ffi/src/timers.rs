//! Timers: `every`, `after`, `next_tick`, and cancelling them.

use crate::callback::{dd_free_cb, Userdata};
use crate::guard::{callback, guard, put_optional, Fail, Result};
use crate::node::{dd_node, dd_node_cb, with_node, NodeLoan};
use crate::status::dd_status;
use dripdrop::{Node, TimerId};
use std::ffi::c_void;
use std::time::Duration;

/// Adds a timer with `add` and gives its id through `timer_out`, which is optional: a timer
/// nobody cancels needs no id.
fn add_timer(
    node: *mut dd_node,
    timer_out: *mut u64,
    add: impl FnOnce(&mut Node, NodeLoan) -> TimerId,
) -> Result<()> {
    let loan = NodeLoan::of(node)?;
    let id = with_node(node, |node| Ok(add(node, loan)))?;
    put_optional(timer_out, id.to_raw());
    Ok(())
}

/// Calls `cb` on the node's thread every `period_ms` (at least 1), until cancelled or the
/// node is freed (then `userdata_free` runs). `timer_out` (may be NULL) gets the timer's id.
#[no_mangle]
pub extern "C" fn dd_node_every(
    node: *mut dd_node,
    period_ms: u64,
    cb: dd_node_cb,
    userdata: *mut c_void,
    userdata_free: dd_free_cb,
    timer_out: *mut u64,
) -> dd_status {
    let userdata = Userdata::new(userdata, userdata_free);
    guard(|| {
        let cb = callback(cb, "cb")?;
        let period = Duration::from_millis(period_ms.max(1));
        add_timer(node, timer_out, |node, loan| {
            node.every(period, move |node: &mut Node| {
                // SAFETY: the C callback, on the node's thread.
                loan.call(node, |node| unsafe { cb(userdata.get(), node) });
            })
        })
    })
}

/// Calls `cb` once on the node's thread after `delay_ms`; `userdata_free` runs after it (or
/// when the timer is cancelled). `timer_out` (may be NULL) gets the timer's id.
#[no_mangle]
pub extern "C" fn dd_node_after(
    node: *mut dd_node,
    delay_ms: u64,
    cb: dd_node_cb,
    userdata: *mut c_void,
    userdata_free: dd_free_cb,
    timer_out: *mut u64,
) -> dd_status {
    let userdata = Userdata::new(userdata, userdata_free);
    guard(|| {
        let cb = callback(cb, "cb")?;
        let delay = Duration::from_millis(delay_ms);
        add_timer(node, timer_out, |node, loan| {
            node.after(delay, move |node: &mut Node| {
                // SAFETY: as above.
                loan.call(node, |node| unsafe { cb(userdata.get(), node) });
            })
        })
    })
}

/// Calls `cb` once on the node's thread at the loop's next turn, after what is ready now;
/// `userdata_free` runs after it (or when the timer is cancelled). `timer_out` (may be NULL)
/// gets the timer's id.
#[no_mangle]
pub extern "C" fn dd_node_next_tick(
    node: *mut dd_node,
    cb: dd_node_cb,
    userdata: *mut c_void,
    userdata_free: dd_free_cb,
    timer_out: *mut u64,
) -> dd_status {
    let userdata = Userdata::new(userdata, userdata_free);
    guard(|| {
        let cb = callback(cb, "cb")?;
        add_timer(node, timer_out, |node, loan| {
            node.next_tick(move |node: &mut Node| {
                // SAFETY: as above.
                loan.call(node, |node| unsafe { cb(userdata.get(), node) });
            })
        })
    })
}

/// Cancels a timer (also from inside its own callback); `DD_ERR_NOT_FOUND` if it already
/// fired or never existed.
#[no_mangle]
pub extern "C" fn dd_node_cancel_timer(node: *mut dd_node, timer: u64) -> dd_status {
    guard(|| {
        if with_node(node, |node| Ok(node.cancel_timer(TimerId::from_raw(timer))))? {
            Ok(())
        } else {
            Err(Fail::NotFound(format!("no timer {timer}")))
        }
    })
}
