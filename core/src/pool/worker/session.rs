//! One connection of a worker to its pool: READY, then tasks in and results out, heartbeats
//! both ways, until the pool goes silent or away or the worker is stopped.

use super::super::protocol::to_pool::{write_ready, write_results, Ready};
use super::super::protocol::to_worker::{TaskNames, ToWorker};
use super::super::protocol::{write_disconnect, write_heartbeat, MAX_RESULTS_FRAME_BYTES};
use super::super::runner::TaskRunner;
use super::super::task::{TaskError, TaskResult};
use crate::bert::DecodeLimits;
use crate::error::Error;
use crate::reactor::{Event, Interest, Reactor, SharedSocket};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Most results sent in one RESULTS frame.
const RESULT_BATCH: usize = 64;

/// How long a stopping worker lets ZeroMQ deliver its DISCONNECT.
const STOP_LINGER_MS: i32 = 500;

/// Why a session with the pool ended.
pub(super) enum SessionEnd {
    Stopped,
    /// The pool said DISCONNECT: reconnect now.
    Told,
    /// The pool went silent: reconnect after a backoff (reset first if the pool had been
    /// heard in this session, so a healthy session starts the backoff over).
    Silent {
        heard: bool,
    },
}

/// What a session needs of its worker.
pub(super) struct Settings<'a> {
    pub(super) ready: &'a Ready,
    pub(super) heartbeat: Duration,
    /// How long the pool may stay silent.
    pub(super) silence: Duration,
    /// Whether the worker was asked to stop.
    pub(super) stopping: &'a dyn Fn() -> bool,
    /// What task frames are read within.
    pub(super) limits: &'a DecodeLimits,
}

/// What lives across sessions: results not yet delivered.
#[derive(Default)]
pub(super) struct Outbox {
    /// Encoded frames ZeroMQ would not take yet, oldest first; true for a result.
    backlog: VecDeque<(bool, Vec<u8>)>,
    frame: Vec<u8>,
}

impl Outbox {
    /// Starts a session on a new socket: READY goes first; of what the last session could
    /// not send only results are still worth sending.
    fn start(&mut self, socket: &SharedSocket, ready: &Ready) {
        self.backlog.retain(|(is_result, _)| *is_result);
        let mut frame = Vec::new();
        write_ready(&mut frame, ready);
        self.backlog.push_front((false, frame));
        self.flush(socket);
    }

    /// Sends the results the runner finished: all that are ready in one frame (up to a
    /// batch), so a busy worker sends one frame for many tasks.
    fn send_results(&mut self, socket: &SharedSocket, runner: &mut TaskRunner) {
        let mut batch = Vec::new();
        loop {
            batch.clear();
            while batch.len() < RESULT_BATCH {
                let Some(result) = runner.next_result() else {
                    break;
                };
                batch.push(result);
            }
            if batch.is_empty() {
                return;
            }
            let fits = |frame: &Vec<u8>| batch.len() == 1 || frame.len() <= MAX_RESULTS_FRAME_BYTES;
            if write_results(&mut self.frame, &batch).is_ok() && fits(&self.frame) {
                let frame = std::mem::take(&mut self.frame);
                self.push(socket, true, frame);
                continue;
            }
            // One of them cannot be written, or together they are larger than a pool reads
            // in one batch: each goes alone, and a result BERT cannot carry (a NaN...) is the
            // task's error, not a lost result.
            for (id, result) in batch.drain(..) {
                let result: TaskResult = match write_results(&mut self.frame, &[(id, result)]) {
                    Ok(()) => {
                        let frame = std::mem::take(&mut self.frame);
                        self.push(socket, true, frame);
                        continue;
                    }
                    Err(e) => Err(TaskError::new("EncodeError", e.to_string())),
                };
                if write_results(&mut self.frame, &[(id, result)]).is_ok() {
                    let frame = std::mem::take(&mut self.frame);
                    self.push(socket, true, frame);
                }
            }
        }
    }

