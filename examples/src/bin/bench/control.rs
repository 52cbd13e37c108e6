//! `bench pushpull_control`: what the control backchannel costs. The `pushpull` round, both
//! nodes reporting (default 1 s heartbeat) to a live ROUTER that drains every report, against
//! the same round with reporting off, in the same run. Goal: at least 0.97.

use crate::pushpull::{bench_message, dripdrop_round};
use crate::{compare, Size};
use dripdrop_examples::Fallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

/// A control server that reads and drops every report, on its own thread, until dropped.
struct Drain {
    endpoint: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<u64>>,
}

impl Drain {
    fn start() -> Fallible<Drain> {
        let context = zmq::Context::new();
        let router = context.socket(zmq::ROUTER)?;
        router.set_linger(0)?;
        // Wakes up to see the stop flag.
        router.set_rcvtimeo(100)?;
        router.bind("tcp://127.0.0.1:*")?;
        let endpoint = router
            .get_last_endpoint()?
            .map_err(|_| "endpoint is not UTF-8")?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = thread::Builder::new()
            .name("control-drain".into())
            .spawn(move || {
                let _context = context;
                let mut reports = 0u64;
                while !stopping.load(Ordering::Acquire) {
                    if router.recv_multipart(0).is_ok() {
                        reports += 1;
                    }
                }
                reports
            })?;
        Ok(Drain {
            endpoint,
            stop,
            thread: Some(thread),
        })
    }

    /// Stops the thread; how many reports it drained.
    fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Release);
        self.thread.take().and_then(|t| t.join().ok()).unwrap_or(0)
    }
}

pub fn run(size: Size) -> Fallible<f64> {
    let count = size.count_or(2_000, 400_000);
    let warmup = (count / 10).max(100);
    let message = bench_message()?;
    println!(
        "pushpull_control: {count} messages a round after {warmup} warm-up, push/pull \
         reporting to a draining ROUTER (1 s heartbeat) against reporting off, {} rounds",
        size.rounds
    );
    let drain = Drain::start()?;
    let endpoint = drain.endpoint.clone();
    let ratio = compare(
        "pushpull_control",
        "msg",
        size,
        || dripdrop_round(&message, warmup, count, Some(&endpoint), None),
        || dripdrop_round(&message, warmup, count, None, None),
        "no control",
    );
    let reports = drain.finish();
    println!("pushpull_control: the server drained {reports} reports");
    ratio
}
