//! The signals the launcher acts on, as events on a channel: SIGTERM and SIGINT (stop
//! everything) and SIGCHLD (a child ended: reap). A thread of signal-hook's iterator turns
//! them into events, so the supervisor waits on one channel, with a timeout for its timers.
//! Registered before the first child starts, so no exit goes unnoticed.

use signal_hook::consts::{SIGCHLD, SIGINT, SIGTERM};
use signal_hook::iterator::{Handle, Signals};
use std::io;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;

/// Events waiting for the supervisor. Small: signal-hook merges repeats of one signal while
/// the thread waits here, and one SIGCHLD reaps every child that ended.
const EVENTS_BOUND: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// SIGTERM or SIGINT (the signal).
    Stop(i32),
    /// SIGCHLD: some child ended.
    ChildEnded,
}

/// The thread that turns signals into events; closed and joined when dropped.
pub struct SignalEvents {
    handle: Handle,
    thread: Option<JoinHandle<()>>,
    pub events: Receiver<Event>,
}

impl SignalEvents {
    pub fn start() -> io::Result<SignalEvents> {
        let mut signals = Signals::new([SIGTERM, SIGINT, SIGCHLD])?;
        let handle = signals.handle();
        let (tx, events) = mpsc::sync_channel(EVENTS_BOUND);
        let thread = std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || forward(&mut signals, &tx))?;
        Ok(SignalEvents {
            handle,
            thread: Some(thread),
            events,
        })
    }
}

fn forward(signals: &mut Signals, tx: &SyncSender<Event>) {
    for signal in signals.forever() {
        let sent = match signal {
            // A full queue holds a SIGCHLD already, whose reaping covers this one too.
            SIGCHLD => match tx.try_send(Event::ChildEnded) {
                Err(TrySendError::Disconnected(_)) => Err(()),
                _ => Ok(()),
            },
            other => tx.send(Event::Stop(other)).map_err(|_| ()),
        };
        if sent.is_err() {
            return; // the supervisor is gone
        }
    }
}

impl Drop for SignalEvents {
    fn drop(&mut self) {
        // The receiver goes first, so a send the thread is blocked in fails and the thread
        // sees the close.
        let (_, closed) = mpsc::sync_channel(0);
        drop(std::mem::replace(&mut self.events, closed));
        self.handle.close();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