    fn send_control(&mut self, socket: &SharedSocket, write: fn(&mut Vec<u8>)) {
        let mut frame = Vec::new();
        write(&mut frame);
        self.push(socket, false, frame);
    }

    /// Sends a frame, or keeps it (in order) until the socket takes more.
    fn push(&mut self, socket: &SharedSocket, is_result: bool, frame: Vec<u8>) {
        if self.backlog.is_empty() && socket.send(&frame[..], zmq::DONTWAIT).is_ok() {
            self.frame = frame;
            return;
        }
        self.backlog.push_back((is_result, frame));
    }

    fn flush(&mut self, socket: &SharedSocket) {
        while let Some((_, frame)) = self.backlog.front() {
            if socket.send(&frame[..], zmq::DONTWAIT).is_err() {
                return;
            }
            self.backlog.pop_front();
        }
    }

    fn has_backlog(&self) -> bool {
        !self.backlog.is_empty()
    }
}

/// Serves the pool on `socket` until the session ends.
pub(super) fn serve(
    reactor: &mut Reactor<(), ()>,
    socket: &SharedSocket,
    settings: &Settings<'_>,
    runner: &mut TaskRunner,
    outbox: &mut Outbox,
) -> Result<SessionEnd, Error> {
    let token = reactor.add_socket(socket, Interest::READABLE, ());
    let end = run(reactor, token, socket, settings, runner, outbox);
    reactor.remove(token);
    end
}

fn run(
    reactor: &mut Reactor<(), ()>,
    token: crate::reactor::Token,
    socket: &SharedSocket,
    settings: &Settings<'_>,
    runner: &mut TaskRunner,
    outbox: &mut Outbox,
) -> Result<SessionEnd, Error> {
    outbox.start(socket, settings.ready);
    // The first heartbeat goes right behind READY: it proves this session alive before any
    // task can kill it, so a task that crashes its worker at once still counts as the
    // worker's death (the pool counts none for a worker never heard after READY).
    outbox.send_control(socket, write_heartbeat);
    let mut last_heard = Instant::now();
    let mut heard = false;
    // Reused for every frame read: this runs once per task.
    let mut frame = zmq::Message::new();
    let mut next_beat = last_heard + settings.heartbeat;
    let mut ready: Vec<Event<()>> = Vec::new();
    let mut names = TaskNames::default();
    loop {
        let wake_at = next_beat.min(last_heard + settings.silence);
        let interest = Interest {
            readable: true,
            writable: outbox.has_backlog(),
        };
        reactor.set_interest(token, interest);
        reactor.wait(Some(wake_at), &mut |wait| wait(), &mut ready)?;
        if (settings.stopping)() {
            outbox.send_control(socket, write_disconnect);
            outbox.flush(socket);
            // Sessions close with linger 0; this last word gets a moment to go out, so the
            // pool requeues our tasks at once instead of waiting to call us dead.
            let _ = socket.set_linger(STOP_LINGER_MS);
            return Ok(SessionEnd::Stopped);
        }
        outbox.flush(socket);
        outbox.send_results(socket, runner);
        while socket.recv(&mut frame, zmq::DONTWAIT).is_ok() {
            last_heard = Instant::now();
            heard = true;
            match ToWorker::decode_with(&frame, last_heard, settings.limits, &mut names) {
                Ok(ToWorker::Tasks(jobs)) => {
                    for job in jobs {
                        runner.run(job);
                    }
                }
                Ok(ToWorker::Cancel(id)) => runner.cancel(id),
                Ok(ToWorker::Disconnect) => return Ok(SessionEnd::Told),
                // Heartbeats only prove the pool is there; anything else is not ours.
                Ok(ToWorker::Heartbeat) | Err(_) => {}
            }
        }
        let now = Instant::now();
        if now >= next_beat {
            outbox.send_control(socket, write_heartbeat);
            next_beat = now + settings.heartbeat;
        }
        if now.saturating_duration_since(last_heard) > settings.silence {
            return Ok(SessionEnd::Silent { heard });
        }
    }
}
