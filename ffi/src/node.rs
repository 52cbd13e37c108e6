//! `dd_node`: making, running, stopping and freeing a node, and its counters. What a node
//! does (routes, timers, defer, pools) is in the files named for each.
//!
//! A `dd_node *` points to a [`NodeCell`]: core's [`HostedNode`] (the node, and the lending
//! that lets the node's callbacks reach the running node through the same pointer) and, in a
//! field of its own, the node's [`NodeHandle`], the one part `dd_node_stop` touches.

use crate::curve::{curve_option, dd_curve_options};
use crate::guard::{
    guard, guard_value, millis_of, optional_options, optional_text, out, set_last_error, texts,
    Result,
};
use crate::handle::{free, put, try_raw, try_ref};
use crate::status::dd_status;
use crate::value::{dd_value, put_value};
use dripdrop::{HostedNode, Lender, Node, NodeHandle, NodeOptions};
use std::ffi::{c_char, c_void};
use std::time::Duration;

/// A node: one reactor loop, run by the thread that calls `dd_node_run`. Not thread-safe:
/// every call on a node (except `dd_node_stop`) must come from the thread that runs it, or
/// happen while it is not running. Other threads use a `dd_node_handle`.
pub struct dd_node {
    _private: [u8; 0],
}

/// What a `dd_node` points to.
pub(crate) struct NodeCell {
    /// Reached by `dd_node_stop` from any thread, through the raw pointer and nothing else
    /// (see there); never changed after the cell is made.
    stopper: NodeHandle,
    hosted: HostedNode,
}

// `dd_node_stop` shares `stopper` with other threads: it must stay `Sync` (checked here).
const _: () = {
    const fn sync<T: Sync>() {}
    sync::<NodeHandle>();
};

/// Called on the node's thread with the node.
pub type dd_node_cb = Option<unsafe extern "C" fn(userdata: *mut c_void, node: *mut dd_node)>;

/// Runs `f` with the node behind a `dd_node *`: inside one of its callbacks, the running
/// loop's own node (lent for the callback); outside its loop, the node itself. While the loop
/// runs and lends it to no callback (a call from elsewhere), `DD_ERR_WRONG_THREAD`.
pub(crate) fn with_node<T>(
    node: *const dd_node,
    f: impl FnOnce(&mut Node) -> Result<T>,
) -> Result<T> {
    try_ref(node, "node")?.hosted.with(f)?
}

/// How a callback closure hands C the node it runs on: the `dd_node *` C knows, with the
/// loop's `&mut Node` lent through it for the call (core's [`Lender`]). The C callback's calls
/// on that pointer then reach the very node the loop handed the callback, and never make a
/// second reference to it.
#[derive(Clone)]
pub(crate) struct NodeLoan {
    node: *mut dd_node,
    lender: Lender,
}

impl NodeLoan {
    /// The loan for callbacks of the node behind `node`. Made on the node's thread; the cell
    /// outlives every callback closure, which the node inside it owns.
    pub(crate) fn of(node: *mut dd_node) -> Result<NodeLoan> {
        let lender = try_ref(node, "node")?.hosted.lender();
        Ok(NodeLoan { node, lender })
    }

    /// Calls C with the node, lending `node` (the loop's, as the callback got it) meanwhile.
    pub(crate) fn call<T>(&self, node: &mut Node, c_call: impl FnOnce(*mut dd_node) -> T) -> T {
        self.lender.lend(node, || c_call(self.node))
    }
}

/// Node settings; start from `dd_node_options_default`.
#[repr(C)]
pub struct dd_node_options {
    /// Threads of the local `defer` pool, started at the first `dd_node_defer`; 0 keeps the
    /// default (20, EventMachine's: defer is for blocking work).
    pub defer_threads: usize,
    /// How long `dd_node_stop` lets queued sends go out, in ms.
    pub stop_linger_ms: u64,
    /// The nodelets to run: `run_list_count` names at `run_list`. A count of 0 (the default)
    /// runs them all.
    pub run_list: *const *const c_char,
    /// How many names `run_list` holds.
    pub run_list_count: usize,
    /// A control server to report to (`tcp://host:port`, docs/control.md); NULL (the
    /// default) reports where the environment's `DRIPDROP_CONTROL` says, if anywhere.
    pub control: *const c_char,
    /// The role this process reports; NULL: `DRIPDROP_ROLE`, or the program's name.
    pub role: *const c_char,
    /// How often the node reports, in ms; 0 keeps the default (1,000).
    pub heartbeat_ms: u64,
    /// CURVE on the backchannel to the control server (the node connects: it is a client,
    /// and needs the server's key); by default the environment's `DRIPDROP_CURVE_DIR`, if
    /// any.
    pub control_curve: dd_curve_options,
}

