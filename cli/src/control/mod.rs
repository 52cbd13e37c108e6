//! `dripdrop control`: the control server (docs/control.md, "The control server"). One
//! DripDrop node: a raw ROUTER with `router_notify` for the backchannel, an http_server for
//! the API and the dashboard's page, a websocket_server for the dashboard's live feed, a PUB
//! for events, and a 100 ms timer that derives the states.

mod api;
mod dashboard;
mod events;
mod latency;
mod live;
mod metrics;
mod store;
mod table;
mod topology;
mod wire;

use crate::manifest::Manifest;
use clap::Args;
use dripdrop::{CurveOption, Message, Mode, MsgFormat, Node, RouteKind, RouteOptions, Value};
use events::Events;
use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::time::{Duration, Instant};
use table::{Limits, Table};
use topology::Topology;
use wire::Report;

/// How often states are derived: well under the shortest heartbeat a process may ask for.
const TICK: Duration = Duration::from_millis(100);
/// Most processes in the table.
const MAX_PROCESSES: usize = 10_000;
/// How long a process that left or went silent stays in the table.
const EXPIRE_AFTER: Duration = Duration::from_secs(600);

/// Run the control server: processes report to it; it tells their states
#[derive(Debug, Args)]
pub struct Command {
    /// Where processes' backchannels connect (ZeroMQ; port 0 or * picks one)
    #[arg(long, default_value = "tcp://0.0.0.0:7600")]
    listen: String,
    /// Where the HTTP API listens (host:port; port 0 picks one)
    #[arg(long, default_value = "127.0.0.1:7680")]
    http: String,
    /// Where the dashboard's live feed listens (WebSocket; default: --http's host, a port
    /// the system picks)
    #[arg(long, value_name = "ADDR")]
    websocket: Option<String>,
    /// Publish every event here, as a `dripdrop.event` message (ZeroMQ PUB)
    #[arg(long)]
    events: Option<String>,
    /// Run `sh -c CMD` for every event, its JSON on stdin (a few at once; the rest dropped)
    #[arg(long, value_name = "CMD")]
    on_event: Option<String>,
    /// Heartbeats a process may miss before it is stuck or unreachable
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    missed: u32,
    /// Keep states, counters and events in Redis too (docs/control.md, "Redis")
    #[arg(long, value_name = "URL")]
    redis: Option<String>,
    /// The app's manifest: nodes with fewer live processes than its replicas are `missing`
    #[arg(long, value_name = "FILE")]
    manifest: Option<std::path::PathBuf>,
    /// Make the backchannel a CURVE server with this directory's keys (the
    /// DRIPDROP_CURVE_DIR layout: server.key_secret, and allowed/ for the processes it
    /// admits); without it, DRIPDROP_CURVE_DIR if set (docs/security.md)
    #[arg(long, value_name = "DIR")]
    curve_dir: Option<std::path::PathBuf>,
}

/// What the node's callbacks share.
pub struct Server {
    table: Table,
    events: Events,
    live: live::Live,
    /// Frames that were not reports (undecodable, unknown, wrongly framed).
    garbage: u64,
    /// With `--redis`.
    store: Option<store::Store>,
    /// With `--manifest`.
    topology: Option<Topology>,
}

