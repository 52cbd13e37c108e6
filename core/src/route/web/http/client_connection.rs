//! One connection of an http_client route: connecting without blocking, writing one
//! request, reading its response, then idle until the next request (no pipelining).

use super::client::{HttpResponse, ResponseError, ResponseReader};
use crate::reactor::Interest;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Instant;

/// A request on its way: its id (what the reply carries) and its bytes.
#[derive(Debug)]
pub(crate) struct InFlight {
    pub(crate) id: u64,
    pub(crate) bytes: Vec<u8>,
    written: usize,
    /// It was sent once on a kept-alive connection the server had closed, and is being
    /// sent again; it is not retried twice.
    pub(crate) retried: bool,
}

impl InFlight {
    pub(crate) fn new(id: u64, bytes: Vec<u8>) -> Self {
        InFlight {
            id,
            bytes,
            written: 0,
            retried: false,
        }
    }

    /// The same request, to send again from its first byte.
    pub(crate) fn again(self) -> Self {
        InFlight {
            written: 0,
            retried: true,
            ..self
        }
    }
}

/// Where a connection is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ClientPhase {
    /// The non-blocking connect is under way: writable means it finished.
    Connecting,
    /// Connected: writing a request or reading its response.
    Busy,
    /// Connected, with no request, since this time.
    Idle(Instant),
    /// Closed; its registration is removed before the next wait.
    Closed,
}

/// What an event on a connection came to.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Nothing whole yet.
    Pending,
    /// The response to the request.
    Response(InFlight, HttpResponse),
    /// The connection failed (or the server closed it): the request it carried, if any,
    /// and why. `retry` when the request may go again on a new connection (a kept-alive
    /// connection the server had closed before any of the response came).
    Failed {
        request: Option<InFlight>,
        why: String,
        retry: bool,
        /// The response was unreadable or over the bounds (a decode error), rather than
        /// the connection failing.
        bad_response: bool,
    },
}

pub(crate) struct ClientConnection {
    stream: TcpStream,
    pub(crate) phase: ClientPhase,
    pub(crate) request: Option<InFlight>,
    input: Vec<u8>,
    reader: ResponseReader,
    /// It carried a whole exchange before.
    reused: bool,
    /// What the last wait looked for.
    pub(crate) asked: Interest,
}

