//! What CURVE costs: `bench pushpull_curve` (DripDrop push/pull with CURVE on both routes,
//! against the same with CURVE off), `bench zmq_curve` (raw libzmq PUSH/PULL with CURVE,
//! against raw without: what encryption costs libzmq itself, the baseline), and `bench
//! pool_remote_curve` (a pool and its two worker processes with CURVE, the workers given
//! their keys by `DRIPDROP_CURVE_DIR` alone, against a plain pool and plain workers).
//!
//! Every CURVE server here admits every client, but DripDrop's still asks its authenticator
//! at each handshake; handshakes happen once per connection, so what the rates measure is
//! the encryption of every frame.

use crate::pool::{bench_node, pool_round, spawn_workers, wait_for_workers, RawPipeline, WORKERS};
use crate::pushpull::{bench_message, dripdrop_round, zmq_round, CurveKeys};
use crate::{compare, Size};
use dripdrop::{Certificate, CurveOption, PoolOptions};
use dripdrop_examples::Fallible;
use std::path::PathBuf;

pub fn run_pushpull(size: Size) -> Fallible<f64> {
    let count = size.count_or(2_000, 400_000);
    let warmup = (count / 10).max(100);
    let message = bench_message()?;
    let keys = CurveKeys::generate()?;
    println!(
        "pushpull_curve: {count} messages a round after {warmup} warm-up, CURVE on both \
         routes against CURVE off, tcp loopback, {} rounds",
        size.rounds
    );
    compare(
        "pushpull_curve",
        "msg",
        size,
        || dripdrop_round(&message, warmup, count, None, Some(&keys)),
        || dripdrop_round(&message, warmup, count, None, None),
        "dripdrop plain",
    )
}

pub fn run_zmq(size: Size) -> Fallible<f64> {
    let count = size.count_or(2_000, 400_000);
    let warmup = (count / 10).max(100);
    let frame = bench_message()?.encode()?;
    let keys = CurveKeys::generate()?;
    let context = zmq::Context::new();
    println!(
        "zmq_curve: raw libzmq PUSH/PULL of {}-byte frames, {count} a round, CURVE against \
         plain, tcp loopback, {} rounds",
        frame.len(),
        size.rounds
    );
    compare(
        "zmq_curve",
        "msg",
        size,
        || zmq_round(&context, &frame, warmup, count, Some(&keys)),
        || zmq_round(&context, &frame, warmup, count, None),
        "libzmq plain",
    )
}

/// A directory of the `DRIPDROP_CURVE_DIR` layout with a new server certificate (no
/// allowed/: every client is admitted), removed when dropped.
struct CurveDir(PathBuf);

impl CurveDir {
    fn new() -> Fallible<CurveDir> {
        let dir = std::env::temp_dir().join(format!("dripdrop-bench-curve-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Certificate::generate()?.save(dir.join("server"), true)?;
        Ok(CurveDir(dir))
    }
}

impl Drop for CurveDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn run_pool(size: Size) -> Fallible<f64> {
    let count = size.count_or(2_000, 200_000);
    let dir = CurveDir::new()?;
    let mut node = bench_node()?;
    node.task("noop", |_, args| Ok(args));
    let pool = |curve| PoolOptions {
        prefetch: Some(crate::pool::PREFETCH),
        curve,
        ..PoolOptions::remote(&["tcp://127.0.0.1:*"])
    };
    let plain = node.worker_pool("plain", pool(CurveOption::Off))?.remove(0);
    let curve = node
        .worker_pool("curve", pool(CurveOption::Dir(dir.0.clone())))?
        .remove(0);
    // The worker processes' raw echo threads are not used here, but they need somewhere to
    // connect.
    let pipeline = RawPipeline::bind()?;
    let raw = pipeline.endpoints()?;
    let _plain_workers = spawn_workers(&plain, &raw, None)?;
    let _curve_workers = spawn_workers(&curve, &raw, Some(&dir.0))?;
    wait_for_workers(&mut node, "plain")?;
    wait_for_workers(&mut node, "curve")?;
    println!(
        "pool_remote_curve: {count} trivial tasks a round through {WORKERS} worker processes \
         each side, CURVE (workers keyed by DRIPDROP_CURVE_DIR) against plain, {} rounds",
        size.rounds
    );
    pool_round(&mut node, "curve", count / 10 + 1)?;
    pool_round(&mut node, "plain", count / 10 + 1)?;
    let node = std::cell::RefCell::new(node);
    compare(
        "pool_remote_curve",
        "task",
        size,
        || pool_round(&mut node.borrow_mut(), "curve", count),
        || pool_round(&mut node.borrow_mut(), "plain", count),
        "plain pool",
    )
}