pub fn run(command: Command) -> Result<(), String> {
    let mut node = Node::new().map_err(|e| e.to_string())?;
    let backchannel = RouteOptions {
        msg_format: MsgFormat::Raw,
        router_notify: true,
        max_frame_bytes: wire::MAX_FRAME_BYTES,
        // Without --curve-dir, DRIPDROP_CURVE_DIR if the environment has it.
        curve: command
            .curve_dir
            .clone()
            .map_or(CurveOption::FromEnvironment, CurveOption::Dir),
        ..Default::default()
    };
    let listen = zmq_address(&command.listen);
    let listen = node
        .route_with(
            "backchannel",
            RouteKind::Xrep,
            &[&listen],
            Mode::Bind,
            backchannel,
        )
        .map_err(|e| format!("--listen {}: {e}", command.listen))?
        .endpoint()
        .to_owned();
    let http = http_address(&command.http);
    let http = node
        .route("http", RouteKind::HttpServer, &[&http], Mode::Bind)
        .map_err(|e| format!("--http {}: {e}", command.http))?
        .endpoint()
        .trim_end_matches('/')
        .to_owned();
    let (websocket, live) = live::bind(&mut node, command.websocket.as_deref(), &http)?;
    let mut bound = format!("listen {listen}\nhttp {http}\nwebsocket {websocket}\n");
    if let Some(events) = &command.events {
        let events = node
            .route(
                "events",
                RouteKind::Publish,
                &[&zmq_address(events)],
                Mode::Bind,
            )
            .map_err(|e| format!("--events {events}: {e}"))?
            .endpoint()
            .to_owned();
        bound.push_str(&format!("events {events}\n"));
    }
    let publish = command.events.is_some();
    let topology = match &command.manifest {
        Some(path) => {
            let manifest = Manifest::load(path).map_err(|e| format!("--manifest: {e}"))?;
            Some(Topology::new(&manifest, Instant::now()))
        }
        None => None,
    };
    let store = match &command.redis {
        Some(url) => Some(store::Store::open(url).map_err(|e| format!("--redis: {e}"))?),
        None => None,
    };
    let server = Rc::new(RefCell::new(Server {
        table: Table::new(Limits {
            max_processes: MAX_PROCESSES,
            missed: command.missed,
            expire_after: EXPIRE_AFTER,
        }),
        events: Events::new(command.on_event),
        live,
        garbage: 0,
        store,
        topology,
    }));
    let state = Rc::clone(&server);
    node.on_frames("backchannel", move |node, frames| {
        let changes = state.borrow_mut().take(frames, Instant::now());
        announce(node, &state, changes, publish);
    })
    .map_err(|e| e.to_string())?;
    let state = Rc::clone(&server);
    node.on_request("http", move |node, request, response| {
        let text = |key: &str| {
            request
                .head_get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let backchannel = node
            .get_route("backchannel")
            .map(|route| route.stats())
            .unwrap_or_default();
        let answer = dashboard::answer(&state.borrow(), &request).unwrap_or_else(|| {
            api::answer(
                &state.borrow(),
                &text("http_method"),
                &text("http_path"),
                Instant::now(),
                backchannel,
            )
        });
        if let Err(e) = response.send_body(node, answer.status, answer.content_type, &answer.body) {
            node.report_error(e);
        }
    })
    .map_err(|e| e.to_string())?;
    live::serve(&mut node, &server)?;
    let state = Rc::clone(&server);
    node.every(TICK, move |node| {
        let now = Instant::now();
        let changes = state.borrow_mut().table.tick(now);
        announce(node, &state, changes, publish);
        let standings = {
            let server = &mut *state.borrow_mut();
            let (table, topology) = (&server.table, &mut server.topology);
            topology
                .as_mut()
                .map(|t| t.changes(table, now))
                .unwrap_or_default()
        };
        for fields in standings {
            let event = state.borrow_mut().events.record_json(fields);
            publish_event(node, &state, &event, publish);
        }
        state.borrow_mut().events.reap();
        store::flush(&mut state.borrow_mut(), Instant::now());
    });
    // Errors of the loop (a full PUB, a client gone) are the server's own business: one
    // line each on stderr, and the loop goes on.
    node.on_error(|_, error| eprintln!("dripdrop control: {error}"));
    let mut out = std::io::stdout().lock();
    out.write_all(bound.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write output: {e}"))?;
    drop(out);
    node.run().map_err(|e| e.to_string())
}

impl Server {
    /// Takes one frame set from the ROUTER: `[identity, ""]` is a connect or disconnect
    /// notification, `[identity, report]` a report; anything else is garbage.
    fn take(&mut self, frames: Vec<Vec<u8>>, now: Instant) -> Vec<table::Change> {
        let [identity, payload] = frames.as_slice() else {
            self.garbage += 1;
            return Vec::new();
        };
        if payload.is_empty() {
            return self.table.notified(identity, now).into_iter().collect();
        }
        let change = match wire::read(payload) {
            Ok(Report::Hello(hello)) => self.table.hello(identity, hello, now),
            Ok(Report::Beat(beat)) => self.table.beat(identity, beat, now),
            Ok(Report::Alive) => {
                self.table.alive(identity, now);
                None
            }
            Ok(Report::Goodbye) => self.table.goodbye(identity, now),
            Ok(Report::Started(launched)) => {
                if let Some(topology) = &mut self.topology {
                    topology.started(&launched);
                }
                None
            }
            Ok(Report::Exited(exited)) => {
                if let Some(topology) = &mut self.topology {
                    topology.exited(&exited);
                }
                let process = &exited.process;
                return self.table.exited(&process.host, process.pid, now);
            }
            Err(_) => {
                self.garbage += 1;
                None
            }
        };
        change.into_iter().collect()
    }
}

/// Records each change as an event, hands it to `--on-event`, and publishes it.
fn announce(node: &mut Node, server: &RefCell<Server>, changes: Vec<table::Change>, publish: bool) {
    for change in changes {
        let event = server.borrow_mut().events.record(&change);
        publish_event(node, server, &event, publish);
    }
}

/// Sends a recorded event to the dashboards and, with `--events`, on the PUB route.
fn publish_event(
    node: &mut Node,
    server: &RefCell<Server>,
    event: &serde_json::Value,
    publish: bool,
) {
    live::event(node, server, event);
    if !publish {
        return;
    }
    let body = Value::Dict(
        event
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| {
                // An event holds text, a flag, a count, or null (`from` of a new process).
                let value = match v {
                    serde_json::Value::String(text) => Value::from(text.as_str()),
                    serde_json::Value::Bool(flag) => Value::Bool(*flag),
                    serde_json::Value::Number(n) => n.as_i64().map_or(Value::Nil, Value::Int),
                    _ => Value::Nil,
                };
                (Value::from(k.as_str()), value)
            })
            .collect(),
    );
    let message = Message::new("dripdrop.event")
        .expect("a valid name")
        .with_body(body);
    if let Err(e) = node.send_message("events", &message) {
        node.report_error(e);
    }
}

/// A ZeroMQ address with port 0 spelled as ZeroMQ picks a port: `*`.
fn zmq_address(address: &str) -> String {
    match address.strip_suffix(":0") {
        Some(host) => format!("{host}:*"),
        None => address.to_owned(),
    }
}

/// `host:port` as the http_server route reads it.
fn http_address(address: &str) -> String {
    match address.contains("://") {
        true => address.to_owned(),
        false => format!("http://{address}"),
    }
}
