//! Timers: `every`, `after`, `next_tick`, and cancelling them.

use crate::callback::{dd_free_cb, Userdata};
use crate::node::{callback, dd_node, dd_node_cb, lend_node, node_mut};
use crate::status::{arg_mut, dd_status, guard, Fail, Result};
use dripdrop::{Node, TimerId};
use std::ffi::c_void;
use std::time::Duration;

fn write_id(out: *mut u64, id: TimerId) -> Result<()> {
    // The id out-pointer is optional: a timer nobody cancels needs no id.
    if !out.is_null() {
        *arg_mut(out, "timer_out")? = id.to_raw();
    }
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
        let node = node_mut(node)?;
        let cb = callback(cb, "cb")?;
        let period = Duration::from_millis(period_ms.max(1));
        let id = node.every(period, move |node: &mut Node| {
            // SAFETY: the C callback, on the node's thread.
            unsafe { cb(userdata.get(), lend_node(node)) };
        });
        write_id(timer_out, id)
    })
}

/// Calls `cb` once on the node's thread after `delay_ms`; `userdata_free` runs after it (or
/// when the timer is cancelled).
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
        let node = node_mut(node)?;
        let cb = callback(cb, "cb")?;
        let id = node.after(Duration::from_millis(delay_ms), move |node: &mut Node| {
            // SAFETY: as above.
            unsafe { cb(userdata.get(), lend_node(node)) };
        });
        write_id(timer_out, id)
    })
}

/// Calls `cb` once on the node's thread at the loop's next turn.
#[no_mangle]
pub extern "C" fn dd_node_next_tick(
    node: *mut dd_node,
    cb: dd_node_cb,
    userdata: *mut c_void,
    userdata_free: dd_free_cb,
) -> dd_status {
    let userdata = Userdata::new(userdata, userdata_free);
    guard(|| {
        let node = node_mut(node)?;
        let cb = callback(cb, "cb")?;
        node.next_tick(move |node: &mut Node| {
            // SAFETY: as above.
            unsafe { cb(userdata.get(), lend_node(node)) };
        });
        Ok(())
    })
}

/// Cancels a timer (also from inside its own callback); `DD_ERR_NOT_FOUND` if it already
/// fired or never existed.
#[no_mangle]
pub extern "C" fn dd_node_cancel_timer(node: *mut dd_node, timer: u64) -> dd_status {
    guard(|| {
        if node_mut(node)?.cancel_timer(TimerId::from_raw(timer)) {
            Ok(())
        } else {
            Err(Fail::NotFound(format!("no timer {timer}")))
        }
    })
}
