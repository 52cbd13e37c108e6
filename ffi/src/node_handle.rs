//! `dd_node_handle` (core's `NodeHandle`): how other threads post work to a node's loop or
//! stop it.

use crate::callback::{dd_free_cb, Userdata};
use crate::guard::{callback, guard, guard_value};
use crate::handle::{free, put, try_ref};
use crate::node::{dd_node, dd_node_cb, with_node, NodeLoan};
use crate::status::dd_status;
use dripdrop::NodeHandle;
use std::ffi::c_void;

/// Lets other threads post work to a node's loop or stop it. Thread-safe; it may outlive its
/// node (its calls then fail with `DD_ERR_STOPPED` or do nothing).
pub struct dd_node_handle {
    _private: [u8; 0],
}

/// What a `dd_node_handle` points to: core's handle, and the node's `dd_node *` for the
/// callbacks it posts (only ever used on the node's own thread, by a posted callback, which
/// runs only while the node lives).
pub(crate) struct NodeHandleCell {
    handle: NodeHandle,
    node: NodePointer,
}

/// The node's pointer, carried to the node's thread inside a posted closure.
#[derive(Clone, Copy)]
struct NodePointer(*mut dd_node);

// SAFETY: the pointer is only dereferenced on the node's own thread: by a posted closure,
// which the node's loop runs (while the node lives) or drops unrun with the node.
unsafe impl Send for NodePointer {}
unsafe impl Sync for NodePointer {}

/// A new handle to the node, for other threads.
#[no_mangle]
pub extern "C" fn dd_node_handle_new(
    node: *const dd_node,
    handle: *mut *mut dd_node_handle,
) -> dd_status {
    guard(|| {
        let made = with_node(node, |node| Ok(node.handle()))?;
        let node = NodePointer(node.cast_mut());
        put(handle, NodeHandleCell { handle: made, node })
    })
}

/// Runs `cb` on the node's thread at its next turn (from any thread). `userdata` goes to
/// that thread; it is freed after `cb`, or at once if the node is gone.
#[no_mangle]
pub extern "C" fn dd_node_handle_post(
    handle: *const dd_node_handle,
    cb: dd_node_cb,
    userdata: *mut c_void,
    userdata_free: dd_free_cb,
) -> dd_status {
    let userdata = Userdata::new(userdata, userdata_free);
    guard(|| {
        let cell = try_ref(handle, "handle")?;
        let cb = callback(cb, "cb")?;
        let target = cell.node;
        cell.handle.post(move |node| {
            // Runs on the node's thread, inside its loop: the node and its cell are alive.
            // (Naming `target` whole makes the closure capture the `Send` wrapper, not the
            // raw pointer inside it.)
            let target = target;
            let Ok(loan) = NodeLoan::of(target.0) else {
                return;
            };
            // SAFETY: the C callback, on the node's thread, with its userdata.
            loan.call(node, |node| unsafe { cb(userdata.get(), node) });
        })?;
        Ok(())
    })
}

/// Stops the node's loop (from any thread).
#[no_mangle]
pub extern "C" fn dd_node_handle_stop(handle: *const dd_node_handle) -> dd_status {
    guard(|| {
        try_ref(handle, "handle")?.handle.stop();
        Ok(())
    })
}

/// Frees a handle; NULL does nothing.
#[no_mangle]
pub extern "C" fn dd_node_handle_free(handle: *mut dd_node_handle) {
    guard_value((), || free(handle))
}