/// The default node settings (core's).
#[no_mangle]
pub extern "C" fn dd_node_options_default(options: *mut dd_node_options) -> dd_status {
    guard(|| {
        let defaults = NodeOptions::default();
        *out(options, "options")? = dd_node_options {
            defer_threads: defaults.defer_threads,
            stop_linger_ms: millis_of(defaults.stop_linger),
            run_list: std::ptr::null(),
            run_list_count: 0,
            control: std::ptr::null(),
            role: std::ptr::null(),
            heartbeat_ms: 0,
            control_curve: dd_curve_options::unset(),
        };
        Ok(())
    })
}

fn node_options(options: Option<&dd_node_options>) -> Result<NodeOptions> {
    let mut settings = NodeOptions {
        // What a control server is told this process is written in.
        language: "c".to_owned(),
        ..NodeOptions::default()
    };
    let Some(o) = options else {
        return Ok(settings);
    };
    if let Some(control) = optional_text(o.control, "control")? {
        settings.control = Some(control.to_owned());
    }
    if let Some(role) = optional_text(o.role, "role")? {
        settings.role = Some(role.to_owned());
    }
    if o.heartbeat_ms > 0 {
        settings.heartbeat = Duration::from_millis(o.heartbeat_ms);
    }
    if o.defer_threads > 0 {
        settings.defer_threads = o.defer_threads;
    }
    settings.stop_linger = Duration::from_millis(o.stop_linger_ms);
    if o.run_list_count > 0 {
        let names = texts(o.run_list, o.run_list_count, "run_list")?;
        settings.run_list = Some(names.into_iter().map(str::to_owned).collect());
    }
    settings.control_curve = curve_option(&o.control_curve, "control_curve")?;
    Ok(settings)
}

/// A new node; `options` may be NULL for the defaults.
#[no_mangle]
pub extern "C" fn dd_node_new(
    options: *const dd_node_options,
    node: *mut *mut dd_node,
) -> dd_status {
    guard(|| {
        let created = Node::with_options(node_options(optional_options(options))?)?;
        let cell = NodeCell {
            stopper: created.handle(),
            hosted: HostedNode::new(created),
        };
        put(node, cell)
    })
}

/// Frees a node (its routes close, its pools stop); NULL does nothing. Not while it runs:
/// a node freed from one of its own callbacks is left alone (it would pull the loop out from
/// under itself), and `dd_last_error_message()` says so.
#[no_mangle]
pub extern "C" fn dd_node_free(node: *mut dd_node) {
    guard_value((), || {
        if try_ref(node, "node").is_ok_and(|cell| cell.hosted.is_running()) {
            set_last_error(
                "dd_node_free: the node is running; stop it and free it after dd_node_run",
            );
            return;
        }
        free(node)
    })
}

/// Runs the loop on this thread until `dd_node_stop` (from a callback, or from another
/// thread) or `dd_node_handle_stop`. `DD_ERR_WRONG_THREAD` if the loop runs already (a call
/// from one of its callbacks).
#[no_mangle]
pub extern "C" fn dd_node_run(node: *mut dd_node) -> dd_status {
    guard(|| Ok(try_ref(node, "node")?.hosted.run_with(&mut |wait| wait())?))
}

/// Asks the loop to stop: it flushes queued sends for at most the stop linger and
/// `dd_node_run` returns. From the node's callbacks or from any other thread, as long as the
/// node is not freed meanwhile (a thread that may outlive the node uses a `dd_node_handle`).
#[no_mangle]
pub extern "C" fn dd_node_stop(node: *const dd_node) -> dd_status {
    guard(|| {
        let cell = try_raw(node, "node")?;
        // SAFETY (soundness across threads): while `dd_node_run` holds the node mutably on the
        // loop thread, this may run on another. It makes no reference to the cell, the hosted
        // node or the node: the place `(*cell).stopper` goes from the raw pointer straight to
        // the `stopper` field (a place through a raw pointer makes no reference to what it
        // points to), which nothing writes after the cell is made, and only a shared reference
        // to that field is formed. The loop's mutable borrow covers the node inside `hosted` (an
        // `UnsafeCell`), never `stopper`, so the two do not overlap. `NodeHandle` is `Sync`:
        // its `stop` is an atomic store and a wake-up, safe from any thread. The caller keeps
        // the node alive for the call (the header says so), so the pointer is valid.
        let stopper: &NodeHandle = unsafe { &(*cell).stopper };
        stopper.stop();
        Ok(())
    })
}

/// Every route's and pool's counters, as a new dict value.
#[no_mangle]
pub extern "C" fn dd_node_stats(node: *const dd_node, stats: *mut *mut dd_value) -> dd_status {
    guard(|| {
        let counters = with_node(node, |node| Ok(node.stats()))?;
        put_value(stats, counters)
    })
}
