//! HTTP requests as curl sends them (captured by a listener on loopback) and WebSocket
//! frames as tungstenite's client writes them.

use super::Seed;
use dripdrop::fuzzing::websocket::HANDSHAKE;
use dripdrop::Message;
use std::io::{self, Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::thread;
use std::time::Duration;
use tungstenite::protocol::frame::coding::{Data, OpCode};
use tungstenite::protocol::frame::Frame;
use tungstenite::protocol::{Role, WebSocket};

const JSON: &str = r#"{"name":"ping","head":{"reply_to":"pong"},"body":[1,2.5,null,true,{"$atom":"ok"},{"$binary":"AP8="},{"$tuple":[1,"a"]},123456789012345678901234567890]}"#;

/// curl's arguments for each request (the URL is added last).
const CURL: &[(&str, &[&str])] = &[
    (
        "curl-post",
        &[
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            JSON,
        ],
    ),
    ("curl-get", &["-G", "--data-urlencode", "q=a b&c"]),
    (
        "curl-chunked",
        &["-H", "Transfer-Encoding: chunked", "--data-binary", JSON],
    ),
    (
        "curl-expect",
        &[
            "-H",
            "Expect: 100-continue",
            "--expect100-timeout",
            "0.1",
            "--data-binary",
            JSON,
        ],
    ),
    ("curl-http10", &["-0", "-X", "PUT", "--data-binary", JSON]),
];

/// Each request curl sends, and two of them as one keep-alive connection carries them.
pub fn http_requests() -> io::Result<Vec<Seed>> {
    let mut seeds = Vec::new();
    for (label, args) in CURL {
        seeds.push(((*label).to_owned(), capture(args)?));
    }
    let pair = [seeds[0].1.as_slice(), seeds[1].1.as_slice()].concat();
    seeds.push(("curl-keep-alive-pair".into(), pair));
    Ok(seeds)
}

/// The bodies of the captured POST requests: JSON as a client sends it.
pub fn json_bodies(requests: &[Seed]) -> Vec<Seed> {
    requests
        .iter()
        .filter(|(label, _)| label == "curl-post")
        .filter_map(|(label, bytes)| {
            let at = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
            Some((label.clone(), bytes[at + 4..].to_vec()))
        })
        .collect()
}

/// What curl sends with `args` to a listener that answers once it has gone quiet.
fn capture(args: &[&str]) -> io::Result<Vec<u8>> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/api/jobs?x=1", listener.local_addr()?);
    let server = thread::spawn(move || -> io::Result<Vec<u8>> {
        let (mut stream, _) = listener.accept()?;
        stream.set_read_timeout(Some(Duration::from_millis(400)))?;
        let mut request = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => request.extend_from_slice(&buffer[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    break
                }
                Err(e) => return Err(e),
            }
        }
        stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")?;
        Ok(request)
    });
    let status = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "--max-time", "5"])
        .args(args)
        .arg(&url)
        .status()?;
    let request = server
        .join()
        .map_err(|_| io::Error::other("capture thread"))??;
    if !status.success() {
        return Err(io::Error::other(format!("curl {args:?} failed: {status}")));
    }
    Ok(request)
}

/// A client's side of a WebSocket: what it writes is kept, nothing is ever read.
struct Sent(Vec<u8>);

impl Read for Sent {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::ErrorKind::WouldBlock.into())
    }
}

impl Write for Sent {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Sessions of frames as tungstenite's client writes them (masked): after a browser's
/// handshake (first byte 0), and one with the handshake in the input (first byte 1).
pub fn websocket_sessions() -> Vec<Seed> {
    let json = Message::new("ping")
        .and_then(|m| m.to_json())
        .expect("a message's JSON");
    let frames = |write: &dyn Fn(&mut WebSocket<Sent>)| {
        let mut socket = WebSocket::from_raw_socket(Sent(Vec::new()), Role::Client, None);
        write(&mut socket);
        let _ = socket.flush();
        socket.get_ref().0.clone()
    };
    let text = String::from_utf8(json.clone()).expect("JSON is UTF-8");
    let chat = frames(&|ws| {
        let _ = ws.write(tungstenite::Message::text(text.clone()));
        let _ = ws.write(tungstenite::Message::binary(json.clone()));
        let _ = ws.write(tungstenite::Message::Ping(b"hi".to_vec().into()));
        let _ = ws.close(None);
    });
    let fragmented = frames(&|ws| {
        let first = Frame::message(json[..8].to_vec(), OpCode::Data(Data::Text), false);
        let rest = Frame::message(json[8..].to_vec(), OpCode::Data(Data::Continue), true);
        let _ = ws.write(tungstenite::Message::Frame(first));
        let _ = ws.write(tungstenite::Message::Frame(rest));
    });
    let too_long = frames(&|ws| {
        let _ = ws.write(tungstenite::Message::binary(vec![7u8; 2000]));
    });
    vec![
        ("chat".into(), [&[0u8][..], &chat].concat()),
        ("fragmented".into(), [&[0u8][..], &fragmented].concat()),
        ("too-long".into(), [&[0u8][..], &too_long].concat()),
        (
            "with-handshake".into(),
            [&[1u8][..], HANDSHAKE, &chat].concat(),
        ),
    ]
}
