//! The reactor: one wait over ZeroMQ sockets and plain file descriptors, with timers and
//! wake-ups from other threads. A node's loop, a pool's I/O thread and a worker each run on
//! one; what they do with what is ready is their own business.
//!
//! A source is registered once and keeps its [`Token`] until it is removed. Before each wait
//! its owner says what it wants of it ([`Reactor::set_interest`]); the wait reports what is
//! ready as [`Event`]s carrying the key the owner gave when it registered the source. The
//! wait ends at the earliest of: a source ready, a wake-up from another thread, the next
//! timer, or the deadline the owner passes.

mod precise_timer;
mod shared_socket;
mod timers;
mod waker;

pub(crate) use shared_socket::SharedSocket;
pub use timers::TimerId;
pub(crate) use timers::{later, Timers};
pub(crate) use waker::{pair as waker_pair, WakeReceiver, Waker};

use crate::error::Error;
use precise_timer::PreciseTimer;
use std::os::fd::RawFd;
use std::sync::Arc;
use std::time::Instant;

/// A registered source, to change what is wanted of it or to remove it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Token(usize);

/// What a source's owner waits for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Interest {
    pub(crate) readable: bool,
    pub(crate) writable: bool,
}

impl Interest {
    pub(crate) const NONE: Interest = Interest {
        readable: false,
        writable: false,
    };
    pub(crate) const READABLE: Interest = Interest {
        readable: true,
        writable: false,
    };

    fn bits(self) -> i16 {
        let mut bits = 0;
        if self.readable {
            bits |= zmq_sys::ZMQ_POLLIN as i16;
        }
        if self.writable {
            bits |= zmq_sys::ZMQ_POLLOUT as i16;
        }
        bits
    }
}

/// A source that is ready. An error or hang-up on a plain descriptor reads as readable, so
/// its owner's next read finds out what happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Event<K> {
    pub(crate) key: K,
    pub(crate) token: Token,
    pub(crate) readable: bool,
    pub(crate) writable: bool,
}

/// The owner's key of a source, and the socket it keeps open while registered.
struct Source<K> {
    key: K,
    _socket: Option<SharedSocket>,
}

/// The poll slots of the reactor's own descriptors; sources take the slots after them.
const WAKER_SLOT: usize = 0;
const PRECISE_TIMER_SLOT: usize = 1;
const FIRST_SOURCE_SLOT: usize = 2;

/// A poll set with timers of payload `T` and a waker; `K` is the owner's key of a source.
pub(crate) struct Reactor<K, T> {
    /// What libzmq polls, one item per slot; the first are the reactor's own (the waker's
    /// and the precise timer's). A removed source's item is left with fd -1 and no socket,
    /// which poll skips, until a new source reuses it.
    items: Vec<zmq_sys::zmq_pollitem_t>,
    sources: Vec<Option<Source<K>>>,
    free: Vec<usize>,
    timers: Timers<T>,
    waker: Arc<Waker>,
    wake: WakeReceiver,
    precise_timer: PreciseTimer,
    /// Waits the precise timer ended (tests read it: a wait it ended did not round up).
    #[cfg(test)]
    precise_wakeups: u64,
}

/// Calls the wait it is given: a host language wraps the wait to release its interpreter
/// lock around it (see `Node::run_with`); a host may also decline to wait, which reads as
/// nothing ready.
pub(crate) type AroundWait<'a> = &'a mut dyn FnMut(&mut dyn FnMut());

impl<K: Copy, T> Reactor<K, T> {
    /// An empty reactor and its waker.
    pub(crate) fn new() -> std::io::Result<Self> {
        let (waker, wake) = waker::pair()?;
        Ok(Reactor::with_waker(Arc::new(waker), wake))
    }

