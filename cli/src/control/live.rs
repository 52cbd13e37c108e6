//! The dashboard's live feed: a websocket_server route of the control server's node
//! (docs/control.md, "Dashboard"). A page that connects gets a snapshot (the processes and
//! the recent events), then each event as it happens and the processes every second.
//! Nothing is built while no page watches.

use super::{api, Server};
use dripdrop::{Connection, Mode, MsgFormat, Node, RouteKind, RouteOptions};
use serde_json::{json, Value as Json};
use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// The route's name in the node.
const ROUTE: &str = "live";
/// How often watchers get the processes: the default heartbeat, so each beat's rates show.
const UPDATE: Duration = Duration::from_secs(1);
/// Events a new watcher gets in its snapshot (the rest stay in `/api/events`).
const RECENT_EVENTS: usize = 100;
/// Dashboards open at once: a handful is the use; more is someone's mistake or malice.
const MAX_WATCHERS: usize = 64;
/// Messages waiting for one watcher. A page that falls this far behind misses updates
/// (counted as the route's backpressure) rather than holding the server's memory; the next
/// update carries every process again.
const SEND_QUEUE: usize = 32;
/// Pages send nothing; a frame from one is read only to be dropped, so it stays small.
const MAX_INCOMING_BYTES: usize = 4096;

/// Where the feed listens and who watches it.
pub struct Live {
    /// The port bound (the page connects to it on the host it was loaded from).
    pub port: u16,
    /// The path of the route's address (`/` unless `--websocket` named another).
    pub path: String,
    watchers: HashSet<u64>,
}

/// Binds the feed's route at `address` (`host:port` or `ws://host:port/path`; by default
/// the host of `http`, the API's endpoint, and a port the system picks); the endpoint it
/// got, with the real port, and the feed.
pub fn bind(node: &mut Node, address: Option<&str>, http: &str) -> Result<(String, Live), String> {
    let address = address.map_or_else(|| format!("{}:0", host_of(http)), str::to_owned);
    let url = match address.contains("://") {
        true => address.clone(),
        false => format!("ws://{address}/"),
    };
    let options = RouteOptions {
        // Frames rather than messages: the feed's JSON is written once by serde_json and
        // sent as it is (see `frame`), not turned into a Value and back for every send.
        msg_format: MsgFormat::Raw,
        max_connections: MAX_WATCHERS,
        send_queue: SEND_QUEUE,
        max_frame_bytes: MAX_INCOMING_BYTES,
        ..Default::default()
    };
    let endpoint = node
        .route_with(
            ROUTE,
            RouteKind::WebSocketServer,
            &[&url],
            Mode::Bind,
            options,
        )
        .map_err(|e| format!("--websocket {address}: {e}"))?
        .endpoint()
        .to_owned();
    let (port, path) = port_and_path(&endpoint)
        .ok_or_else(|| format!("--websocket {address}: bound to {endpoint}?"))?;
    let live = Live {
        port,
        path,
        watchers: HashSet::new(),
    };
    Ok((endpoint, live))
}

/// Sets the route's handlers and the update timer.
pub fn serve(node: &mut Node, server: &Rc<RefCell<Server>>) -> Result<(), String> {
    let state = Rc::clone(server);
    node.on_open(ROUTE, move |node, connection: Connection| {
        let snapshot = {
            let mut server = state.borrow_mut();
            server.live.watchers.insert(connection.signature());
            snapshot(&server, Instant::now())
        };
        if let Err(e) = connection.send_frame(node, &snapshot) {
            node.report_error(e);
        }
    })
    .map_err(|e| e.to_string())?;
    let state = Rc::clone(server);
    node.on_close(ROUTE, move |_, connection| {
        state
            .borrow_mut()
            .live
            .watchers
            .remove(&connection.signature());
    })
    .map_err(|e| e.to_string())?;
    // The page speaks only to listen; what it sends is dropped here, not counted as a
    // message nobody handled.
    node.on_frames_from(ROUTE, |_, _, _| {})
        .map_err(|e| e.to_string())?;
    let state = Rc::clone(server);
    node.every(UPDATE, move |node| {
        let update = {
            let server = state.borrow();
            if server.live.watchers.is_empty() {
                return;
            }
            frame(
                "dripdrop.processes",
                api::processes(&server, Instant::now()),
            )
        };
        broadcast(node, &update);
    });
    Ok(())
}

/// Hands an event (its JSON, as the API keeps it) to every watcher.
pub fn event(node: &mut Node, server: &RefCell<Server>, event: &Json) {
    if server.borrow().live.watchers.is_empty() {
        return;
    }
    broadcast(node, &frame("dripdrop.event", event.clone()));
}

fn broadcast(node: &mut Node, frame: &[u8]) {
    // A watcher whose queue is full misses this one (the route counts it); the call fails
    // only when the route itself is gone, which is the server's own error.
    if let Err(e) = node.broadcast_frame(ROUTE, frame) {
        node.report_error(e);
    }
}

/// `dripdrop.snapshot`: what `/api/processes` says, and the recent events, oldest first.
fn snapshot(server: &Server, now: Instant) -> Vec<u8> {
    let mut body = api::processes(server, now);
    let kept: Vec<&Json> = server.events.kept().collect();
    body["events"] = json!(kept[kept.len().saturating_sub(RECENT_EVENTS)..]);
    frame("dripdrop.snapshot", body)
}

/// A message as the JSON text frame the WebSocket routes and the browser client speak
/// (`{"name", "head", "body"}`). The body's JSON is its message form as it is: its
/// objects' keys are the server's own names, never a one-key `$` tag.
fn frame(name: &str, body: Json) -> Vec<u8> {
    json!({ "name": name, "head": {}, "body": body })
        .to_string()
        .into_bytes()
}

/// The host of `http://host:port` (an IPv6 one with its brackets).
fn host_of(url: &str) -> &str {
    let authority = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = authority.split('/').next().unwrap_or(authority);
    authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host)
}

/// The port and path of `ws://host:port/path`.
fn port_and_path(endpoint: &str) -> Option<(u16, String)> {
    let rest = endpoint.strip_prefix("ws://")?;
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, "/"),
    };
    let port = authority.rsplit_once(':')?.1.parse().ok()?;
    Some((port, path.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dripdrop::{DecodeLimits, Message, Value};

    #[test]
    fn a_frame_reads_back_as_the_message_it_names() {
        let body = json!({ "processes": [{ "id": "h:1:a", "rate_in": 1.5, "routes": [] }] });
        let bytes = frame("dripdrop.processes", body);
        let message = Message::from_json(&bytes, &DecodeLimits::DEFAULT).expect("a message");
        assert_eq!(message.name(), "dripdrop.processes");
        let process = &message.body().get("processes").expect("processes");
        let Value::List(list) = process else {
            panic!("a list: {process:?}")
        };
        assert_eq!(list[0].get("id").and_then(Value::as_str), Some("h:1:a"));
    }

    #[test]
    fn the_port_and_path_come_from_the_endpoint() {
        assert_eq!(
            port_and_path("ws://127.0.0.1:4321/"),
            Some((4321, "/".into()))
        );
        assert_eq!(
            port_and_path("ws://[::1]:80/live"),
            Some((80, "/live".into()))
        );
        assert_eq!(port_and_path("http://h:1/"), None);
    }

    #[test]
    fn the_default_host_is_the_apis() {
        assert_eq!(host_of("http://0.0.0.0:7680"), "0.0.0.0");
        assert_eq!(host_of("http://[::1]:7680/"), "[::1]");
    }
}
