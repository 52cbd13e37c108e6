//! Encode and decode of a representative message set: BERT (this crate) beside MessagePack
//! (rmp-serde) and JSON (serde_json) on the same data, each into its own dynamic value model
//! (`Value`, `serde_json::Value`), in the same run. Prints speed ratios at the end.
//!
//! Run: `cargo bench -p dripdrop --bench codec`.

use criterion::{black_box, BenchmarkId, Criterion};
use dripdrop::bert::Value;
use dripdrop::Message;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn text(s: &str) -> Value {
    Value::from(s)
}

fn record(i: i64) -> Value {
    Value::Dict(vec![
        (text("id"), Value::Int(i * 7919)),
        (text("url"), text("http://127.0.0.1:8080/items/42?full=1")),
        (text("status"), Value::Int(200)),
        (text("latency_ms"), Value::Float(12.5 + i as f64)),
        (text("ok"), Value::Bool(i % 3 != 0)),
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
            (text("url"), text("http://127.0.0.1:8080/index.html")),
            (text("status"), Value::Int(200)),
            (text("bytes"), Value::Int(18_432)),
            (
                text("latency_us"),
                Value::List((0..10).map(|i| Value::Int(900 + i * 37)).collect()),
            ),
            (text("mean"), Value::Float(1_066.5)),
            (
                text("headers"),
                Value::Dict(vec![
                    (text("content-type"), text("text/html; charset=utf-8")),
                    (text("server"), text("dripdrop-target")),
                ]),
            ),
            (text("error"), Value::Nil),
        ]));
    let batch = Message::new("batch")
        .expect("valid")
        .with_body(Value::List((0..100).map(record).collect()));
    vec![("small", small), ("medium", medium), ("batch", batch)]
}

fn to_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::Nil => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(n) => J::from(*n),
        Value::Float(f) => J::from(*f),
        Value::Binary(_) => J::String(value.as_str().unwrap_or_default().to_owned()),
        Value::Atom(a) => J::String(a.as_str().to_owned()),
        Value::List(items) | Value::Tuple(items) => J::Array(items.iter().map(to_json).collect()),
        Value::Dict(pairs) => J::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.as_str().unwrap_or_default().to_owned(), to_json(v)))
                .collect(),
        ),
        other => unreachable!("not in the message set: {other:?}"),
    }
}

const FORMATS: [&str; 3] = ["bert", "msgpack", "json"];

fn bench(c: &mut Criterion, set: &[(&'static str, Message)]) {
    let mut group = c.benchmark_group("roundtrip");
    for (size, msg) in set {
        let json = to_json(&msg.to_value());
        group.bench_with_input(BenchmarkId::new("bert", size), msg, |b, msg| {
            b.iter(|| {
                let bytes = msg.encode().expect("encodes");
                black_box(Message::decode(black_box(&bytes)).expect("decodes"))
            })
        });
        group.bench_with_input(BenchmarkId::new("msgpack", size), &json, |b, json| {
            b.iter(|| {
                let bytes = rmp_serde::to_vec(json).expect("encodes");
                black_box(
                    rmp_serde::from_slice::<serde_json::Value>(black_box(&bytes)).expect("decodes"),
                )
            })
        });
        group.bench_with_input(BenchmarkId::new("json", size), &json, |b, json| {
            b.iter(|| {
                let bytes = serde_json::to_vec(json).expect("encodes");
                black_box(
                    serde_json::from_slice::<serde_json::Value>(black_box(&bytes))
                        .expect("decodes"),
                )
            })
        });
    }
    group.finish();
}

/// Mean time per iteration, read from criterion's own estimate file.
fn mean_ns(dir: &Path, format: &str, size: &str) -> Option<f64> {
    let path = dir
        .join("roundtrip")
        .join(format)
        .join(size)
        .join("new/estimates.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    json["mean"]["point_estimate"].as_f64()
}

fn main() {
    let set = message_set();
    let dir: PathBuf =
        std::env::temp_dir().join(format!("dripdrop-codec-bench-{}", std::process::id()));
    let mut criterion = Criterion::default()
        .output_directory(&dir)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    bench(&mut criterion, &set);
    criterion.final_summary();

    println!("\nencode+decode round trip, mean per message (same run):");
    println!(
        "{:<8} {:>7} {:>11} {:>11} {:>11} {:>14} {:>11}",
        "message", "bytes", "bert", "msgpack", "json", "msgpack/bert", "json/bert"
    );
    let mut ratios = Vec::new();
    for (size, msg) in &set {
        let bytes = msg.encode().expect("encodes").len();
        let [bert, msgpack, json] = FORMATS.map(|f| mean_ns(&dir, f, size));
        let (Some(bert), Some(msgpack), Some(json)) = (bert, msgpack, json) else {
            println!("{size:<8} (not measured in this run)");
            continue;
        };
        ratios.push(msgpack / bert);
        println!(
            "{size:<8} {bytes:>7} {:>9.0}ns {:>9.0}ns {:>9.0}ns {:>13.2}x {:>10.2}x",
            bert,
            msgpack,
            json,
            msgpack / bert,
            json / bert
        );
    }
    if !ratios.is_empty() {
        let geomean = ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64;
        println!("RESULT codec_vs_msgpack {:.2}", geomean.exp());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
