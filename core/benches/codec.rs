//! Encode and decode of a representative message set: BERT (this crate) beside MessagePack
//! (rmp-serde) and JSON (serde_json) on the same data, each into its own dynamic value model
//! (`Value`, `serde_json::Value`), in the same run. Criterion shows each one's distribution;
//! the ratios at the end come from a second, interleaved measurement.
//!
//! Run: `cargo bench -p dripdrop --bench codec`.

use criterion::{black_box, BenchmarkId, Criterion};
use dripdrop::bert::Value;
use dripdrop::Message;
use std::time::{Duration, Instant};

fn bin(s: &str) -> Value {
    Value::from(s)
}

fn record(i: i64) -> Value {
    Value::Dict(vec![
        (bin("id"), Value::Int(i * 7919)),
        (bin("url"), bin("http://127.0.0.1:8080/items/42?full=1")),
        (bin("status"), Value::Int(200)),
        (bin("latency_ms"), Value::Float(12.5 + i as f64)),
        (bin("ok"), Value::Bool(i % 3 != 0)),
    ])
}

/// Three sizes of message: a ping, a typical request, and a batch of 100 records.
fn message_set() -> Vec<(&'static str, Message)> {
    let small = Message::new("ping")
        .expect("valid")
        .with_head_entry("reply_to", "node-1")
        .with_body(Value::Int(42));
    let medium = Message::new("http_result")
        .expect("valid")
        .with_head_entry("task_id", Value::Int(123_456_789))
        .with_head_entry("worker", "worker-7")
        .with_body(Value::Dict(vec![
            (bin("url"), bin("http://127.0.0.1:8080/index.html")),
            (bin("status"), Value::Int(200)),
            (bin("bytes"), Value::Int(18_432)),
            (
                bin("latency_us"),
                Value::List((0..10).map(|i| Value::Int(900 + i * 37)).collect()),
            ),
            (bin("mean"), Value::Float(1_066.5)),
            (
                bin("headers"),
                Value::Dict(vec![
                    (bin("content-type"), bin("text/html; charset=utf-8")),
                    (bin("server"), bin("dripdrop-target")),
                ]),
            ),
            (bin("error"), Value::Nil),
        ]));
    let batch = Message::new("batch")
        .expect("valid")
        .with_body(Value::List((0..100).map(record).collect()));
    vec![("small", small), ("medium", medium), ("batch", batch)]
}

/// The text of a binary or atom: JSON's strings and object keys.
fn text(value: &Value) -> String {
    match value {
        Value::Atom(a) => a.as_str().to_owned(),
        other => other
            .as_str()
            .expect("the message set's binaries are UTF-8")
            .to_owned(),
    }
}

fn to_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::Nil => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(n) => J::from(*n),
        Value::Float(f) => J::from(*f),
        Value::Binary(_) | Value::Atom(_) => J::String(text(value)),
        Value::List(items) | Value::Tuple(items) => J::Array(items.iter().map(to_json).collect()),
        Value::Dict(pairs) => J::Object(pairs.iter().map(|(k, v)| (text(k), to_json(v))).collect()),
        other => unreachable!("not in the message set: {other:?}"),
    }
}

fn roundtrip_bert(msg: &Message) {
    let bytes = msg.encode().expect("encodes");
    black_box(Message::decode(black_box(&bytes)).expect("decodes"));
}

fn roundtrip_msgpack(json: &serde_json::Value) {
    let bytes = rmp_serde::to_vec(json).expect("encodes");
    black_box(rmp_serde::from_slice::<serde_json::Value>(black_box(&bytes)).expect("decodes"));
}

fn roundtrip_json(json: &serde_json::Value) {
    let bytes = serde_json::to_vec(json).expect("encodes");
    black_box(serde_json::from_slice::<serde_json::Value>(black_box(&bytes)).expect("decodes"));
}

fn bench(c: &mut Criterion, set: &[(&'static str, Message)]) {
    let mut group = c.benchmark_group("roundtrip");
    for (size, msg) in set {
        let json = to_json(&msg.to_value());
        group.bench_with_input(BenchmarkId::new("bert", size), msg, |b, msg| {
            b.iter(|| roundtrip_bert(msg))
        });
        group.bench_with_input(BenchmarkId::new("msgpack", size), &json, |b, json| {
            b.iter(|| roundtrip_msgpack(json))
        });
        group.bench_with_input(BenchmarkId::new("json", size), &json, |b, json| {
            b.iter(|| roundtrip_json(json))
        });
    }
    group.finish();
}

/// Nanoseconds per call of `op`, run for about `budget`.
fn per_op_ns(op: &mut dyn FnMut(), budget: Duration) -> f64 {
    let start = Instant::now();
    let mut calls = 0u64;
    while start.elapsed() < budget {
        for _ in 0..16 {
            op();
        }
        calls += 16;
    }
    start.elapsed().as_nanos() as f64 / calls as f64
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// The three formats measured in alternation, round after round, so that a change of load on
/// this shared machine falls on all of them alike; the medians give the ratios.
fn interleaved(msg: &Message, rounds: usize) -> [f64; 3] {
    let json = to_json(&msg.to_value());
    let mut ops: [Box<dyn FnMut()>; 3] = [
        Box::new(|| roundtrip_bert(msg)),
        Box::new(|| roundtrip_msgpack(&json)),
        Box::new(|| roundtrip_json(&json)),
    ];
    let mut samples = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..rounds {
        for (op, samples) in ops.iter_mut().zip(samples.iter_mut()) {
            samples.push(per_op_ns(op.as_mut(), Duration::from_millis(60)));
        }
    }
    samples.map(median)
}

fn main() {
    let set = message_set();
    for (size, msg) in &set {
        // Same data in every format: the JSON form must hold every entry of the message.
        let json = to_json(&msg.to_value());
        assert_eq!(
            json.as_object().map(|o| o.len()),
            Some(3),
            "{size}: name, head and body"
        );
    }
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    bench(&mut criterion, &set);
    criterion.final_summary();

    println!("\nencode+decode round trip, median of 25 interleaved rounds (same run):");
    println!(
        "{:<8} {:>7} {:>11} {:>11} {:>11} {:>14} {:>11}",
        "message", "bytes", "bert", "msgpack", "json", "msgpack/bert", "json/bert"
    );
    let mut ratios = Vec::new();
    for (size, msg) in &set {
        let bytes = msg.encode().expect("encodes").len();
        let [bert, msgpack, json] = interleaved(msg, 25);
        ratios.push(msgpack / bert);
        println!(
            "{size:<8} {bytes:>7} {bert:>9.0}ns {msgpack:>9.0}ns {json:>9.0}ns {:>13.2}x {:>10.2}x",
            msgpack / bert,
            json / bert
        );
    }
    let geomean = ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64;
    println!("RESULT codec_vs_msgpack {:.2}", geomean.exp());
}
