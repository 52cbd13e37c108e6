//! Worker pools from C: `dd_pool_options`, `dd_node_worker_pool`, `dd_pool_defer` and
//! `dd_pool_cancel` (`dd_pool_map` is in `map.rs`).

use crate::bytes::{dd_bytes, put_bytes};
use crate::callback::{dd_free_cb, Userdata};
use crate::curve::{curve_option, dd_curve_options};
use crate::defer::{dd_result_cb, deliver};
use crate::guard::{
    callback, guard, invalid, millis_of, optional_text, out, put_optional, required_options, text,
    Fail, Result,
};
use crate::node::{dd_node, with_node, NodeLoan};
use crate::status::dd_status;
use crate::value::{dd_value, value};
use dripdrop::{Placement, PoolOptions, TaskOptions};
use std::ffi::{c_char, c_void};
use std::time::Duration;

/// Where a pool runs tasks: one of the `DD_PLACEMENT_*` constants.
pub type dd_placement = u32;

/// Only on the pool's local threads (`"local"`).
pub const DD_PLACEMENT_LOCAL: dd_placement = 0;
/// Only on remote workers (`"remote"`).
pub const DD_PLACEMENT_REMOTE: dd_placement = 1;
/// On local threads while one is free, spilling over to remote workers (`"local_first"`).
pub const DD_PLACEMENT_LOCAL_FIRST: dd_placement = 2;
/// Inferred, as in every language when no placement is named: remote workers if the pool
/// binds an address, local threads if it has them, local first if both.
pub const DD_PLACEMENT_INFERRED: dd_placement = 3;

/// `prefetch` adapted to each worker's tasks (the default): more while they are short, fewer
/// when they run long.
// Written as a cast so that cbindgen gives C `(size_t)~0`, SIZE_MAX, not an int.
#[allow(clippy::unnecessary_cast)]
pub const DD_PREFETCH_ADAPTIVE: usize = !0 as usize;

/// The placements by number, as core names them: core reads the name.
const PLACEMENT_NAMES: [&str; 3] = ["local", "remote", "local_first"];

/// Core's placement for a C placement number; a number that names none is refused.
fn placement(number: dd_placement, binds: bool, local_threads: usize) -> Result<Placement> {
    if number == DD_PLACEMENT_INFERRED {
        return Ok(Placement::inferred(binds, local_threads));
    }
    let name = usize::try_from(number)
        .ok()
        .and_then(|i| PLACEMENT_NAMES.get(i))
        .ok_or_else(|| {
            invalid(format!(
                "placement {number}: DD_PLACEMENT_LOCAL, DD_PLACEMENT_REMOTE, \
                 DD_PLACEMENT_LOCAL_FIRST or DD_PLACEMENT_INFERRED"
            ))
        })?;
    Ok(Placement::from_name(name)?)
}

/// Pool settings; start from `dd_pool_options_default` (core's defaults).
#[repr(C)]
pub struct dd_pool_options {
    /// The address remote workers connect to (`tcp://0.0.0.0:2100`, `tcp://127.0.0.1:*`), or
    /// NULL for none.
    pub bind: *const c_char,
    /// Local threads running the node's tasks; 0 for none.
    pub local_threads: usize,
    /// Where tasks run: a `DD_PLACEMENT_*` constant (the default infers it).
    pub placement: dd_placement,
    /// Tasks accepted and not finished, at most; past it `dd_pool_defer` reports backpressure.
    pub max_pending: usize,
    /// How often the pool heartbeats each worker, in ms (not 0); a worker that announced a
    /// shorter interval is heartbeated at its own.
    pub heartbeat_ms: u64,
    /// Silent heartbeats before a worker is dead.
    pub liveness: u32,
    /// Worker deaths a task survives before it is quarantined.
    pub max_attempts: u32,
    /// How long a task waits for a worker that can run it; 0 waits for ever.
    pub no_worker_timeout_ms: u64,
    /// Tasks a remote worker is sent beyond its concurrency; `DD_PREFETCH_ADAPTIVE` (the
    /// default) adapts it to each worker's tasks.
    pub prefetch: usize,
    /// Most tasks one remote worker holds at once, whatever concurrency it announces.
    pub max_worker_credit: usize,
    /// How long a remote worker may hold a task without answering (tasks without a
    /// deadline), in ms; past it the worker is removed as stalled. 0 waits as long as it
    /// heartbeats.
    pub lease_timeout_ms: u64,
    /// Most remote workers connected at once.
    pub max_workers: usize,
    /// The largest frame a worker may send, in bytes (`ZMQ_MAXMSGSIZE`).
    pub max_frame_bytes: usize,
    /// Most terms in one result value; a bigger one ends its task with a DecodeError.
    pub max_result_elements: usize,
    /// CURVE for remote workers (the pool binds: it is the server); by default the
    /// environment's `DRIPDROP_CURVE_DIR`, if any.
    pub curve: dd_curve_options,
}

