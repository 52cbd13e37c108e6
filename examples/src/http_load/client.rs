//! The load itself: HTTP/1.1 GETs over keep-alive connections, timed into a histogram, with
//! failures sorted by kind.
//!
//! Hand-written on purpose, where the rest of http_load uses libraries: this client *is* the
//! load generator, and `bench http_load` measures it against wrk. It does only what a load
//! test needs: one request prepared once and written with one call, the status line and the
//! headers a keep-alive exchange depends on (Content-Length, chunked, Connection: close), the
//! body read into a reused buffer and dropped, one blocking socket per connection on its own
//! thread, and each I/O failure sorted into the kind the report counts. A general HTTP
//! client (hyper, reqwest, ureq) does more per response (header maps, allocations) and
//! brings its own async runtime or connection pool into the loop being timed.

use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// An `http://host:port/path` URL.
#[derive(Clone, Debug)]
pub struct Url {
    pub host: String,
    pub port: u16,
    pub path: String,
}

impl Url {
    pub fn parse(url: &str) -> Result<Url, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("{url}: only http:// URLs"))?;
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse()
                    .map_err(|_| format!("{url}: bad port {port:?}"))?,
            ),
            None => (authority, 80),
        };
        if host.is_empty() {
            return Err(format!("{url}: no host"));
        }
        Ok(Url {
            host: host.to_owned(),
            port,
            path: path.to_owned(),
        })
    }
}

/// How a request failed.
pub fn error_kind(e: &io::Error) -> &'static str {
    match e.kind() {
        ErrorKind::ConnectionRefused => "refused",
        ErrorKind::TimedOut | ErrorKind::WouldBlock => "timeout",
        ErrorKind::ConnectionReset
        | ErrorKind::ConnectionAborted
        | ErrorKind::BrokenPipe
        | ErrorKind::UnexpectedEof => "reset",
        _ => "other",
    }
}

/// What a batch of requests measured.
pub struct Tally {
    /// Latencies in microseconds (from the intended start when paced).
    pub latency: Histogram<u64>,
    pub statuses: BTreeMap<u16, u64>,
    pub errors: BTreeMap<&'static str, u64>,
}

impl Default for Tally {
    fn default() -> Self {
        Tally::new()
    }
}

impl Tally {
    pub fn new() -> Tally {
        Tally {
            latency: new_histogram(),
            statuses: BTreeMap::new(),
            errors: BTreeMap::new(),
        }
    }

    pub fn merge(&mut self, other: Tally) {
        let _ = self.latency.add(&other.latency);
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        for (kind, n) in other.errors {
            *self.errors.entry(kind).or_default() += n;
        }
    }
}

/// Latencies from 1 µs to an hour, 3 significant figures.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

/// One keep-alive connection; reconnects after a failure or `Connection: close`.
struct Connection<'a> {
    url: &'a Url,
    timeout: Duration,
    stream: Option<(TcpStream, BufReader<TcpStream>)>,
    request: Vec<u8>,
    line: String,
    body: Vec<u8>,
}

impl<'a> Connection<'a> {
    fn new(url: &'a Url, timeout: Duration) -> Self {
        let request = format!(
            "GET {} HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: dripdrop-http_load\r\n\r\n",
            url.path, url.host, url.port
        );
        Connection {
            url,
            timeout,
            stream: None,
            request: request.into_bytes(),
            line: String::new(),
            body: Vec::new(),
        }
    }

