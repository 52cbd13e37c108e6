//! The original DripDrop "complex" example, rebuilt: browsers, WebSocket, ZeroMQ and HTTP
//! stitched together with one API. Three nodelets, one process or three:
//!
//! - `ws_listener` serves the page and the JavaScript client (an http_server route), holds
//!   the browsers' WebSocket connections (websocket_server), forwards what each browser sends
//!   as a request to the coordinator (zmq_xreq) and sends the reply back to that browser, and
//!   fans every tick the coordinator publishes (zmq_subscribe) out to every browser
//!   (`broadcast`).
//! - `coordinator` answers the listener's requests (zmq_xrep) by asking the service over HTTP
//!   (http_client), and publishes a tick every `--tick-ms` (zmq_publish).
//! - `service` is the web service at the end: an http_server route answering each POSTed
//!   message (the original used a small Sinatra app).
//!
//! ```text
//! browser <-ws-> ws_listener <-xreq/xrep-> coordinator <-http-> service
//!                 ws_listener <-sub/pub--- coordinator (tick)
//! ```
//!
//! Run: `cargo run -p dripdrop-examples --bin complex` and open the page it prints. It serves
//! until stopped (Ctrl-C), or for `--seconds`. `--run-list` picks the nodelets of this
//! process; a nodelet that connects to one in another process is told where by `--requests`,
//! `--ticks` or `--service`.

use clap::Parser;
use dripdrop::{
    Connection, Message, Mode, Node, NodeOptions, Response, RouteKind, RouteOptions, Value,
};
use dripdrop_examples::{exit_code, nodelet_named, peer_address, Fallible, FirstError};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

const NODELETS: [&str; 3] = ["ws_listener", "coordinator", "service"];

/// Browsers on a WebSocket route, a coordinator behind ZeroMQ, a web service behind HTTP.
#[derive(Debug, Parser)]
#[command(name = "complex")]
struct Config {
    /// Comma-separated nodelets to run here [default: all three]
    #[arg(long, value_name = "NAMES", value_delimiter = ',', value_parser = nodelet)]
    run_list: Option<Vec<String>>,
    /// Where the page and the JavaScript client are served (ws_listener)
    #[arg(long, value_name = "ADDR", default_value = "http://127.0.0.1:0")]
    http: String,
    /// Where browsers connect (ws_listener)
    #[arg(long, value_name = "ADDR", default_value = "ws://127.0.0.1:0/ws")]
    ws: String,
    /// The coordinator's requests route (binds it; a listener elsewhere connects to it)
    #[arg(long, value_name = "ADDR", default_value = "tcp://127.0.0.1:*")]
    requests: String,
    /// The coordinator's ticks (binds it; a listener elsewhere connects to it)
    #[arg(long, value_name = "ADDR", default_value = "tcp://127.0.0.1:*")]
    ticks: String,
    /// The web service (binds it; a coordinator elsewhere posts to it)
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "http://127.0.0.1:0/endpoint"
    )]
    service: String,
    /// Time between ticks, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    tick_ms: u64,
    /// Stop after this many seconds [default: serve until stopped]
    #[arg(long, value_name = "S")]
    seconds: Option<u64>,
    /// The folder of the page [default: examples/web/complex]
    #[arg(long, value_name = "DIR")]
    public: Option<PathBuf>,
}

/// One name of `--run-list`.
fn nodelet(name: &str) -> Result<String, String> {
    nodelet_named(name, &NODELETS)
}

fn service(node: &mut Node, config: &Config, failed: &FirstError) -> Fallible<()> {
    let endpoint = node
        .route(
            "service",
            RouteKind::HttpServer,
            &[&config.service],
            Mode::Bind,
        )?
        .endpoint()
        .to_owned();
    println!("service: answering on {endpoint}");
    let failed = failed.clone();
    node.on_request("service", move |node, request, response| {
        let said = request.body().as_str().unwrap_or("(not text)").to_owned();
        println!("service <- {said}");
        let reply = Message::new("service.reply")
            .map(|m| m.with_body(format!("the service heard: {said}")));
        if let Err(e) = reply.and_then(|reply| response.send_message(node, &reply)) {
            failed.set(node, e);
        }
    })?;
    Ok(())
}

fn coordinator(node: &mut Node, config: &Config, failed: &FirstError) -> Fallible<()> {
    let ticks = node
        .route(
            "broadcast_out",
            RouteKind::Publish,
            &[&config.ticks],
            Mode::Bind,
        )?
        .endpoint()
        .to_owned();
    let requests = node
        .route("reqs_in", RouteKind::Xrep, &[&config.requests], Mode::Bind)?
        .endpoint()
        .to_owned();
    println!("coordinator: ticks on {ticks}, requests on {requests}");
    let service = peer_address(node, "service", &config.service, "service", "service")?;
    let options = RouteOptions {
        request_timeout: Some(Duration::from_secs(10)),
        ..RouteOptions::default()
    };
    node.route_with(
        "reqs_htout",
        RouteKind::HttpClient,
        &[&service],
        Mode::Connect,
        options,
    )?;

    // Each request goes on to the service; its answer (or why none came) goes back.
    node.on_request("reqs_in", move |node, request, response: Response| {
        let sent = node.send_request("reqs_htout", &request, move |node, answer| {
            let reply = answer.unwrap_or_else(|e| {
                Message::new("error")
                    .expect("a valid name")
                    .with_body(e.to_string())
            });
            if let Err(e) = response.send_message(node, &reply) {
                node.report_error(e);
            }
        });
        if let Err(e) = sent {
            node.report_error(e);
        }
    })?;

    let failed = failed.clone();
    node.every(Duration::from_millis(config.tick_ms.max(1)), move |node| {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let tick = Message::new("tick").map(|m| m.with_body(Value::from(now)));
        if let Err(e) = tick.and_then(|tick| node.send_message("broadcast_out", &tick)) {
            failed.set(node, e);
        }
    });
    Ok(())
}

