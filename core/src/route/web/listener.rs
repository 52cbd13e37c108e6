//! A route's listening socket: bound non-blocking, registered with the node's reactor, and
//! accepting connections up to the route's `max_connections` (one more is accepted and
//! closed at once, so a client is told rather than left in the backlog).

use super::address::WebAddress;
use crate::error::Error;
use crate::reactor::{Interest, Sources, Token};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;

/// A bound, non-blocking listener.
pub(crate) struct Listener {
    socket: TcpListener,
    token: Option<Token>,
    /// The address bound, with the port the system picked for port 0.
    address: WebAddress,
}

/// What one accept gave.
pub(crate) enum Accepted {
    /// A connection, non-blocking, with Nagle off (messages are small and latency counts).
    Connection(TcpStream),
    /// Nothing more is waiting.
    Nothing,
    /// A connection over the limit: closed at once.
    Refused,
}

impl Listener {
    /// Binds `address` (port 0 picks a free one).
    pub(crate) fn bind(route: &str, address: &WebAddress) -> Result<Listener, Error> {
        let fail = |e: std::io::Error| Error::Connection {
            route: route.to_owned(),
            message: format!("bind {address}: {e}"),
        };
        let socket = TcpListener::bind(address.socket_address()).map_err(fail)?;
        socket.set_nonblocking(true).map_err(fail)?;
        let port = socket.local_addr().map_err(fail)?.port();
        Ok(Listener {
            socket,
            token: None,
            address: address.with_port(port),
        })
    }

    /// The address bound (with its real port).
    pub(crate) fn address(&self) -> &WebAddress {
        &self.address
    }

    /// Registers the listener with the reactor (readable: a connection waits).
    pub(crate) fn register(&mut self, sources: &mut dyn Sources) {
        let fd = self.socket.as_raw_fd();
        self.token = Some(sources.add_fd(fd, Interest::READABLE));
    }

    /// Whether a reactor event is this listener's.
    pub(crate) fn is(&self, token: Token) -> bool {
        self.token == Some(token)
    }

    /// Accepts one waiting connection; `open` is how many the route holds now.
    pub(crate) fn accept(&self, open: usize, max: usize) -> Accepted {
        match self.socket.accept() {
            Ok((stream, _)) if open >= max => {
                drop(stream);
                Accepted::Refused
            }
            Ok((stream, _)) => {
                // A stream that cannot be made non-blocking would block the loop: dropped.
                if stream.set_nonblocking(true).is_err() {
                    return Accepted::Refused;
                }
                let _ = stream.set_nodelay(true);
                Accepted::Connection(stream)
            }
            // WouldBlock, or an error of the one connection (reset before accept, out of
            // descriptors): nothing to hand on now; the listener stays registered.
            Err(_) => Accepted::Nothing,
        }
    }
}

impl Listener {
    /// Says whether the next wait takes new connections (not while the node stops).
    pub(crate) fn set_accepting(&self, sources: &mut dyn Sources, accepting: bool) {
        if let Some(token) = self.token {
            let interest = if accepting {
                Interest::READABLE
            } else {
                Interest::NONE
            };
            sources.set_interest(token, interest);
        }
    }
}