    /// An empty reactor woken through a waker made beforehand (by the thread that starts the
    /// one the reactor will live on).
    pub(crate) fn with_waker(waker: Arc<Waker>, wake: WakeReceiver) -> Self {
        let precise_timer = PreciseTimer::new();
        let mut own = [
            item(std::ptr::null_mut(), wake.fd()),
            item(std::ptr::null_mut(), precise_timer.fd()),
        ];
        for polled in &mut own {
            polled.events = Interest::READABLE.bits();
        }
        Reactor {
            items: own.to_vec(),
            sources: own.iter().map(|_| None).collect(),
            free: Vec::new(),
            timers: Timers::new(),
            waker,
            wake,
            precise_timer,
            #[cfg(test)]
            precise_wakeups: 0,
        }
    }

    /// Gives back the read end of the waker (for a later reactor on the same waker).
    pub(crate) fn into_wake_receiver(self) -> WakeReceiver {
        self.wake
    }

    /// Wakes the reactor's wait from any thread.
    pub(crate) fn waker(&self) -> &Arc<Waker> {
        &self.waker
    }

    /// The reactor's timers.
    pub(crate) fn timers(&self) -> &Timers<T> {
        &self.timers
    }

    pub(crate) fn timers_mut(&mut self) -> &mut Timers<T> {
        &mut self.timers
    }

    /// Registers a ZeroMQ socket; the reactor keeps it open until it is removed.
    pub(crate) fn add_socket(
        &mut self,
        socket: &SharedSocket,
        interest: Interest,
        key: K,
    ) -> Token {
        let token = self.add(item(socket.raw(), -1), key, Some(socket.clone()));
        self.set_interest(token, interest);
        token
    }

    /// Registers a plain file descriptor (a non-blocking TCP listener or connection, a
    /// pipe...). Remove it before closing the descriptor: a closed one reads as an error,
    /// and one reopened under the same number would be polled in its place.
    pub(crate) fn add_fd(&mut self, fd: RawFd, interest: Interest, key: K) -> Token {
        let token = self.add(item(std::ptr::null_mut(), fd), key, None);
        self.set_interest(token, interest);
        token
    }

    fn add(
        &mut self,
        polled: zmq_sys::zmq_pollitem_t,
        key: K,
        socket: Option<SharedSocket>,
    ) -> Token {
        let source = Some(Source {
            key,
            _socket: socket,
        });
        match self.free.pop() {
            Some(slot) => {
                self.items[slot] = polled;
                self.sources[slot] = source;
                Token(slot)
            }
            None => {
                self.items.push(polled);
                self.sources.push(source);
                Token(self.items.len() - 1)
            }
        }
    }

    /// Says what the next waits look for on a source.
    pub(crate) fn set_interest(&mut self, token: Token, interest: Interest) {
        if self.is_registered(token) {
            self.items[token.0].events = interest.bits();
        }
    }

    /// Removes a source (a socket is let go, a descriptor is no longer polled).
    pub(crate) fn remove(&mut self, token: Token) {
        if self.is_registered(token) {
            self.items[token.0] = item(std::ptr::null_mut(), -1);
            self.sources[token.0] = None;
            self.free.push(token.0);
        }
    }

    fn is_registered(&self, token: Token) -> bool {
        token.0 >= FIRST_SOURCE_SLOT && self.sources.get(token.0).is_some_and(Option::is_some)
    }

    /// Removes every source: their sockets are let go now, not when the reactor is.
    pub(crate) fn clear(&mut self) {
        for slot in FIRST_SOURCE_SLOT..self.items.len() {
            self.remove(Token(slot));
        }
    }