fn ws_listener(node: &mut Node, config: &Config, failed: &FirstError) -> Fallible<()> {
    let public = config
        .public
        .clone()
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("web/complex"));
    let client = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../bindings/js/dripdrop.js");
    let ws = node
        .route("ws", RouteKind::WebSocketServer, &[&config.ws], Mode::Bind)?
        .endpoint()
        .to_owned();
    let options = RouteOptions {
        static_dir: Some(public),
        ..RouteOptions::default()
    };
    let page = node
        .route_with(
            "web",
            RouteKind::HttpServer,
            &[&config.http],
            Mode::Bind,
            options,
        )?
        .endpoint()
        .to_owned();
    let ticks = peer_address(node, "broadcast_out", &config.ticks, "ticks", "coordinator")?;
    let requests = peer_address(node, "reqs_in", &config.requests, "requests", "coordinator")?;
    node.route(
        "broadcast_in",
        RouteKind::Subscribe,
        &[&ticks],
        Mode::Connect,
    )?;
    let options = RouteOptions {
        request_timeout: Some(Duration::from_secs(15)),
        ..RouteOptions::default()
    };
    node.route_with(
        "reqs_out",
        RouteKind::Xreq,
        &[&requests],
        Mode::Connect,
        options,
    )?;
    println!("ws_listener: browsers connect to {ws}");
    println!("ws_listener: open {page}?ws={ws}");

    // The page's other requests: the JavaScript client, and where the WebSocket is.
    let ws_address = ws.clone();
    node.on_request("web", move |node, request, response| {
        let sent = match request.name() {
            "/dripdrop.js" => response.send_file(node, &client),
            "/config" => Message::new("config")
                .map(|m| m.with_body(ws_address.as_str()))
                .and_then(|m| response.send_message(node, &m)),
            _ => Message::new("not_found").and_then(|m| response.send_status(node, 404, &m)),
        };
        if let Err(e) = sent {
            node.report_error(e);
        }
    })?;

    node.on_open("ws", |node, conn: Connection| {
        println!("ws_listener: browser {} connected", conn.signature());
        let hello = Message::new("hello").map(|m| m.with_body(conn.signature()));
        if let Err(e) = hello.and_then(|m| conn.send_message(node, &m)) {
            node.report_error(e);
        }
    })?;
    node.on_close("ws", |_, conn| {
        println!("ws_listener: browser {} left", conn.signature());
    })?;
    node.on_connection_error("ws", |_, reason, conn| {
        println!("ws_listener: browser {}: {reason}", conn.signature());
    })?;
    // What a browser sends goes to the coordinator as a request; the reply goes back to
    // that browser alone.
    node.on_receive_from("ws", |node, message, conn| {
        println!(
            "ws_listener <- browser {}: {}",
            conn.signature(),
            message.name()
        );
        let sent = node.send_request("reqs_out", &message, move |node, reply| {
            let reply = reply.unwrap_or_else(|e| {
                Message::new("error")
                    .expect("a valid name")
                    .with_body(e.to_string())
            });
            // The browser may have left meanwhile: nobody to tell.
            let _ = conn.send_message(node, &reply);
        });
        if let Err(e) = sent {
            node.report_error(e);
        }
    })?;
    // Every tick goes to every browser.
    let failed = failed.clone();
    node.on_receive("broadcast_in", move |node, tick| {
        if let Err(e) = node.broadcast("ws", &tick) {
            failed.set(node, e);
        }
    })?;
    Ok(())
}

fn run(config: Config) -> Fallible<()> {
    let mut node = Node::with_options(NodeOptions {
        run_list: config.run_list.clone(),
        ..NodeOptions::default()
    })?;
    let failed = FirstError::default();
    node.on_error(|_, error| eprintln!("complex: {error}"));
    // The service first, then the coordinator that posts to it, then the listener that
    // connects to the coordinator: each finds the endpoints of those in its process.
    node.nodelet("service", |node| lift(service(node, &config, &failed)))?;
    node.nodelet("coordinator", |node| {
        lift(coordinator(node, &config, &failed))
    })?;
    node.nodelet("ws_listener", |node| {
        lift(ws_listener(node, &config, &failed))
    })?;
    if let Some(seconds) = config.seconds {
        node.after(Duration::from_secs(seconds), |node| node.stop());
    }
    node.run()?;
    failed.check()
}

/// A nodelet's setup error as the node's error type.
fn lift(outcome: Fallible<()>) -> Result<(), dripdrop::Error> {
    outcome.map_err(|e| dripdrop::Error::InvalidArgument(e.to_string()))
}

fn main() -> ExitCode {
    exit_code("complex", run(Config::parse()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn flags_and_defaults() {
        Config::command().debug_assert();
        let config = Config::parse_from(["complex"]);
        assert_eq!(config.tick_ms, 1000);
        assert!(config.run_list.is_none() && config.seconds.is_none());
        assert!(Config::try_parse_from(["complex", "--run-list", "nope"]).is_err());
    }
}
