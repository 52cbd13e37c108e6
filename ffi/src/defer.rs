//! `dd_node_defer` (EventMachine's `EM.defer`), and how every result callback gets its value
//! or error.

use crate::callback::{dd_free_cb, Userdata};
use crate::error::{dd_error, ErrorView};
use crate::guard::{callback, guard};
use crate::handle::lend;
use crate::node::{dd_node, with_node, NodeLoan};
use crate::status::dd_status;
use crate::value::{dd_value, lend_value, take_value};
use dripdrop::{Error, Node, Value};
use std::ffi::c_void;
use std::sync::Arc;

/// A deferred operation: runs on a pool thread, returns a value it gives up (or NULL).
pub type dd_op_cb = Option<unsafe extern "C" fn(userdata: *mut c_void) -> *mut dd_value>;

/// Called with a result (or, if `error` is not NULL, why there is none), borrowed for the
/// call.
pub type dd_result_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        node: *mut dd_node,
        result: *const dd_value,
        error: *const dd_error,
    ),
>;

/// The C function a `dd_result_cb` holds.
pub(crate) type ResultFn =
    unsafe extern "C" fn(*mut c_void, *mut dd_node, *const dd_value, *const dd_error);

/// `EM.defer`: runs `op` on the node's thread pool, then `cb` on the node's thread with the
/// value `op` returned (which the library frees after `cb`). `userdata` is used by both, one
/// after the other, on different threads; it is freed after `cb`.
#[no_mangle]
pub extern "C" fn dd_node_defer(
    node: *mut dd_node,
    op: dd_op_cb,
    cb: dd_result_cb,
    userdata: *mut c_void,
    userdata_free: dd_free_cb,
) -> dd_status {
    let userdata = Arc::new(Userdata::new(userdata, userdata_free));
    guard(|| {
        let (op, cb) = (callback(op, "op")?, callback(cb, "cb")?);
        let loan = NodeLoan::of(node)?;
        let for_op = Arc::clone(&userdata);
        with_node(node, |node| {
            node.defer(
                move || {
                    // SAFETY: the C operation, on a pool thread, as the header says.
                    let result = unsafe { op(for_op.get()) };
                    if result.is_null() {
                        return Err(Error::Callback {
                            context: "deferred operation".into(),
                            message: "it returned NULL".into(),
                        });
                    }
                    take_value(result, "result").map_err(|_| Error::Stopped)
                },
                move |node, result| {
                    deliver(&userdata, cb, &loan, node, result.and_then(|r| r));
                },
            );
            Ok(())
        })
    })
}

/// Calls a result callback with a value or an error, both borrowed for the call.
pub(crate) fn deliver(
    userdata: &Userdata,
    cb: ResultFn,
    loan: &NodeLoan,
    node: &mut Node,
    result: Result<Value, Error>,
) {
    // SAFETY: the C callback, on the node's thread, with borrowed arguments.
    loan.call(node, |node| match result {
        Ok(value) => unsafe { cb(userdata.get(), node, lend_value(&value), std::ptr::null()) },
        Err(e) => {
            let error = ErrorView::new(&e);
            unsafe { cb(userdata.get(), node, std::ptr::null(), lend(&error)) }
        }
    })
}
