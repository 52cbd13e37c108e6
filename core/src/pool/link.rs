//! The node's side of a pool: the channel to its I/O thread and what comes back.

use super::io_thread::{Command, Done, PoolThread, Setup};
use super::options::PoolOptions;
use super::registry::TaskRegistry;
use super::snapshot::PoolSnapshot;
use crate::error::Error;
use crate::monitor;
use crate::reactor::{waker_pair, Waker};
use crate::route::Mode;
use crate::security::{self, Secured};
use crossbeam_channel::{Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

pub(crate) struct PoolLink {
    name: String,
    endpoints: Vec<String>,
    max_pending: usize,
    commands: Sender<Command>,
    /// Wakes the pool's thread.
    waker: Arc<Waker>,
    done: Receiver<Vec<Done>>,
    /// Errors the pool's thread has for the node's `on_error` (its CURVE handshake
    /// reports, at most one a second).
    notices: Receiver<Error>,
    snapshot: Arc<Mutex<PoolSnapshot>>,
    thread: Option<JoinHandle<()>>,
}

/// Errors waiting for the node, at most: the thread makes one a second, and drops one
/// that does not fit (its counters still count).
const NOTICES: usize = 16;

/// What a CURVE pool's thread watches: its handshakes and the monitor that tells of them.
pub(crate) struct Guarded {
    pub(crate) secured: Secured,
    pub(crate) monitor: zmq::Socket,
}

impl PoolLink {
    /// Binds the pool's socket (if any), here, so a bad address is the caller's error; then
    /// starts the pool's thread, which wakes `node_waker` when tasks end.
    pub(crate) fn start(
        name: &str,
        options: PoolOptions,
        registry: TaskRegistry,
        context: &zmq::Context,
        node_waker: &Arc<Waker>,
    ) -> Result<PoolLink, Error> {
        options.check()?;
        let io = |e: std::io::Error| Error::InvalidArgument(format!("worker pool {name}: {e}"));
        let (socket, endpoints, guarded) = if options.bind.is_empty() {
            (None, Vec::new(), None)
        } else {
            let (socket, endpoints, guarded) = bind_router(name, context, &options)?;
            (Some(socket), endpoints, guarded)
        };
        let (notices_tx, notices) = crossbeam_channel::bounded(NOTICES);
        let (waker, wake) = waker_pair().map_err(io)?;
        let waker = Arc::new(waker);
        let (commands, commands_rx) = crossbeam_channel::unbounded();
        let (done_tx, done) = crossbeam_channel::unbounded();
        let snapshot = Arc::new(Mutex::new(PoolSnapshot::default()));
        let max_pending = options.max_pending;
        let setup = Setup {
            name: name.to_owned(),
            socket,
            guarded,
            notices: notices_tx,
            commands: commands_rx,
            waker: (Arc::clone(&waker), wake),
            done: done_tx,
            node_waker: Arc::clone(node_waker),
            registry,
            options,
            snapshot: Arc::clone(&snapshot),
        };
        let thread = std::thread::Builder::new()
            .name(format!("dripdrop-pool-{name}"))
            .spawn(move || PoolThread::new(setup).run())
            .map_err(io)?;
        Ok(PoolLink {
            name: name.to_owned(),
            endpoints,
            max_pending,
            commands,
            waker,
            done,
            notices,
            snapshot,
            thread: Some(thread),
        })
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The endpoints the pool bound for remote workers.
    pub(crate) fn endpoints(&self) -> &[String] {
        &self.endpoints
    }

    /// Tasks accepted and not yet finished, at most.
    pub(crate) fn max_pending(&self) -> usize {
        self.max_pending
    }

    pub(crate) fn send(&self, command: Command) {
        // The thread lives as long as this link; a send can fail only after it ended.
        let _ = self.commands.send(command);
        self.waker.wake();
    }

    /// The next batch of tasks that ended.
    pub(crate) fn next_done(&self) -> Option<Vec<Done>> {
        self.done.try_recv().ok()
    }

    /// The next error the pool's thread has for the node.
    pub(crate) fn next_notice(&self) -> Option<Error> {
        self.notices.try_recv().ok()
    }

    pub(crate) fn snapshot(&self) -> PoolSnapshot {
        self.snapshot.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for PoolLink {
    /// Stops the thread (it tells its workers DISCONNECT) and waits for it: it runs no
    /// host code, so it ends promptly.
    fn drop(&mut self) {
        self.send(Command::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Frames ZeroMQ holds for the pool per worker connection before it stops reading that
/// connection: what a peer can make the pool hold is this many times `max_frame_bytes`. A
/// worker batches up to 64 results a frame, so this is over a thousand results.
const FRAMES_QUEUED_PER_WORKER: i32 = 32;

fn bind_router(
    name: &str,
    context: &zmq::Context,
    options: &PoolOptions,
) -> Result<(zmq::Socket, Vec<String>, Option<Guarded>), Error> {
    let (addresses, max_frame_bytes) = (&options.bind, options.max_frame_bytes);
    let fail =
        |what: String| move |e: zmq::Error| Error::zmq(format!("worker pool {name}: {what}"), e);
    let socket = context.socket(zmq::ROUTER).map_err(fail("socket".into()))?;
    socket.set_linger(100).map_err(fail("linger".into()))?;
    // A worker's frames are bounded before the pool reads them: ZeroMQ drops the connection
    // of a worker that sends more (checked to fit in `PoolOptions::check`). And few of them
    // wait in the pool's memory per connection: a worker's further frames wait on its side.
    socket
        .set_maxmsgsize(max_frame_bytes as i64)
        .map_err(fail("max_frame_bytes".into()))?;
    socket
        .set_rcvhwm(FRAMES_QUEUED_PER_WORKER)
        .map_err(fail("rcvhwm".into()))?;
    // A task for a worker that vanished is an error to requeue on, not a silent drop.
    socket
        .set_router_mandatory(true)
        .map_err(fail("router_mandatory".into()))?;
    // The pool binds, so with CURVE it is the server; before any address, as libzmq reads
    // the keys as each connection is made.
    let who = format!("worker pool {name}");
    let guarded = match security::secure(&socket, context, &options.curve, Mode::Bind, &who)? {
        Some(secured) => Some(Guarded {
            secured,
            monitor: monitor::open_socket(&who, context, &socket, security::EVENTS)?,
        }),
        None => None,
    };
    let mut endpoints = Vec::new();
    for address in addresses {
        socket
            .bind(address)
            .map_err(fail(format!("bind {address}")))?;
        let endpoint = socket
            .get_last_endpoint()
            .map_err(fail("endpoint".into()))?
            .unwrap_or_else(|_| address.clone());
        endpoints.push(endpoint);
    }
    Ok((socket, endpoints, guarded))
}
