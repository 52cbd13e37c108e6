//! The HTTP answers: `/api/processes` and `/api/events` as plain JSON, `/metrics` as
//! Prometheus text. Each is built from the server's state as it is at the request.

use super::metrics::{self, ServerCounters};
use super::table::Process;
use super::topology;
use super::Server;
use dripdrop::RouteStats;
use serde_json::{json, Value as Json};
use std::time::Instant;

/// An answer: status, content type, body.
pub struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

const JSON: &str = "application/json";
const PROMETHEUS: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The answer to `method path`; `backchannel` is the server's own backchannel route's
/// counters (its CURVE refusals).
pub fn answer(
    server: &Server,
    method: &str,
    path: &str,
    now: Instant,
    backchannel: RouteStats,
) -> Answer {
    if method != "GET" && method != "HEAD" {
        return error(405, "only GET");
    }
    match path {
        "/api/processes" => ok(JSON, processes(server, now).to_string().into_bytes()),
        "/api/nodes" => ok(JSON, nodes(server).to_string().into_bytes()),
        "/api/events" => {
            let events: Vec<&Json> = server.events.kept().collect();
            ok(JSON, json!({ "events": events }).to_string().into_bytes())
        }
        "/metrics" => {
            let counters = ServerCounters {
                processes: server.table.len(),
                refused: server.table.refusals.refused,
                unknown: server.table.refusals.unknown,
                garbage: server.garbage,
                hooks_dropped: server.events.hooks_dropped,
                auth_refused: backchannel.auth_refused,
                handshake_failed: backchannel.handshake_failed,
                redis: server.store.as_ref().map(|store| store.counters()),
            };
            let processes: Vec<&Process> = server.table.processes().collect();
            let text = metrics::render(&processes, &counters);
            ok(PROMETHEUS, text.into_bytes())
        }
        _ => error(404, "no such path"),
    }
}

/// `{"processes": [...]}`, as `/api/processes` answers (and the dashboard's feed sends).
/// The processes, and with `--manifest` the nodes held against it.
pub fn processes(server: &Server, now: Instant) -> Json {
    let processes: Vec<Json> = server.table.processes().map(|p| process(p, now)).collect();
    match &server.topology {
        Some(topology) => json!({
            "processes": processes,
            "nodes": topology::to_json(&topology.view(&server.table)),
        }),
        None => json!({ "processes": processes }),
    }
}

/// The manifest's nodes and their standing (an empty list without `--manifest`).
fn nodes(server: &Server) -> Json {
    let nodes = server
        .topology
        .as_ref()
        .map_or(Json::Array(Vec::new()), |t| {
            topology::to_json(&t.view(&server.table))
        });
    json!({ "nodes": nodes })
}

fn process(p: &Process, now: Instant) -> Json {
    let routes: Vec<Json> = p
        .routes
        .iter()
        .map(|r| {
            json!({
                "name": r.info.name,
                "kind": r.info.kind,
                "endpoints": r.info.endpoints,
                "msgs_in": r.counters.messages_in,
                "msgs_out": r.counters.messages_out,
                "bytes_in": r.counters.bytes_in,
                "bytes_out": r.counters.bytes_out,
                "errors": r.counters.errors,
                "dropped": r.counters.dropped,
                "auth_refused": r.counters.auth_refused,
                "handshake_failed": r.counters.handshake_failed,
                "rate_in": r.rate_in,
                "rate_out": r.rate_out,
            })
        })
        .collect();
    let pools: Vec<Json> = p
        .pools
        .iter()
        .map(|pool| {
            let latency = pool
                .latency
                .map(|l| json!({ "p50": l.p50, "p90": l.p90, "p99": l.p99, "tasks": l.tasks }));
            let c = &pool.counters;
            json!({
                "name": c.name,
                "pending": c.pending,
                "in_flight": c.in_flight,
                "completed": c.completed,
                "failed": c.failed,
                "workers": c.workers,
                "auth_refused": c.auth_refused,
                "handshake_failed": c.handshake_failed,
                "rate_completed": pool.rate_completed,
                "latency_ms": latency,
            })
        })
        .collect();
    json!({
        "id": p.id,
        "host": p.hello.host,
        "pid": p.hello.pid,
        "role": p.hello.role,
        "language": p.hello.language,
        "version": p.hello.version,
        "app": p.hello.app,
        "node": p.hello.node,
        "instance": p.hello.instance,
        "heartbeat_ms": p.hello.heartbeat_ms,
        "state": p.state.name(),
        "last_beat_ms_ago": now.duration_since(p.last_beat).as_millis() as u64,
        "routes": routes,
        "pools": pools,
    })
}

fn ok(content_type: &'static str, body: Vec<u8>) -> Answer {
    Answer {
        status: 200,
        content_type,
        body,
    }
}

fn error(status: u16, why: &str) -> Answer {
    Answer {
        status,
        content_type: JSON,
        body: json!({ "error": why }).to_string().into_bytes(),
    }
}
