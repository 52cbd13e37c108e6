//! A connection's socket, shared between the route (which registers its descriptor and
//! closes it only once the reactor has let it go) and tungstenite (which reads and writes
//! it). While the handshake is read, reads are held to the route's `max_header_bytes`:
//! tungstenite's own bound on a handshake is fixed at 64 KiB.

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;

/// The answer to a handshake over `max_header_bytes`, written as the connection is dropped.
const HEADER_TOO_LARGE: &[u8] =
    b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/// The socket and what the connection needs to know of its reads and writes.
pub(crate) struct Wire {
    stream: TcpStream,
    /// Bytes the handshake may still send; `None` once the handshake is done.
    header_budget: Cell<Option<usize>>,
    /// The last write would have blocked: the connection waits until it is writable.
    write_blocked: Cell<bool>,
}

impl Wire {
    pub(crate) fn new(stream: TcpStream, max_header_bytes: usize) -> Rc<Wire> {
        Rc::new(Wire {
            stream,
            header_budget: Cell::new(Some(max_header_bytes)),
            write_blocked: Cell::new(false),
        })
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.stream.as_raw_fd()
    }

    /// The handshake is done: reads are no longer held to the header budget.
    pub(crate) fn end_handshake(&self) {
        self.header_budget.set(None);
    }

    pub(crate) fn write_blocked(&self) -> bool {
        self.write_blocked.get()
    }

    /// No more writes: the peer reads to the end of what was sent, then sees the end.
    pub(crate) fn shutdown_write(&self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }

    /// Ends the TCP connection both ways at once, so the peer sees it closed now, not when
    /// the route next lets the descriptor go (after the reactor has, which a stopped node
    /// does only when it is dropped).
    pub(crate) fn shutdown(&self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }

    /// Reads and throws away what waits (a connection being let go); true at the end of
    /// the stream or on an error, false when nothing more waits now.
    pub(crate) fn discard_input(&self) -> bool {
        let mut sink = [0u8; 4096];
        // Bounded, so one chatty peer cannot hold the loop.
        for _ in 0..16 {
            match (&self.stream).read(&mut sink) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return true,
            }
        }
        false
    }
}

/// The wire as tungstenite's stream.
pub(crate) struct WireStream(pub(crate) Rc<Wire>);

impl Read for WireStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let wire = &self.0;
        match wire.header_budget.get() {
            None => (&wire.stream).read(buf),
            Some(0) => {
                // Best effort: a client that does not read its answer just sees the close.
                let _ = (&wire.stream).write(HEADER_TOO_LARGE);
                Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "handshake over max_header_bytes",
                ))
            }
            Some(left) => {
                let room = buf.len().min(left);
                let n = (&wire.stream).read(&mut buf[..room])?;
                wire.header_budget.set(Some(left - n));
                Ok(n)
            }
        }
    }
}

impl Write for WireStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = (&self.0.stream).write(buf);
        let blocked = matches!(&result, Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        self.0.write_blocked.set(blocked);
        result
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
