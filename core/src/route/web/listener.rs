//! A route's listening socket: bound non-blocking, registered with the node's reactor, and
//! accepting connections up to the route's `max_connections` (one more is accepted and
//! closed at once, so a client is told rather than left in the backlog).

use super::address::WebAddress;
use crate::error::Error;
use crate::reactor::{Interest, Sources, Token};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;

/// Connections the kernel completes before the route accepts them (the kernel caps it at
/// `net.core.somaxconn`). std's 128 is too few for a burst: past it, the kernel drops new
/// connections' SYNs and their clients wait a second or more to try again. nginx asks 511.
const BACKLOG: i32 = 1024;

/// A listening, non-blocking socket bound to `host:port` (a name is resolved; the first
/// address that binds is used).
fn listen(host_port: &str) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    use std::net::ToSocketAddrs;
    let mut last = std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address");
    for address in host_port.to_socket_addrs()? {
        let socket = Socket::new(Domain::for_address(address), Type::STREAM, None)?;
        socket.set_reuse_address(true)?;
        socket.set_nonblocking(true)?;
        match socket
            .bind(&address.into())
            .and_then(|()| socket.listen(BACKLOG))
        {
            Ok(()) => return Ok(socket.into()),
            Err(e) => last = e,
        }
    }
    Err(last)
}

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
        let socket = listen(&address.socket_address()).map_err(fail)?;
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
