//! `http_load target`: a small HTTP/1.1 server for tests and demos. One thread per
//! connection, keep-alive, the same answer to every request.

use crate::Fallible;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

/// What the target answers.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    pub delay: Duration,
}

impl Default for Answer {
    fn default() -> Self {
        Answer {
            status: 200,
            body: b"hello from the dripdrop target\n".to_vec(),
            delay: Duration::ZERO,
        }
    }
}

/// A running target; it serves until the process ends.
pub struct Target {
    pub address: String,
}

/// Binds `address` (`127.0.0.1:0` for any port) and serves on background threads.
pub fn start(address: &str, answer: Answer) -> Fallible<Target> {
    let listener = TcpListener::bind(address)?;
    let address = listener.local_addr()?.to_string();
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
        answer.status,
        reason(answer.status),
        answer.body.len()
    );
    let mut response = head.into_bytes();
    response.extend_from_slice(&answer.body);
    thread::Builder::new()
        .name("http-target".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let response = response.clone();
                let delay = answer.delay;
                let _ = thread::Builder::new()
                    .name("http-target-conn".into())
                    .spawn(move || serve(stream, &response, delay));
            }
        })?;
    Ok(Target { address })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Answers every request on one connection until the client closes it.
fn serve(stream: TcpStream, response: &[u8], delay: Duration) {
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    loop {
        // The request line, then headers up to the blank line; a GET has no body.
        let mut close = false;
        let mut first = true;
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if line == "\r\n" || line == "\n" {
                if first {
                    continue;
                }
                break;
            }
            first = false;
            if line.to_ascii_lowercase().starts_with("connection: close") {
                close = true;
            }
        }
        if !delay.is_zero() {
            thread::sleep(delay);
        }
        if writer.write_all(response).is_err() || close {
            return;
        }
    }
}

/// Serves in the foreground (`http_load target`).
pub fn run(address: &str, answer: Answer) -> Fallible<()> {
    let target = start(address, answer)?;
    println!("target listening on http://{}/", target.address);
    loop {
        thread::park();
    }
}