    fn connect(&mut self) -> io::Result<()> {
        let address = (self.url.host.as_str(), self.url.port)
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::new(ErrorKind::NotFound, "no address"))?;
        let stream = TcpStream::connect_timeout(&address, self.timeout)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(self.timeout))?;
        stream.set_write_timeout(Some(self.timeout))?;
        let reader = BufReader::with_capacity(16 * 1024, stream.try_clone()?);
        self.stream = Some((stream, reader));
        Ok(())
    }

    /// One GET; the response's status.
    fn get(&mut self) -> io::Result<u16> {
        if self.stream.is_none() {
            self.connect()?;
        }
        let result = self.exchange();
        if !matches!(result, Ok((_, true))) {
            self.stream = None;
        }
        result.map(|(status, _)| status)
    }

    /// Sends the request, reads the response; the status and whether the connection stays.
    fn exchange(&mut self) -> io::Result<(u16, bool)> {
        let (stream, reader) = self.stream.as_mut().expect("connected");
        stream.write_all(&self.request)?;
        let line = &mut self.line;
        line.clear();
        if reader.read_line(line)? == 0 {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::new(ErrorKind::InvalidData, "bad status line"))?;
        let (mut length, mut chunked, mut keep) = (0usize, false, true);
        loop {
            line.clear();
            if reader.read_line(line)? == 0 {
                return Err(ErrorKind::UnexpectedEof.into());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let lower = header.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            } else if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                chunked = true;
            } else if lower.starts_with("connection:") && lower.contains("close") {
                keep = false;
            }
        }
        if chunked {
            loop {
                line.clear();
                reader.read_line(line)?;
                let size = usize::from_str_radix(line.trim(), 16)
                    .map_err(|_| io::Error::new(ErrorKind::InvalidData, "bad chunk size"))?;
                self.body.resize(size + 2, 0);
                reader.read_exact(&mut self.body)?;
                if size == 0 {
                    break;
                }
            }
        } else {
            self.body.resize(length, 0);
            reader.read_exact(&mut self.body)?;
        }
        Ok((status, keep))
    }
}

/// How a batch runs.
#[derive(Clone, Debug)]
pub struct Plan {
    pub url: Url,
    pub requests: u64,
    pub connections: u64,
    pub timeout: Duration,
    /// With a rate: requests per second for this batch, and when its first request is due
    /// (negative: already late). Latency then counts from each request's due time, so a
    /// slow server is not hidden by requests that were sent late (coordinated omission).
    pub pace: Option<(f64, i64)>,
}

/// Runs a batch: `connections` threads share the requests.
pub fn run(plan: &Plan) -> Tally {
    let connections = plan.connections.clamp(1, plan.requests.max(1));
    let start = Instant::now();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..connections)
            .map(|c| scope.spawn(move || run_connection(plan, c, connections, start)))
            .collect();
        let mut tally = Tally::new();
        for worker in workers {
            if let Ok(part) = worker.join() {
                tally.merge(part);
            }
        }
        tally
    })
}

fn run_connection(plan: &Plan, index: u64, connections: u64, start: Instant) -> Tally {
    let mut tally = Tally::new();
    let mut connection = Connection::new(&plan.url, plan.timeout);
    let mut j = index;
    while j < plan.requests {
        let due = plan.pace.map(|(rate, start_in_us)| {
            let offset_us = start_in_us as f64 + j as f64 * 1e6 / rate;
            (offset_us.max(0.0) as u64, (-offset_us).max(0.0) as u64)
        });
        let began = match due {
            Some((wait_us, _)) => {
                let at = start + Duration::from_micros(wait_us);
                let now = Instant::now();
                if at > now {
                    std::thread::sleep(at - now);
                }
                at
            }
            None => Instant::now(),
        };
        let result = connection.get();
        let late_us = due.map_or(0, |(_, late)| late);
        let latency = began.elapsed().as_micros() as u64 + late_us;
        match result {
            Ok(status) => {
                *tally.statuses.entry(status).or_default() += 1;
                let _ = tally.latency.record(latency.max(1));
            }
            Err(e) => *tally.errors.entry(error_kind(&e)).or_default() += 1,
        }
        j += connections;
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = Url::parse("http://127.0.0.1:8080/a/b?c").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("127.0.0.1", 8080, "/a/b?c")
        );
        let u = Url::parse("http://example.com").unwrap();
        assert_eq!((u.port, u.path.as_str()), (80, "/"));
        assert!(Url::parse("https://x/").is_err());
        assert!(Url::parse("http://:1/").is_err());
        assert!(Url::parse("http://x:port/").is_err());
    }
}
