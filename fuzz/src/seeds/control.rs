//! Backchannel frames: a node's hello, beat, alive and goodbye as its reporter writes them,
//! and a launcher's started and exited with the fields cli/src/launch/report.rs gives them.

use super::Seed;
use dripdrop::{Message, Value};

pub fn frames() -> Vec<Seed> {
    let node = dripdrop::fuzzing::control::frames().expect("the reporter's frames");
    let mut seeds: Vec<Seed> = ["hello", "beat", "alive", "goodbye"]
        .into_iter()
        .map(str::to_owned)
        .zip(node)
        .collect();
    let about = || {
        vec![
            entry("host", Value::from("web-1")),
            entry("pid", Value::Int(31337)),
            entry("node", Value::from("api")),
            entry("instance", Value::Int(2)),
            entry("role", Value::from("api")),
            entry("app", Value::from("shop")),
        ]
    };
    let mut exited = about();
    exited.extend([
        entry("code", Value::Nil),
        entry("signal", Value::Int(9)),
        entry("restarting", Value::Bool(true)),
        entry("flapping", Value::Bool(false)),
    ]);
    for (label, name, body) in [
        ("started", "dripdrop.started", about()),
        ("exited", "dripdrop.exited", exited),
    ] {
        let frame = Message::new(name)
            .and_then(|m| m.with_body(Value::Dict(body)).encode())
            .expect("a launcher's frame");
        seeds.push((label.to_owned(), frame));
    }
    seeds
}

fn entry(key: &str, value: Value) -> (Value, Value) {
    (Value::from(key), value)
}
