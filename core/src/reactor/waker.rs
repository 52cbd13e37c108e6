//! Wakes the reactor from other threads: a non-blocking socket pair whose read end the loop
//! polls beside its ZeroMQ sockets. ZeroMQ sockets themselves may not be shared across threads.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};

/// The write end: `Send + Sync`, shared by every handle of a node.
pub(crate) struct Waker {
    writer: UnixStream,
    /// Set while a wake-up byte is unread, so a burst of posts writes one byte, not many.
    pending: AtomicBool,
}

/// The read end, owned by the loop.
pub(crate) struct WakeReceiver {
    reader: UnixStream,
}

pub(crate) fn pair() -> std::io::Result<(Waker, WakeReceiver)> {
    let (reader, writer) = UnixStream::pair()?;
    reader.set_nonblocking(true)?;
    writer.set_nonblocking(true)?;
    Ok((
        Waker {
            writer,
            pending: AtomicBool::new(false),
        },
        WakeReceiver { reader },
    ))
}

impl Waker {
    pub(crate) fn wake(&self) {
        if !self.pending.swap(true, Ordering::AcqRel) {
            // A full pipe already holds a wake-up; any other failure leaves the loop to its
            // next timeout, which is the best a waker can do.
            let _ = (&self.writer).write(&[1]);
        }
    }
}

impl WakeReceiver {
    pub(crate) fn fd(&self) -> RawFd {
        self.reader.as_raw_fd()
    }

    /// Empties the pipe, then re-arms the waker; call before draining the queues the
    /// wake-up announced. In that order a wake-up racing with the drain either finds the flag
    /// still set (and its work is drained next) or writes a fresh byte: none is lost.
    pub(crate) fn drain(&self, waker: &Waker) {
        let mut buf = [0u8; 64];
        loop {
            match (&self.reader).read(&mut buf) {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        // A swap, not a store: its acquire half keeps the queue reads that follow from
        // moving before it.
        waker.pending.swap(false, Ordering::AcqRel);
    }
}
