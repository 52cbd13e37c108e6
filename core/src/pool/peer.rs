//! The workers of a pool as its I/O thread drives them, behind one interface: the pool's
//! local threads (a [`TaskRunner`] in this process) and remote workers (a DEALER at the other
//! end of the pool's ROUTER). The scheduler leases tasks to either alike.

use super::protocol::to_worker::{write_cancel, write_tasks};
use super::protocol::write_disconnect;
use super::runner::TaskRunner;
use super::scheduler::Task;
use super::task::{Job, TaskContext, TaskResult};
use crate::reactor::{later, SharedSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What became of tasks handed to a peer: the first `taken` went (or, listed in
/// `unsendable`, cannot go to anyone); the rest could not go now and go back to the queue.
/// `gone`: they could not go because the peer's connection is gone.
#[derive(Debug, Default)]
pub(crate) struct Delivery {
    pub(crate) taken: usize,
    pub(crate) unsendable: Vec<(u64, String)>,
    pub(crate) gone: bool,
}

/// What became of a frame sent to a remote worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sent {
    Taken,
    /// Its pipe is full: try again later.
    Full,
    /// ZeroMQ has no connection of that identity (`ROUTER_MANDATORY` says so): the worker
    /// closed its socket or its connection dropped.
    Gone,
}

/// A worker of the pool.
pub(crate) trait Peer {
    /// The name the pool's stats show.
    fn name(&self) -> &str;
    /// Whether it is the pool's own local threads.
    fn is_local(&self) -> bool;
    /// Hands it tasks leased to it, in order; `frame` is scratch space for encoding.
    fn deliver(&mut self, tasks: &[&Task], now: Instant, frame: &mut Vec<u8>) -> Delivery;
    /// Tells it the caller gave up on a task it holds.
    fn cancel(&mut self, id: u64, frame: &mut Vec<u8>);
    /// Moves the results it finished into `into` (a remote worker's come through the socket
    /// instead).
    fn take_results(&mut self, into: &mut Vec<(u64, TaskResult)>);
    /// The pool is going away.
    fn disconnect(&mut self, frame: &mut Vec<u8>);
}

/// The pool's local threads.
pub(crate) struct LocalPeer {
    runner: TaskRunner,
}

impl LocalPeer {
    pub(crate) fn new(runner: TaskRunner) -> Self {
        LocalPeer { runner }
    }

    /// Tasks the threads run at once.
    pub(crate) fn threads(&self) -> usize {
        self.runner.thread_count()
    }
}

impl Peer for LocalPeer {
    fn name(&self) -> &str {
        "local"
    }

    fn is_local(&self) -> bool {
        true
    }

    fn deliver(&mut self, tasks: &[&Task], _now: Instant, _frame: &mut Vec<u8>) -> Delivery {
        for task in tasks {
            let context = TaskContext::new(
                task.id(),
                Arc::clone(task.name()),
                task.attempt(),
                task.deadline(),
            );
            let args = task.args().clone();
            self.runner.run(Job { context, args });
        }
        Delivery {
            taken: tasks.len(),
            ..Delivery::default()
        }
    }

    fn cancel(&mut self, id: u64, _frame: &mut Vec<u8>) {
        self.runner.cancel(id);
    }

    fn take_results(&mut self, into: &mut Vec<(u64, TaskResult)>) {
        while let Some(result) = self.runner.next_result() {
            into.push(result);
        }
    }

    fn disconnect(&mut self, _frame: &mut Vec<u8>) {}
}

/// A remote worker, and what the pool knows of its liveness.
pub(crate) struct RemotePeer {
    socket: SharedSocket,
    identity: Box<[u8]>,
    name: String,
    /// How often the pool heartbeats it: the pool's interval, or the worker's if shorter.
    beat_every: Duration,
    /// How long it may stay silent before it is declared dead.
    silence_limit: Duration,
    last_heard: Instant,
}

impl RemotePeer {
    pub(crate) fn new(
        socket: SharedSocket,
        identity: &[u8],
        name: String,
        beat_every: Duration,
        silence_limit: Duration,
        now: Instant,
    ) -> Self {
        RemotePeer {
            socket,
            identity: identity.into(),
            name,
            beat_every,
            silence_limit,
            last_heard: now,
        }
    }

    pub(crate) fn identity(&self) -> &[u8] {
        &self.identity
    }

    pub(crate) fn beat_every(&self) -> Duration {
        self.beat_every
    }

    /// It sent something.
    pub(crate) fn heard(&mut self, now: Instant) {
        self.last_heard = now;
    }

    /// When it is dead if it stays silent.
    pub(crate) fn dead_at(&self) -> Instant {
        later(self.last_heard, self.silence_limit)
    }

    /// Sends a frame (control frames that cannot go are not retried: heartbeats and
    /// liveness settle it).
    pub(crate) fn send(&self, frame: &[u8]) -> Sent {
        send_to(&self.socket, &self.identity, frame)
    }

    /// Sends the frames of `tasks` one by one: a task whose arguments cannot be written
    /// fails alone; the first that cannot go stops the rest.
    fn deliver_one_by_one(
        &mut self,
        tasks: &[&Task],
        now: Instant,
        frame: &mut Vec<u8>,
    ) -> Delivery {
        let mut delivery = Delivery::default();
        for task in tasks {
            match write_tasks(frame, &[task], now) {
                Err(e) => delivery.unsendable.push((task.id(), e.to_string())),
                Ok(()) => match self.send(frame) {
                    Sent::Taken => {}
                    Sent::Full => break,
                    Sent::Gone => {
                        delivery.gone = true;
                        break;
                    }
                },
            }
            delivery.taken += 1;
        }
        delivery
    }
}

impl Peer for RemotePeer {
    fn name(&self) -> &str {
        &self.name
    }

    fn is_local(&self) -> bool {
        false
    }

    fn deliver(&mut self, tasks: &[&Task], now: Instant, frame: &mut Vec<u8>) -> Delivery {
        if tasks.len() < 2 || write_tasks(frame, tasks, now).is_err() {
            // One task, or one whose arguments cannot be written: each goes alone (and that
            // one fails).
            return self.deliver_one_by_one(tasks, now, frame);
        }
        let sent = self.send(frame);
        Delivery {
            taken: if sent == Sent::Taken { tasks.len() } else { 0 },
            unsendable: Vec::new(),
            gone: sent == Sent::Gone,
        }
    }

    fn cancel(&mut self, id: u64, frame: &mut Vec<u8>) {
        write_cancel(frame, id);
        // Not retried; a worker that is gone is found out by its heartbeats.
        let _ = self.send(frame);
    }

    fn take_results(&mut self, _into: &mut Vec<(u64, TaskResult)>) {}

    fn disconnect(&mut self, frame: &mut Vec<u8>) {
        write_disconnect(frame);
        let _ = self.send(frame);
    }
}

/// Sends `[identity, frame]` without blocking. ROUTER_MANDATORY makes a worker that is gone
/// an error (EHOSTUNREACH) instead of a silent drop; a full pipe is EAGAIN.
pub(crate) fn send_to(socket: &zmq::Socket, identity: &[u8], frame: &[u8]) -> Sent {
    let sent = socket
        .send(identity, zmq::SNDMORE | zmq::DONTWAIT)
        .and_then(|()| socket.send(frame, zmq::DONTWAIT));
    match sent {
        Ok(()) => Sent::Taken,
        Err(zmq::Error::EHOSTUNREACH) => Sent::Gone,
        Err(_) => Sent::Full,
    }
}
