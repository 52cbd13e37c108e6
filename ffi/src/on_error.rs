//! A node's error handler: what the loop meets (a failed callback, a bad frame) and what the
//! program hands it.

use crate::callback::{dd_free_cb, Userdata};
use crate::error::{dd_error, ErrorView};
use crate::guard::{callback, guard};
use crate::handle::{lend, try_ref};
use crate::node::{dd_node, with_node, NodeLoan};
use crate::status::dd_status;
use std::ffi::c_void;

/// Called with an error the loop met (a failed callback, a bad frame) or the program
/// reported, borrowed for the call.
pub type dd_error_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, node: *mut dd_node, error: *const dd_error)>;

/// Calls `cb` with every error the loop meets (a callback that failed, a frame that is not a
/// message, an item `dd_pool_map` could not get) and every error given to
/// `dd_node_report_error`; the default prints a line on stderr.
#[no_mangle]
pub extern "C" fn dd_node_on_error(
    node: *mut dd_node,
    cb: dd_error_cb,
    userdata: *mut c_void,
    userdata_free: dd_free_cb,
) -> dd_status {
    let userdata = Userdata::new(userdata, userdata_free);
    guard(|| {
        let cb = callback(cb, "cb")?;
        let loan = NodeLoan::of(node)?;
        with_node(node, |node| {
            node.on_error(move |node, error| {
                let error = ErrorView::new(error);
                // SAFETY: the C callback, on the node's thread, the error borrowed for it.
                loan.call(node, |node| unsafe {
                    cb(userdata.get(), node, lend(&error))
                });
            });
            Ok(())
        })
    })
}

/// Hands an error a callback got (a result's or reply's `error`) to the node's error
/// handler, as if the loop had met it: how a callback that does not deal with an error
/// passes it on, rather than dropping it.
#[no_mangle]
pub extern "C" fn dd_node_report_error(node: *mut dd_node, error: *const dd_error) -> dd_status {
    guard(|| {
        let error = try_ref(error, "error")?.error().clone();
        with_node(node, |node| {
            node.report_error(error);
            Ok(())
        })
    })
}
