//! The web routes against the servers people would otherwise use, in the same run:
//!
//! - `http_server`: requests/s of an http_server route answering each GET with a small JSON
//!   message (one node, one thread), divided by nginx serving a static file of the same
//!   bytes (one worker process); both driven by `wrk -t1 -c16`.
//! - `ws_echo`: messages/s echoed by a websocket_server route (each text frame read as a
//!   JSON message and sent back as one), divided by a bare `tungstenite` echo server (a
//!   blocking thread per connection); both driven by the same tungstenite client, which
//!   sends a window of messages and reads their echoes.

use crate::tools::{require, wrk, Killed};
use crate::{compare, Size};
use dripdrop::{Message, Mode, Node, NodeHandle, RouteKind};
use dripdrop_examples::Fallible;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tungstenite::Message as Frame;

const WRK_CONNECTIONS: u64 = 16;
/// Messages the echo client sends before it reads their echoes.
const WINDOW: u64 = 64;

/// A node running on its own thread, stopped and joined when dropped.
struct NodeThread {
    handle: NodeHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl NodeThread {
    /// Starts a node made by `setup` on a thread; returns it with what `setup` returned.
    fn start<T: Send + 'static>(
        setup: impl FnOnce(&mut Node) -> Fallible<T> + Send + 'static,
    ) -> Fallible<(NodeThread, T)> {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let made = Node::new()
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { e.into() })
                .and_then(|mut node| setup(&mut node).map(|made| (node, made)));
            let mut node = match made {
                Ok((node, made)) => {
                    let _ = tx.send(Ok((node.handle(), made)));
                    node
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            if let Err(e) = node.run() {
                eprintln!("bench: the node failed: {e}");
            }
        });
        let (handle, made) = rx.recv()??;
        Ok((
            NodeThread {
                handle,
                thread: Some(thread),
            },
            made,
        ))
    }
}

