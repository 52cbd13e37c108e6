//! A value that any thread may use, but only one thread at a time: how a `Node` (which is not
//! `Send`: it holds `Rc`s, `RefCell`s and ZeroMQ sockets) can belong to a Python object that
//! Python code may touch from any of its threads.
//!
//! The thread that uses the value is recorded in an atomic. A thread that finds the value free
//! takes it for the duration of a call; the same thread may take it again inside that call
//! (a callback calling a method); any other thread is refused with `WrongThread` until the
//! first lets go. The thread that runs the node's loop holds it for the whole run. A thread
//! about to be started may have the value reserved for it, so that nobody takes it between
//! `start()` and the moment the new thread begins its run.

use dripdrop::Error;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// No thread uses the value.
const FREE: u64 = 0;

/// Thread ids and reservation tokens come from one counter, so a token never equals a
/// thread's id.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static THIS_THREAD: u64 = NEXT_ID.fetch_add(1, Ordering::Relaxed);
}

fn this_thread() -> u64 {
    // A thread that is being torn down has lost its thread-locals; it gets an id of its own,
    // which only ever lets it take a free value.
    THIS_THREAD
        .try_with(|id| *id)
        .unwrap_or_else(|_| NEXT_ID.fetch_add(1, Ordering::Relaxed))
}

const IN_USE_ELSEWHERE: &str = "the node is in use by another thread (its loop runs there, or \
     a call on it has not returned): call it from its callbacks, post to it with \
     node.handle().post(f), or stop it with node.stop(), which works from any thread";

/// `T`, used by one thread at a time.
pub struct OneThreadAtATime<T> {
    /// The id of the thread using `value` (or a reservation token), or `FREE`.
    owner: AtomicU64,
    /// How many nested calls of the owner hold `value`; only the owner touches it.
    depth: AtomicUsize,
    value: T,
}

// SAFETY: `value` is reached only through `Entered`, which exists only on the thread recorded
// in `owner`; a second thread is refused until every `Entered` of the first is dropped. The
// `Acquire` that takes ownership pairs with the `Release` that gives it up, so each thread
// sees everything its predecessor did (including libzmq's socket state, which ZeroMQ allows
// to move between threads given such a barrier). `T`'s `Rc`s and `RefCell`s are therefore
// never touched by two threads at once, provided every clone of those `Rc`s lives inside
// `value` (the skin keeps them there: they are captured only by callbacks the node owns), and
// `T` is dropped by whichever thread drops the last reference, when nobody can use it.
unsafe impl<T> Send for OneThreadAtATime<T> {}
// SAFETY: as above: shared references on many threads reach `value` one thread at a time.
unsafe impl<T> Sync for OneThreadAtATime<T> {}

impl<T> OneThreadAtATime<T> {
    pub fn new(value: T) -> Self {
        OneThreadAtATime {
            owner: AtomicU64::new(FREE),
            depth: AtomicUsize::new(0),
            value,
        }
    }

    /// The value, for this thread, until the result is dropped; `WrongThread` if another
    /// thread uses it.
    pub fn enter(&self) -> Result<Entered<'_, T>, Error> {
        let me = this_thread();
        match self
            .owner
            .compare_exchange(FREE, me, Ordering::Acquire, Ordering::Relaxed)
        {
            Ok(_) => Ok(self.first_entry()),
            Err(owner) if owner == me => {
                self.depth.fetch_add(1, Ordering::Relaxed);
                Ok(Entered {
                    shared: self,
                    on_this_thread: PhantomData,
                })
            }
            Err(_) => Err(Error::WrongThread(IN_USE_ELSEWHERE.into())),
        }
    }

    /// Keeps the value for a thread that is about to start: nobody takes it until that
    /// thread `claim`s it with the returned token (or `release` gives it back).
    pub fn reserve(&self) -> Result<u64, Error> {
        let token = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        match self
            .owner
            .compare_exchange(FREE, token, Ordering::Acquire, Ordering::Relaxed)
        {
            Ok(_) => Ok(token),
            Err(owner) if owner == this_thread() => Err(Error::WrongThread(
                "the node is in use by this thread (its loop runs here, or a call on it has \
                 not returned): it cannot start on another"
                    .into(),
            )),
            Err(_) => Err(Error::WrongThread(IN_USE_ELSEWHERE.into())),
        }
    }

    /// Takes the value reserved with `token` for this thread.
    pub fn claim(&self, token: u64) -> Result<Entered<'_, T>, Error> {
        self.owner
            .compare_exchange(token, this_thread(), Ordering::Acquire, Ordering::Relaxed)
            .map(|_| self.first_entry())
            .map_err(|_| Error::WrongThread("the node was not reserved for this thread".into()))
    }

    /// Gives back a reservation nobody claimed; false if `token` holds nothing.
    pub fn release(&self, token: u64) -> bool {
        self.owner
            .compare_exchange(token, FREE, Ordering::Release, Ordering::Relaxed)
            .is_ok()
    }

    fn first_entry(&self) -> Entered<'_, T> {
        self.depth.store(1, Ordering::Relaxed);
        Entered {
            shared: self,
            on_this_thread: PhantomData,
        }
    }
}

/// The value, held by this thread; it is let go when the last `Entered` is dropped.
pub struct Entered<'a, T> {
    shared: &'a OneThreadAtATime<T>,
    /// Not `Send`: an entry belongs to the thread that made it.
    on_this_thread: PhantomData<*const ()>,
}

impl<T> Deref for Entered<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.shared.value
    }
}

impl<T> Drop for Entered<'_, T> {
    fn drop(&mut self) {
        if self.shared.depth.fetch_sub(1, Ordering::Relaxed) == 1 {
            self.shared.owner.store(FREE, Ordering::Release);
        }
    }
}