    /// Waits until a source is ready, another thread wakes the reactor, the next timer is
    /// due or `until` comes, whichever is first; `ready` gets what is ready (it is cleared
    /// first). A wake-up is taken in and reported as nothing ready; so is a signal that
    /// interrupts the wait.
    pub(crate) fn wait(
        &mut self,
        until: Option<Instant>,
        around_wait: AroundWait<'_>,
        ready: &mut Vec<Event<K>>,
    ) -> Result<(), Error> {
        ready.clear();
        let wake_at = match (self.timers.next_due(), until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let timeout_ms: std::os::raw::c_long = match wake_at {
            None => -1,
            Some(at) => {
                let now = Instant::now();
                self.precise_timer.arm(at, now);
                let wait = at.saturating_duration_since(now);
                // Rounded up, so a timer is never woken for just before it is due; the
                // precise timer ends the wait at the deadline itself.
                wait.as_micros()
                    .div_ceil(1000)
                    .try_into()
                    .unwrap_or(std::os::raw::c_long::MAX)
            }
        };
        for polled in &mut self.items {
            polled.revents = 0;
        }
        let (items, count) = (self.items.as_mut_ptr(), self.items.len());
        let (mut rc, mut errno) = (0, 0);
        around_wait(&mut || {
            // SAFETY: every item names an open socket (its SharedSocket is held in `sources`)
            // or a descriptor (or -1, which poll skips); the array outlives the call.
            rc = unsafe { zmq_sys::zmq_poll(items, count as std::os::raw::c_int, timeout_ms) };
            // Read here: what the host runs after the wait (a signal handler) may change
            // errno before `around_wait` returns.
            if rc < 0 {
                errno = unsafe { zmq_sys::zmq_errno() };
            }
        });
        if rc < 0 {
            return match errno {
                zmq_sys::errno::EINTR => Ok(()),
                errno => Err(Error::zmq_errno("poll", errno)),
            };
        }
        if rc == 0 {
            return Ok(());
        }
        if self.items[WAKER_SLOT].revents != 0 {
            self.wake.drain(&self.waker);
        }
        if self.items[PRECISE_TIMER_SLOT].revents != 0 {
            self.precise_timer.clear();
            #[cfg(test)]
            {
                self.precise_wakeups += 1;
            }
        }
        let readable = (zmq_sys::ZMQ_POLLIN | zmq_sys::ZMQ_POLLERR) as i16;
        let writable = zmq_sys::ZMQ_POLLOUT as i16;
        for (slot, polled) in self.items.iter().enumerate().skip(FIRST_SOURCE_SLOT) {
            if polled.revents == 0 {
                continue;
            }
            if let Some(source) = &self.sources[slot] {
                ready.push(Event {
                    key: source.key,
                    token: Token(slot),
                    readable: polled.revents & readable != 0,
                    writable: polled.revents & writable != 0,
                });
            }
        }
        Ok(())
    }
}

fn item(socket: *mut std::ffi::c_void, fd: RawFd) -> zmq_sys::zmq_pollitem_t {
    zmq_sys::zmq_pollitem_t {
        socket,
        fd,
        events: 0,
        revents: 0,
    }
}

/// What a source's owner (a route) may do with the reactor: its sources are registered under
/// the key it was given, so their events come back to it.
pub(crate) trait Sources {
    fn add_socket(&mut self, socket: &SharedSocket, interest: Interest) -> Token;
    /// Routes that are not ZeroMQ (HTTP, WebSocket) add and remove connections as they come
    /// and go.
    fn add_fd(&mut self, fd: RawFd, interest: Interest) -> Token;
    fn set_interest(&mut self, token: Token, interest: Interest);
    fn remove(&mut self, token: Token);
}

/// A reactor lent to one owner: what it registers carries the owner's key.
pub(crate) struct KeyedSources<'a, K, T> {
    reactor: &'a mut Reactor<K, T>,
    key: K,
}

impl<K: Copy, T> Reactor<K, T> {
    /// The reactor as seen by the owner of `key`.
    pub(crate) fn sources(&mut self, key: K) -> KeyedSources<'_, K, T> {
        KeyedSources { reactor: self, key }
    }
}

impl<K: Copy, T> Sources for KeyedSources<'_, K, T> {
    fn add_socket(&mut self, socket: &SharedSocket, interest: Interest) -> Token {
        self.reactor.add_socket(socket, interest, self.key)
    }

    fn add_fd(&mut self, fd: RawFd, interest: Interest) -> Token {
        self.reactor.add_fd(fd, interest, self.key)
    }

    fn set_interest(&mut self, token: Token, interest: Interest) {
        self.reactor.set_interest(token, interest);
    }

    fn remove(&mut self, token: Token) {
        self.reactor.remove(token);
    }
}

#[cfg(test)]
mod tests;