impl Drop for NodeThread {
    fn drop(&mut self) {
        self.handle.stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The JSON of the message the http_server route answers with, which nginx serves as a file.
fn pong() -> Fallible<Message> {
    Ok(Message::new("pong")?.with_body("ok"))
}

pub fn run_http_server(size: Size) -> Fallible<f64> {
    let nginx = require(
        "nginx",
        Some("/usr/sbin/nginx"),
        "http_server needs nginx (Debian: apt-get install nginx-light)",
    )?;
    require(
        "wrk",
        None,
        "http_server needs wrk (Debian: apt-get install wrk)",
    )?;
    let body = pong()?.to_json()?;
    let (_node, url) = NodeThread::start(|node| {
        let endpoint = node
            .route(
                "web",
                RouteKind::HttpServer,
                &["http://127.0.0.1:0"],
                Mode::Bind,
            )?
            .endpoint()
            .to_owned();
        let reply = pong()?;
        node.on_request("web", move |node, _request, response| {
            if let Err(e) = response.send_message(node, &reply) {
                node.report_error(e);
            }
        })?;
        // The endpoint ends with the route's path, "/".
        Ok(format!("{endpoint}pong"))
    })?;
    let site = tempdir("nginx")?;
    let (_nginx, nginx_url) = start_nginx(&nginx, &site, &body)?;
    let seconds = if size.quick { 1 } else { 3 };
    println!(
        "http_server: wrk -t1 -c{WRK_CONNECTIONS} -d{seconds}s; a {}-byte JSON answer; nginx \
         ({}) one worker serving it as a file; {} rounds",
        body.len(),
        nginx_version(&nginx),
        size.rounds
    );
    compare(
        "http_server",
        "req",
        size,
        || wrk(&url, WRK_CONNECTIONS, seconds, true),
        || wrk(&nginx_url, WRK_CONNECTIONS, seconds, true),
        "nginx",
    )
}

/// Starts nginx with one worker serving `body` as `/pong` from a folder under `site`;
/// returns it and the file's URL.
fn start_nginx(nginx: &Path, site: &Path, body: &[u8]) -> Fallible<(Killed, String)> {
    std::fs::create_dir_all(site.join("www"))?;
    std::fs::create_dir_all(site.join("logs"))?;
    std::fs::write(site.join("www/pong"), body)?;
    // nginx cannot report a port it picked: take a free one and give it over. Another
    // process could take it in between; then nginx fails to start and the run says so.
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let config = format!(
        "daemon off;\nworker_processes 1;\npid {site}/nginx.pid;\nerror_log {site}/logs/error.log;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {site}/body;\n  proxy_temp_path {site}/proxy;\n\
         fastcgi_temp_path {site}/fastcgi;\n  uwsgi_temp_path {site}/uwsgi;\n  scgi_temp_path {site}/scgi;\n\
         default_type application/json;\n\
         server {{ listen 127.0.0.1:{port}; root {site}/www; location / {{ }} }}\n}}\n",
        site = site.display()
    );
    let config_path = site.join("nginx.conf");
    std::fs::write(&config_path, config)?;
    let child = Command::new(nginx)
        .arg("-p")
        .arg(site)
        .arg("-c")
        .arg(&config_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let child = Killed(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err(format!("nginx did not listen on port {port}").into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok((child, format!("http://127.0.0.1:{port}/pong")))
}

fn nginx_version(nginx: &Path) -> String {
    Command::new(nginx)
        .arg("-v")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stderr).trim().to_owned())
        .and_then(|v| v.rsplit('/').next().map(str::to_owned))
        .unwrap_or_else(|| "version unknown".into())
}

fn tempdir(what: &str) -> Fallible<PathBuf> {
    let dir = std::env::temp_dir().join(format!("dripdrop-bench-{what}-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

pub fn run_ws_echo(size: Size) -> Fallible<f64> {
    let count = size.count_or(2_000, 100_000);
    let (_node, url) = NodeThread::start(|node| {
        let endpoint = node
            .route(
                "ws",
                RouteKind::WebSocketServer,
                &["ws://127.0.0.1:0/echo"],
                Mode::Bind,
            )?
            .endpoint()
            .to_owned();
        node.on_receive_from("ws", |node, message, connection| {
            if let Err(e) = connection.send_message(node, &message) {
                node.report_error(e);
            }
        })?;
        Ok(endpoint)
    })?;
    let bare = bare_echo_server()?;
    let text = String::from_utf8(
        Message::new("echo")?
            .with_body("a sixty-four byte body of text, the size of a chat message ...")
            .to_json()?,
    )?;
    println!(
        "ws_echo: {count} messages a round over one connection, {WINDOW} in flight, {} bytes \
         each; bare tungstenite 0.30 echo server, a thread per connection; {} rounds",
        text.len(),
        size.rounds
    );
    compare(
        "ws_echo",
        "msg",
        size,
        || echo_client(&url, &text, count),
        || echo_client(&bare, &text, count),
        "tungstenite",
    )
}

/// A bare tungstenite echo server on a thread per connection; returns its URL. Its threads
/// end with the process.
fn bare_echo_server() -> Fallible<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("ws://{}/echo", listener.local_addr()?);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = stream.set_nodelay(true);
                let Ok(mut ws) = tungstenite::accept(stream) else {
                    return;
                };
                while let Ok(frame) = ws.read() {
                    if (frame.is_text() || frame.is_binary()) && ws.send(frame).is_err() {
                        return;
                    }
                }
            });
        }
    });
    Ok(url)
}

/// Sends `count` copies of `text` over one connection, `WINDOW` at a time, reading every
/// echo; returns messages/s.
fn echo_client(url: &str, text: &str, count: u64) -> Fallible<f64> {
    let address = url
        .strip_prefix("ws://")
        .and_then(|rest| rest.split('/').next())
        .ok_or("a ws:// url")?;
    let stream = TcpStream::connect(address)?;
    stream.set_nodelay(true)?;
    let (mut ws, _) = tungstenite::client(url, stream)?;
    let started = Instant::now();
    let mut echoed = 0;
    while echoed < count {
        let window = WINDOW.min(count - echoed);
        for _ in 0..window {
            ws.write(Frame::text(text))?;
        }
        ws.flush()?;
        let mut read = 0;
        while read < window {
            match ws.read()? {
                Frame::Text(echo) if echo.as_str() == text => read += 1,
                Frame::Text(other) => return Err(format!("a wrong echo: {other}").into()),
                _ => {}
            }
        }
        echoed += window;
    }
    let rate = crate::rate(count, started.elapsed());
    let _ = ws.close(None);
    Ok(rate)
}