/// The default pool settings (core's, with the placement inferred: set `bind`,
/// `local_threads` or both).
#[no_mangle]
pub extern "C" fn dd_pool_options_default(options: *mut dd_pool_options) -> dd_status {
    guard(|| {
        let d = PoolOptions::default();
        *out(options, "options")? = dd_pool_options {
            // Core's default binds nothing: nothing to point to.
            bind: std::ptr::null(),
            local_threads: d.local_threads,
            placement: DD_PLACEMENT_INFERRED,
            max_pending: d.max_pending,
            heartbeat_ms: millis_of(d.heartbeat),
            liveness: d.liveness,
            max_attempts: d.max_attempts,
            no_worker_timeout_ms: d.no_worker_timeout.map_or(0, millis_of),
            prefetch: d.prefetch.unwrap_or(DD_PREFETCH_ADAPTIVE),
            max_worker_credit: d.max_worker_credit,
            lease_timeout_ms: d.lease_timeout.map_or(0, millis_of),
            max_workers: d.max_workers,
            max_frame_bytes: d.max_frame_bytes,
            max_result_elements: d.max_result_elements,
            curve: dd_curve_options::unset(),
        };
        Ok(())
    })
}

fn pool_options(options: &dd_pool_options) -> Result<PoolOptions> {
    let bind: Vec<String> = optional_text(options.bind, "bind")?
        .into_iter()
        .map(str::to_owned)
        .collect();
    let placement = placement(options.placement, !bind.is_empty(), options.local_threads)?;
    Ok(PoolOptions {
        bind,
        local_threads: options.local_threads,
        placement,
        max_pending: options.max_pending,
        heartbeat: Duration::from_millis(options.heartbeat_ms),
        liveness: options.liveness,
        max_attempts: options.max_attempts,
        no_worker_timeout: (options.no_worker_timeout_ms > 0)
            .then(|| Duration::from_millis(options.no_worker_timeout_ms)),
        prefetch: (options.prefetch != DD_PREFETCH_ADAPTIVE).then_some(options.prefetch),
        max_worker_credit: options.max_worker_credit,
        lease_timeout: (options.lease_timeout_ms > 0)
            .then(|| Duration::from_millis(options.lease_timeout_ms)),
        max_workers: options.max_workers,
        max_frame_bytes: options.max_frame_bytes,
        max_result_elements: options.max_result_elements,
        curve: curve_option(&options.curve, "curve")?,
    })
}

/// Starts pool `name`. `endpoint_out` (may be NULL) gets the address workers connect to,
/// with the port ZeroMQ picked for `tcp://...:*`, as NUL-terminated bytes (free them); NULL
/// (no value) for a pool that binds no address.
#[no_mangle]
pub extern "C" fn dd_node_worker_pool(
    node: *mut dd_node,
    name: *const c_char,
    options: *const dd_pool_options,
    endpoint_out: *mut *mut dd_bytes,
) -> dd_status {
    guard(|| {
        let name = text(name, "name")?;
        let options = pool_options(required_options(options, "options")?)?;
        let endpoints = with_node(node, |node| Ok(node.worker_pool(name, options)?))?;
        match endpoints.into_iter().next() {
            Some(first) if !endpoint_out.is_null() => put_bytes(endpoint_out, first.into_bytes()),
            _ => {
                put_optional(endpoint_out, std::ptr::null_mut());
                Ok(())
            }
        }
    })
}

/// Runs task `task` of pool `pool` with a copy of `args`; `cb` gets the result (or error) on
/// the node's thread, once, and then `userdata_free` runs. `timeout_ms` 0 waits for ever.
/// `id_out` (may be NULL) gets the task id, for `dd_pool_cancel`.
#[no_mangle]
pub extern "C" fn dd_pool_defer(
    node: *mut dd_node,
    pool: *const c_char,
    task: *const c_char,
    args: *const dd_value,
    timeout_ms: u64,
    cb: dd_result_cb,
    userdata: *mut c_void,
    userdata_free: dd_free_cb,
    id_out: *mut u64,
) -> dd_status {
    let userdata = Userdata::new(userdata, userdata_free);
    guard(|| {
        let cb = callback(cb, "cb")?;
        let args = value(args)?.clone();
        let options = TaskOptions {
            timeout: (timeout_ms > 0).then(|| Duration::from_millis(timeout_ms)),
        };
        let (pool, task) = (text(pool, "pool")?, text(task, "task")?);
        let loan = NodeLoan::of(node)?;
        let id = with_node(node, |node| {
            Ok(node
                .pool(pool)?
                .defer_with(task, args, options, move |node, result| {
                    deliver(&userdata, cb, &loan, node, result);
                })?)
        })?;
        put_optional(id_out, id);
        Ok(())
    })
}

/// Gives up on a task: its callback gets `DD_ERR_CANCELLED`. `DD_ERR_NOT_FOUND` if it
/// already finished.
#[no_mangle]
pub extern "C" fn dd_pool_cancel(node: *mut dd_node, pool: *const c_char, id: u64) -> dd_status {
    guard(|| {
        let pool = text(pool, "pool")?;
        if with_node(node, |node| Ok(node.pool(pool)?.cancel(id)))? {
            Ok(())
        } else {
            Err(Fail::NotFound(format!("task {id} is not outstanding")))
        }
    })
}
