//! A real `redis-server` (Debian's package; scripts/test installs it) for one test, on a port
//! of its own, keeping nothing on disk, killed when dropped. Each test starts its own, so
//! tests run in parallel. Every wait polls against a deadline.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a redis-server may take to answer PING once started.
const START_PATIENCE: Duration = Duration::from_secs(10);
/// Ports tried before giving up (another program may take a free port before redis does).
const PORT_TRIES: usize = 5;

pub struct RedisServer {
    child: Option<Child>,
    pub port: u16,
}

impl RedisServer {
    /// One on a port nobody had a moment ago; another port if that one was taken meanwhile.
    pub fn start() -> RedisServer {
        for _ in 0..PORT_TRIES {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|listener| listener.local_addr())
                .expect("a free port")
                .port();
            if let Some(child) = spawn(port) {
                return RedisServer {
                    child: Some(child),
                    port,
                };
            }
        }
        panic!("redis-server did not start on any of {PORT_TRIES} ports");
    }

    /// `redis://127.0.0.1:PORT/0`
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// A connection for the test's own reads.
    pub fn connection(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .and_then(|client| client.get_connection_with_timeout(Duration::from_secs(2)))
            .expect("connect to the test's redis-server")
    }

    /// Kills it (SIGKILL: nothing is saved, and the server's connections are reset).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops it (SIGSTOP) without closing anything: a Redis that hangs.
    pub fn pause(&self) {
        self.signal("STOP");
    }

    /// Lets a paused one go on (SIGCONT).
    pub fn resume(&self) {
        self.signal("CONT");
    }

    fn signal(&self, name: &str) {
        let pid = self.child.as_ref().expect("running").id();
        let sent = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(pid.to_string())
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -{name} {pid}");
    }

    /// A new one on the same port, empty, as a restarted Redis without persistence is.
    pub fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + START_PATIENCE;
        while Instant::now() < deadline {
            if let Some(child) = spawn(self.port) {
                self.child = Some(child);
                return;
            }
        }
        panic!("redis-server did not start again on port {}", self.port);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts redis-server on `port` and waits until it answers; `None` if it exited first (the
/// port was taken) or did not answer in time. The answer must come from this very process:
/// the port may be another test's redis-server.
fn spawn(port: u16) -> Option<Child> {
    let mut child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(std::env::temp_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run redis-server ({e}); install Debian's redis-server (scripts/test does)"
            )
        });
    let started = Instant::now();
    let url = format!("redis://127.0.0.1:{port}/0");
    loop {
        if !matches!(child.try_wait(), Ok(None)) {
            return None;
        }
        if answering_pid(&url) == Some(child.id()) {
            return Some(child);
        }
        if started.elapsed() > START_PATIENCE {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The process id of the redis-server that answers at `url`, if one does.
fn answering_pid(url: &str) -> Option<u32> {
    let info = redis::Client::open(url)
        .and_then(|client| client.get_connection_with_timeout(Duration::from_millis(200)))
        .and_then(|mut connection| {
            redis::cmd("INFO")
                .arg("server")
                .query::<String>(&mut connection)
        })
        .ok()?;
    info.lines()
        .find_map(|line| line.strip_prefix("process_id:"))
        .and_then(|pid| pid.trim().parse().ok())
}
