//! `dd_pool_map`: a pool fed one task per item, as fast as results free room, from items a C
//! callback gives one at a time, any of which may fail to come (`dd_map_feed_fail`).

use crate::callback::{dd_free_cb, Userdata};
use crate::error::{dd_error, ErrorView};
use crate::guard::{callback, guard, text};
use crate::handle::{lend, lend_mut, try_mut};
use crate::node::{dd_node, dd_node_cb, with_node, NodeLoan};
use crate::status::dd_status;
use crate::value::{dd_value, lend_value, take_value};
use dripdrop::{Error, Node, Value};
use std::ffi::{c_char, c_void};
use std::rc::Rc;

/// The feed of a `dd_pool_map`, as its `next` callback sees it (borrowed for the call): how
/// the callback says an item cannot be had (`dd_map_feed_fail`).
pub struct dd_map_feed {
    _private: [u8; 0],
}

/// What a `dd_map_feed` points to: why the item could not be had, if the callback said so.
pub(crate) struct FeedCall {
    failure: Option<String>,
}

/// Gives `dd_pool_map` its next item, which the library takes. Returns NULL when there are
/// no more, or NULL after `dd_map_feed_fail(feed, ...)` when the item cannot be had: then
/// nothing more is submitted, the error goes to the node's error handler, the items given
/// before it still run and reach `on_result`, and `on_done` comes after the last of them.
/// Called on the node's thread.
pub type dd_next_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, feed: *mut dd_map_feed) -> *mut dd_value>;

/// Called by `dd_pool_map` with each item's index (from 0) and result, or error, as results
/// come (not in order). Both are borrowed for the call.
pub type dd_item_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        node: *mut dd_node,
        index: u64,
        result: *const dd_value,
        error: *const dd_error,
    ),
>;

/// Says, from a `dd_pool_map` `next` callback, that the next item cannot be had and why
/// (copied); the callback then returns NULL. The node's error handler gets a
/// `DD_ERR_CALLBACK` error with this message.
#[no_mangle]
pub extern "C" fn dd_map_feed_fail(feed: *mut dd_map_feed, message: *const c_char) -> dd_status {
    guard(|| {
        let message = text(message, "message")?;
        try_mut(feed, "feed")?.failure = Some(message.to_owned());
        Ok(())
    })
}

/// Feeds pool `pool` one task per item `next` gives, only as results free room, so a
/// producer goes exactly as fast as the workers. `on_result` gets each item's result;
/// `on_done` (may be NULL) runs after the last, then `userdata_free`. All three callbacks
/// run on the node's thread.
#[no_mangle]
pub extern "C" fn dd_pool_map(
    node: *mut dd_node,
    pool: *const c_char,
    task: *const c_char,
    next: dd_next_cb,
    on_result: dd_item_cb,
    on_done: dd_node_cb,
    userdata: *mut c_void,
    userdata_free: dd_free_cb,
) -> dd_status {
    let userdata = Rc::new(Userdata::new(userdata, userdata_free));
    guard(|| {
        let (next, on_result) = (callback(next, "next")?, callback(on_result, "on_result")?);
        let (pool, task) = (text(pool, "pool")?, text(task, "task")?);
        let loan = NodeLoan::of(node)?;
        let items = {
            let userdata = Rc::clone(&userdata);
            std::iter::from_fn(move || {
                let mut feed = FeedCall { failure: None };
                // SAFETY: the C producer, on the node's thread, the feed borrowed for the call.
                let item = unsafe { next(userdata.get(), lend_mut(&mut feed)) };
                let item = (!item.is_null())
                    .then(|| take_value(item, "item").ok())
                    .flatten();
                match (feed.failure, item) {
                    // A failure wins over an item returned with it (which is freed).
                    (Some(message), _) => Some(Err(Error::Callback {
                        context: "dd_pool_map's next callback".into(),
                        message,
                    })),
                    (None, item) => item.map(Ok),
                }
            })
        };
        let for_results = Rc::clone(&userdata);
        let results_loan = loan.clone();
        let results = move |node: &mut Node, index: u64, result: Result<Value, Error>| {
            // SAFETY: the C callback, on the node's thread, with borrowed arguments.
            results_loan.call(node, |node| match result {
                Ok(value) => unsafe {
                    on_result(
                        for_results.get(),
                        node,
                        index,
                        lend_value(&value),
                        std::ptr::null(),
                    )
                },
                Err(e) => {
                    let error = ErrorView::new(&e);
                    unsafe {
                        on_result(
                            for_results.get(),
                            node,
                            index,
                            std::ptr::null(),
                            lend(&error),
                        )
                    }
                }
            })
        };
        let done = move |node: &mut Node| {
            if let Some(on_done) = on_done {
                // SAFETY: as above.
                loan.call(node, |node| unsafe { on_done(userdata.get(), node) });
            }
        };
        with_node(node, |node| {
            node.pool(pool)?.try_map(task, items, results, done)?;
            Ok(())
        })
    })
}