/// Starts a non-blocking connect to `peer`: the stream, and whether it is connected
/// already (it may be, on loopback). An error is a connect that failed at once.
pub(crate) fn connect(peer: SocketAddr) -> std::io::Result<(TcpStream, bool)> {
    let socket = Socket::new(Domain::for_address(peer), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_nonblocking(true)?;
    // Messages are small and a request waits for its answer: no Nagle delay.
    socket.set_tcp_nodelay(true)?;
    let connected = match socket.connect(&SockAddr::from(peer)) {
        Ok(()) => true,
        Err(e)
            if e.raw_os_error() == Some(zmq_sys::errno::EINPROGRESS)
                || e.kind() == ErrorKind::WouldBlock =>
        {
            false
        }
        Err(e) => return Err(e),
    };
    Ok((socket.into(), connected))
}

impl ClientConnection {
    pub(crate) fn new(
        stream: TcpStream,
        connected: bool,
        request: InFlight,
        limits: (usize, usize),
    ) -> Self {
        ClientConnection {
            stream,
            phase: if connected {
                ClientPhase::Busy
            } else {
                ClientPhase::Connecting
            },
            request: Some(request),
            input: Vec::new(),
            reader: ResponseReader::new(limits.0, limits.1),
            reused: false,
            asked: Interest::NONE,
        }
    }

    pub(crate) fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// Gives an idle connection its next request.
    pub(crate) fn start(&mut self, request: InFlight) {
        self.request = Some(request);
        self.phase = ClientPhase::Busy;
    }

    fn unsent(&self) -> bool {
        self.request
            .as_ref()
            .is_some_and(|r| r.written < r.bytes.len())
    }

    pub(crate) fn has_output(&self) -> bool {
        self.phase == ClientPhase::Busy && self.unsent()
    }

    /// What the next wait should look for: the connect finishing, room to write, the
    /// response; on an idle connection, the server closing it.
    pub(crate) fn interest(&self) -> Interest {
        match self.phase {
            ClientPhase::Connecting => Interest {
                readable: false,
                writable: true,
            },
            ClientPhase::Busy => Interest {
                readable: !self.unsent(),
                writable: self.unsent(),
            },
            ClientPhase::Idle(_) => Interest::READABLE,
            ClientPhase::Closed => Interest::NONE,
        }
    }

    /// Does what an event (or a chance to write) allows.
    pub(crate) fn on_event(&mut self, readable: bool, writable: bool, now: Instant) -> Outcome {
        match self.phase {
            ClientPhase::Closed => return Outcome::Pending,
            ClientPhase::Connecting => {
                if !readable && !writable {
                    return Outcome::Pending;
                }
                match self.stream.take_error() {
                    Ok(None) if self.stream.peer_addr().is_ok() => self.phase = ClientPhase::Busy,
                    Ok(Some(e)) | Err(e) => return self.fail(format!("connect: {e}"), false),
                    Ok(None) => return self.fail("connect: not connected".into(), false),
                }
            }
            ClientPhase::Idle(_) => {
                if readable {
                    // The server closed it (or sent what nobody asked for): it is done.
                    return self.fail("closed by the server".into(), false);
                }
                return Outcome::Pending;
            }
            ClientPhase::Busy => {}
        }
        if let Err(e) = self.write() {
            return self.fail(format!("send: {e}"), false);
        }
        if readable || !self.unsent() {
            return self.read(now);
        }
        Outcome::Pending
    }

    /// Writes what it can of the request.
    fn write(&mut self) -> std::io::Result<()> {
        let Some(request) = &mut self.request else {
            return Ok(());
        };
        while request.written < request.bytes.len() {
            match self.stream.write(&request.bytes[request.written..]) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => request.written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Reads what came of the response.
    fn read(&mut self, now: Instant) -> Outcome {
        let mut buffer = [0u8; 16 * 1024];
        loop {
            match self.stream.read(&mut buffer) {
                Ok(0) => {
                    return match self.reader.at_close() {
                        Ok(response) => self.respond(response, now),
                        Err(ResponseError::Cut) => self.fail("closed by the server".into(), false),
                        Err(e) => self.fail(format!("{e:?}"), true),
                    }
                }
                Ok(n) => {
                    self.input.extend_from_slice(&buffer[..n]);
                    match self.reader.feed(&mut self.input) {
                        Ok(Some(response)) => return self.respond(response, now),
                        Ok(None) => {}
                        Err(ResponseError::TooLarge(what)) => {
                            return self.fail(format!("{what} is over the route's bound"), true)
                        }
                        Err(ResponseError::Malformed(why)) => return self.fail(why, true),
                        Err(ResponseError::Cut) => {
                            return self.fail("closed by the server".into(), false)
                        }
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Outcome::Pending,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return self.fail(format!("receive: {e}"), false),
            }
        }
    }

    fn respond(&mut self, response: HttpResponse, now: Instant) -> Outcome {
        let request = self.request.take().expect("a response answers a request");
        // Bytes after the response answer nothing: the connection cannot be trusted.
        if response.reusable && self.input.is_empty() {
            self.reused = true;
            self.phase = ClientPhase::Idle(now);
        } else {
            self.phase = ClientPhase::Closed;
        }
        Outcome::Response(request, response)
    }

    fn fail(&mut self, why: String, bad_response: bool) -> Outcome {
        let retry = !bad_response
            && self.reused
            && !self.reader.started()
            && self.input.is_empty()
            && self.request.as_ref().is_some_and(|r| !r.retried);
        self.phase = ClientPhase::Closed;
        Outcome::Failed {
            request: self.request.take(),
            why,
            retry,
            bad_response,
        }
    }
}
