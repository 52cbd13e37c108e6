//! What the launcher tells the control server (docs/control.md, "From a launcher"): each
//! start and each exit of a process, so the server can tell a process the launcher saw end
//! (`down`) from one it cannot hear (`unreachable`). One DripDrop message (BERT) per frame on
//! a DEALER connected to the app's `control` address. Sends never wait: with no server, or a
//! slow one, a report that does not fit the queue is dropped and counted.

use super::child::{Exit, Program};
use dripdrop::{Message, Value};
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// Reports queued for the server at most; past it they are dropped (and counted). Enough for
/// a burst of starts and exits of every process of a big role, small enough to bound memory.
pub const SEND_HWM: i32 = 64;
/// How long queued reports (the last exits, at a stop) may still go out after the launcher
/// is done, before it exits anyway.
pub const LINGER: Duration = Duration::from_millis(500);

/// The DEALER and what every report says about where it comes from.
pub struct Reporter {
    socket: zmq::Socket,
    /// Kept for the socket's life (the zmq crate's sockets hold the context too; this makes
    /// the order plain).
    _context: zmq::Context,
    endpoint: String,
    /// `dripdrop::host_name()`: the host the children's own reports name.
    host: String,
    app: String,
    sent: u64,
    dropped: u64,
}

impl Reporter {
    /// Connects to `endpoint` (the connection itself is made, and made again, in the
    /// background: a server that is not there yet gets the reports queued until then).
    pub fn connect(endpoint: &str, app: &str) -> Result<Reporter, zmq::Error> {
        let context = zmq::Context::new();
        let socket = context.socket(zmq::DEALER)?;
        let host = dripdrop::host_name();
        // A random identity: the launcher is not one of the processes it reports on, and a
        // restarted launcher is a new peer.
        socket.set_identity(
            format!("launch:{host}:{}:{:016x}", std::process::id(), nonce()).as_bytes(),
        )?;
        socket.set_sndhwm(SEND_HWM)?;
        socket.set_linger(LINGER.as_millis() as i32)?;
        socket.connect(endpoint)?;
        Ok(Reporter {
            socket,
            _context: context,
            endpoint: endpoint.to_owned(),
            host,
            app: app.to_owned(),
            sent: 0,
            dropped: 0,
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Reports that could not be queued.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// `dripdrop.started`: `program` runs as `pid`.
    pub fn started(&mut self, program: &Program, pid: u32) {
        let body = self.about(program, pid);
        self.send("dripdrop.started", body);
    }

    /// `dripdrop.exited`: `pid` ended with `exit`; whether it will be started again, and
    /// whether it is not because it was flapping.
    pub fn exited(
        &mut self,
        program: &Program,
        pid: u32,
        exit: Exit,
        restarting: bool,
        flapping: bool,
    ) {
        let mut body = self.about(program, pid);
        let number = |n: Option<i32>| n.map_or(Value::Nil, |n| Value::Int(i64::from(n)));
        body.push(entry("code", number(exit.code)));
        body.push(entry("signal", number(exit.signal)));
        body.push(entry("restarting", Value::Bool(restarting)));
        body.push(entry("flapping", Value::Bool(flapping)));
        self.send("dripdrop.exited", body);
    }

    /// What both messages start with: which process of which app.
    fn about(&self, program: &Program, pid: u32) -> Vec<(Value, Value)> {
        vec![
            entry("host", Value::from(self.host.as_str())),
            entry("pid", Value::Int(i64::from(pid))),
            entry("node", Value::from(program.node.as_str())),
            entry("instance", Value::Int(i64::from(program.instance))),
            entry("role", Value::from(program.role.as_str())),
            entry("app", Value::from(self.app.as_str())),
        ]
    }

    fn send(&mut self, name: &str, body: Vec<(Value, Value)>) {
        let frame = Message::new(name).and_then(|m| m.with_body(Value::Dict(body)).encode());
        let sent = frame
            .ok()
            .is_some_and(|frame| self.socket.send(frame, zmq::DONTWAIT).is_ok());
        if sent {
            self.sent += 1;
        } else {
            self.dropped += 1;
        }
    }
}

fn entry(key: &str, value: Value) -> (Value, Value) {
    (Value::from(key), value)
}

/// 64 random bits from the key std draws from the OS for its hash maps (no random-number
/// crate for an identity that only has to differ between launchers).
fn nonce() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.finish()
}
