//! `/metrics`: the table in Prometheus' text exposition format, one series per process and
//! per route, with the server's own counters.

use super::table::{Process, State};
use super::wire::{PoolCounters, RouteCounters};
use std::fmt::Write;

/// A metric family over routes: name, help, and the counter it reads.
type RouteFamily = (&'static str, &'static str, fn(&RouteCounters) -> u64);
/// A metric family over pools: name, type, help, and the counter it reads.
type PoolFamily = (
    &'static str,
    &'static str,
    &'static str,
    fn(&PoolCounters) -> u64,
);

/// The server's own counters, beside the table's.
pub struct ServerCounters {
    pub processes: usize,
    pub refused: u64,
    pub unknown: u64,
    pub garbage: u64,
    pub hooks_dropped: u64,
    /// The backchannel's CURVE handshakes refused (a key not allowed) and failed otherwise
    /// (plain text, wrong keys).
    pub auth_refused: u64,
    pub handshake_failed: u64,
    /// The Redis writer's, with `--redis`.
    pub redis: Option<RedisCounters>,
}

/// What the Redis store did (docs/control.md, "Redis").
#[derive(Clone, Copy, Debug, Default)]
pub struct RedisCounters {
    /// Whether the last write (or connection) succeeded.
    pub up: bool,
    pub writes: u64,
    pub failures: u64,
    /// Events and minute totals that were not written.
    pub dropped: u64,
}

/// The whole exposition.
pub fn render(processes: &[&Process], server: &ServerCounters) -> String {
    let processes = processes.iter().copied();
    let mut out = String::new();
    family(
        &mut out,
        "dripdrop_process_up",
        "gauge",
        "1 if the process is up, else 0",
    );
    for p in processes.clone() {
        let up = u64::from(p.state == State::Up);
        let labels = process_labels(p);
        series(&mut out, "dripdrop_process_up", &labels, up);
    }
    family(
        &mut out,
        "dripdrop_process_state",
        "gauge",
        "1 for the process's state",
    );
    for p in processes.clone() {
        let labels = format!("{},state=\"{}\"", process_labels(p), p.state.name());
        series(&mut out, "dripdrop_process_state", &labels, 1);
    }
    let routes: [RouteFamily; 8] = [
        (
            "dripdrop_route_messages_in_total",
            "messages received",
            |c| c.messages_in,
        ),
        ("dripdrop_route_messages_out_total", "messages sent", |c| {
            c.messages_out
        }),
        ("dripdrop_route_bytes_in_total", "bytes received", |c| {
            c.bytes_in
        }),
        ("dripdrop_route_bytes_out_total", "bytes sent", |c| {
            c.bytes_out
        }),
        ("dripdrop_route_errors_total", "errors", |c| c.errors),
        ("dripdrop_route_dropped_total", "messages dropped", |c| {
            c.dropped
        }),
        (
            "dripdrop_route_auth_refused_total",
            "CURVE handshakes refused: a client key not allowed",
            |c| c.auth_refused,
        ),
        (
            "dripdrop_route_handshake_failed_total",
            "CURVE handshakes failed: plain text or wrong keys",
            |c| c.handshake_failed,
        ),
    ];
    for (name, help, read) in routes {
        family(&mut out, name, "counter", help);
        for p in processes.clone() {
            for route in &p.routes {
                let labels = format!(
                    "{},route=\"{}\"",
                    process_labels(p),
                    escape(&route.info.name)
                );
                series(&mut out, name, &labels, read(&route.counters));
            }
        }
    }
    let pools: [PoolFamily; 5] = [
        ("dripdrop_pool_pending", "gauge", "tasks waiting", |c| {
            c.pending
        }),
        (
            "dripdrop_pool_completed_total",
            "counter",
            "tasks completed",
            |c| c.completed,
        ),
        (
            "dripdrop_pool_failed_total",
            "counter",
            "tasks failed",
            |c| c.failed,
        ),
        (
            "dripdrop_pool_auth_refused_total",
            "counter",
            "CURVE: workers refused, a key not allowed",
            |c| c.auth_refused,
        ),
        (
            "dripdrop_pool_handshake_failed_total",
            "counter",
            "CURVE: worker handshakes failed, plain text or wrong keys",
            |c| c.handshake_failed,
        ),
    ];
    for (name, kind, help, read) in pools {
        family(&mut out, name, kind, help);
        for p in processes.clone() {
            for pool in &p.pools {
                let pool = &pool.counters;
                let labels = format!("{},pool=\"{}\"", process_labels(p), escape(&pool.name));
                series(&mut out, name, &labels, read(pool));
            }
        }
    }
    let own = [
        (
            "dripdrop_control_processes",
            "gauge",
            "rows in the process table",
            server.processes as u64,
        ),
        (
            "dripdrop_control_refused_total",
            "counter",
            "hellos refused: the table was full",
            server.refused,
        ),
        (
            "dripdrop_control_unknown_total",
            "counter",
            "reports from identities that never said hello",
            server.unknown,
        ),
        (
            "dripdrop_control_garbage_total",
            "counter",
            "frames that were not reports",
            server.garbage,
        ),
        (
            "dripdrop_control_hooks_dropped_total",
            "counter",
            "events not handed to --on-event",
            server.hooks_dropped,
        ),
        (
            "dripdrop_control_auth_refused_total",
            "counter",
            "CURVE: processes the backchannel refused, a key not allowed",
            server.auth_refused,
        ),
        (
            "dripdrop_control_handshake_failed_total",
            "counter",
            "CURVE: backchannel handshakes failed, plain text or wrong keys",
            server.handshake_failed,
        ),
    ];
    for (name, kind, help, value) in own {
        family(&mut out, name, kind, help);
        series(&mut out, name, "", value);
    }
    if let Some(redis) = &server.redis {
        let store = [
            (
                "dripdrop_control_redis_up",
                "gauge",
                "1 if the last write to Redis succeeded",
                u64::from(redis.up),
            ),
            (
                "dripdrop_control_redis_writes_total",
                "counter",
                "flushes written to Redis",
                redis.writes,
            ),
            (
                "dripdrop_control_redis_failures_total",
                "counter",
                "connections to or writes to Redis that failed",
                redis.failures,
            ),
            (
                "dripdrop_control_redis_dropped_total",
                "counter",
                "events and minute totals not written to Redis",
                redis.dropped,
            ),
        ];
        for (name, kind, help, value) in store {
            family(&mut out, name, kind, help);
            series(&mut out, name, "", value);
        }
    }
    out
}

fn process_labels(p: &Process) -> String {
    format!(
        "process=\"{}\",role=\"{}\",host=\"{}\"",
        escape(&p.id),
        escape(&p.hello.role),
        escape(&p.hello.host)
    )
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn series(out: &mut String, name: &str, labels: &str, value: u64) {
    match labels.is_empty() {
        true => {
            let _ = writeln!(out, "{name} {value}");
        }
        false => {
            let _ = writeln!(out, "{name}{{{labels}}} {value}");
        }
    }
}

/// A label value as the format wants it: backslash, quote and line feed escaped. Peers
/// choose these texts, so nothing they send can end a label or a line.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn label_values_cannot_break_out() {
        assert_eq!(super::escape("a\"b\\c\nd\re"), "a\\\"b\\\\c\\nde");
    }
}
