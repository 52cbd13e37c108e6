//! The reporting thread: the only owner of the DEALER socket. It sends the hello, each beat
//! the loop hands it, an alive signal every heartbeat on its own clock (so it goes on while
//! the loop is stuck in a callback), and the goodbye when the loop lets go of it.
//!
//! Every send is `DONTWAIT`: past the socket's small send queue (an absent or slow server) a
//! report is dropped and counted, and the thread never blocks on the network.

use super::identity::Identity;
use super::report::{self, Beat, Description};
use super::settings::ControlSettings;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// What the loop hands the thread.
pub(crate) enum Report {
    /// What the node is made of, at its first run: the thread says hello with it.
    Describe(Description),
    Beat(Beat),
}

/// The backchannel's own counters, shared by the loop (beats that did not fit the channel)
/// and the thread (reports the socket refused).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) sent: AtomicU64,
    pub(crate) dropped: AtomicU64,
}

impl Counters {
    pub(crate) fn count_dropped(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }
}

/// The thread's state; it lives on the thread, started by [`ReportingThread::spawn`].
pub(crate) struct ReportingThread {
    socket: zmq::Socket,
    identity: Identity,
    settings: ControlSettings,
    reports: Receiver<Report>,
    counters: Arc<Counters>,
    said_hello: bool,
    /// The last description said, to say again.
    described: Description,
    alive_seq: u64,
}

/// Every this many alive signals the hello is said again: a control server that restarted
/// (and so knows nobody) learns of the process within as many heartbeats.
const HELLO_EVERY: u64 = 2;

impl ReportingThread {
    pub(crate) fn new(
        socket: zmq::Socket,
        identity: Identity,
        settings: ControlSettings,
        reports: Receiver<Report>,
        counters: Arc<Counters>,
    ) -> Self {
        ReportingThread {
            socket,
            identity,
            settings,
            reports,
            counters,
            said_hello: false,
            described: Description::default(),
            alive_seq: 0,
        }
    }

    /// Starts the thread. It ends (after its goodbye) once every sender of `reports` is
    /// dropped; then it drops `finished`, so its owner can wait for it with a bound. It holds
    /// `context` so the socket's context outlives it even if its owner stops waiting.
    pub(crate) fn spawn(
        self,
        context: Arc<zmq::Context>,
        finished: Sender<()>,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name("dripdrop-control".into())
            .spawn(move || {
                self.run();
                drop(finished);
                drop(context);
            })
    }

    fn run(mut self) {
        let heartbeat = self.settings.heartbeat;
        let mut next_alive = Instant::now() + heartbeat;
        loop {
            match self.reports.recv_deadline(next_alive) {
                Ok(Report::Describe(description)) => self.hello(&description),
                Ok(Report::Beat(beat)) => {
                    self.hello_once();
                    let dropped = self.counters.dropped.load(Ordering::Relaxed);
                    self.send(report::beat(&self.identity.id, &beat, dropped));
                }
                Err(RecvTimeoutError::Timeout) => {
                    // A node that never runs still says who it is, then that it lives.
                    self.hello_once();
                    self.alive_seq += 1;
                    self.send(report::alive(&self.identity.id, self.alive_seq));
                    if self.alive_seq.is_multiple_of(HELLO_EVERY) {
                        let described = self.described.clone();
                        self.hello(&described);
                    }
                    let now = Instant::now();
                    next_alive += heartbeat;
                    // After a long pause (a suspended process) keep the beat, not a burst.
                    if next_alive <= now {
                        next_alive = now + heartbeat;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.hello_once();
                    self.send(report::goodbye(&self.identity.id));
                    // Closing the socket leaves the goodbye to ZeroMQ for the linger.
                    return;
                }
            }
        }
    }

    /// Says hello with what the node is made of. A node described only after a heartbeat
    /// already said a bare hello says it again: the server takes the later one.
    fn hello(&mut self, description: &Description) {
        self.said_hello = true;
        self.described = description.clone();
        self.send(report::hello(&self.identity, &self.settings, description));
    }

    /// Says a bare hello (no routes yet) unless one was said.
    fn hello_once(&mut self) {
        if !self.said_hello {
            self.hello(&Description::default());
        }
    }

    /// Sends one frame without waiting; a report that cannot go now is dropped and counted.
    fn send(&self, frame: Result<Vec<u8>, crate::error::Error>) {
        let sent = frame
            .ok()
            .is_some_and(|frame| self.socket.send(frame, zmq::DONTWAIT).is_ok());
        let counter = if sent {
            &self.counters.sent
        } else {
            &self.counters.dropped
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}
