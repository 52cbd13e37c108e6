//! A connected pair of non-blocking sockets for driving a server connection with bytes: the
//! server's end as the `TcpStream` the connection types take, the other end for the peer.
//!
//! A Unix socket pair rather than loopback TCP: a fuzz target makes millions of connections,
//! and TCP would leave each in TIME_WAIT and run out of ports. The connection types only
//! read, write and shut down their stream, which a Unix stream socket does the same way.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::ops::RangeInclusive;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;

/// The peer's end of a connection under test.
pub(super) struct Peer {
    stream: UnixStream,
    /// Everything the server wrote, read as it came.
    pub(super) received: Vec<u8>,
}

/// A server-side stream and its peer, both non-blocking.
pub(super) fn pair() -> (TcpStream, Peer) {
    let (server, peer) = UnixStream::pair().expect("a socket pair");
    server.set_nonblocking(true).expect("non-blocking");
    peer.set_nonblocking(true).expect("non-blocking");
    let server = TcpStream::from(OwnedFd::from(server));
    let peer = Peer {
        stream: peer,
        received: Vec::new(),
    };
    (server, peer)
}

impl Peer {
    /// Sends what the socket takes now; returns how many bytes it took.
    pub(super) fn send(&mut self, bytes: &[u8]) -> usize {
        let mut sent = 0;
        while sent < bytes.len() {
            match self.stream.write(&bytes[sent..]) {
                Ok(0) => break,
                Ok(n) => sent += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                // Full (the server has not read yet), or the server closed.
                Err(_) => break,
            }
        }
        sent
    }

    /// Reads what the server wrote so far, so its writes never block for long.
    pub(super) fn receive(&mut self) {
        let mut buffer = [0u8; 16 * 1024];
        loop {
            match self.stream.read(&mut buffer) {
                Ok(0) => return,
                Ok(n) => self.received.extend_from_slice(&buffer[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    }

    /// No more bytes from the peer: the server reads the end of the stream.
    pub(super) fn finish(&self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }
}

/// Where `input` is cut into the pieces it arrives in: `sizes` bytes each (the last maybe
/// fewer), the sizes taken from the input's own bytes so a run is repeatable.
pub(super) fn pieces(input: &[u8], sizes: RangeInclusive<usize>) -> Vec<&[u8]> {
    let (least, span) = (*sizes.start(), sizes.end() - sizes.start() + 1);
    let mut pieces = Vec::new();
    let mut rest = input;
    let mut seed = input.iter().fold(0x9e37_79b9_u32, |h, &b| {
        h.rotate_left(5) ^ u32::from(b).wrapping_mul(0x0100_0193)
    });
    while !rest.is_empty() {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let size = least + seed as usize % span;
        let (piece, tail) = rest.split_at(size.min(rest.len()));
        pieces.push(piece);
        rest = tail;
    }
    pieces
}
