//! A batch of requests as the pool carries it: the plan to a worker, the tally back, both as
//! BERT values (so workers in any language can serve the same control).

use super::client::{self, Plan, Tally, Url};
use dripdrop::pool::{TaskContext, TaskError, TaskResult};
use dripdrop::Value;
use std::time::Duration;

/// The task workers announce.
pub const TASK: &str = "http_batch";

fn entry(key: &str, value: impl Into<Value>) -> (Value, Value) {
    (Value::from(key), value.into())
}

fn int(v: Option<&Value>, what: &str) -> Result<i64, TaskError> {
    match v {
        Some(Value::Int(n)) => Ok(*n),
        _ => Err(TaskError::new(
            "ArgumentError",
            format!("{what} must be an integer"),
        )),
    }
}

/// `{url, requests, connections, timeout_ms, rate | nil, start_in_us}`.
pub fn plan_to_value(url: &str, plan: &Plan) -> Value {
    let (rate, start_in_us) = match plan.pace {
        Some((rate, start)) => (Value::Float(rate), Value::Int(start)),
        None => (Value::Nil, Value::Int(0)),
    };
    Value::Dict(vec![
        entry("url", url),
        entry("requests", plan.requests),
        entry("connections", plan.connections),
        entry("timeout_ms", plan.timeout.as_millis() as u64),
        entry("rate", rate),
        entry("start_in_us", start_in_us),
    ])
}

pub fn plan_from_value(v: &Value) -> Result<Plan, TaskError> {
    let url = v
        .get("url")
        .and_then(Value::as_str)
        .ok_or_else(|| TaskError::new("ArgumentError", "url must be text"))?;
    let url = Url::parse(url).map_err(|e| TaskError::new("ArgumentError", e))?;
    let pace = match v.get("rate") {
        Some(Value::Float(rate)) if *rate > 0.0 => {
            Some((*rate, int(v.get("start_in_us"), "start_in_us")?))
        }
        _ => None,
    };
    Ok(Plan {
        url,
        requests: int(v.get("requests"), "requests")?.max(0) as u64,
        connections: int(v.get("connections"), "connections")?.max(1) as u64,
        timeout: Duration::from_millis(int(v.get("timeout_ms"), "timeout_ms")?.max(1) as u64),
        pace,
    })
}

/// `{worker, statuses: [[Code, N]...], errors: [[Kind, N]...], latency_us: [[Value, N]...]}`.
pub fn tally_to_value(worker: &str, tally: &Tally) -> Value {
    let pairs = |items: Vec<(Value, u64)>| {
        Value::List(
            items
                .into_iter()
                .map(|(k, n)| Value::List(vec![k, Value::from(n)]))
                .collect(),
        )
    };
    let statuses = tally
        .statuses
        .iter()
        .map(|(s, n)| (Value::Int(i64::from(*s)), *n))
        .collect();
    let errors = tally
        .errors
        .iter()
        .map(|(k, n)| (Value::from(*k), *n))
        .collect();
    let latency = tally
        .latency
        .iter_recorded()
        .map(|v| (Value::from(v.value_iterated_to()), v.count_at_value()))
        .collect();
    Value::Dict(vec![
        entry("worker", worker),
        entry("statuses", pairs(statuses)),
        entry("errors", pairs(errors)),
        entry("latency_us", pairs(latency)),
    ])
}

/// The tally in a result, and the worker that made it.
pub fn tally_from_value(v: &Value) -> Result<(String, Tally), String> {
    let worker = v
        .get("worker")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_owned();
    let pairs = |key: &str| -> Result<Vec<(Value, u64)>, String> {
        match v.get(key) {
            Some(Value::List(items)) => items
                .iter()
                .map(|item| match item {
                    Value::List(kv) if kv.len() == 2 => match &kv[1] {
                        Value::Int(n) if *n >= 0 => Ok((kv[0].clone(), *n as u64)),
                        _ => Err(format!("{key}: bad count")),
                    },
                    _ => Err(format!("{key}: bad entry")),
                })
                .collect(),
            _ => Err(format!("{key} missing")),
        }
    };
    let mut tally = Tally::new();
    for (status, n) in pairs("statuses")? {
        let Value::Int(status) = status else {
            return Err("statuses: a code is an integer".into());
        };
        *tally.statuses.entry(status as u16).or_default() += n;
    }
    for (kind, n) in pairs("errors")? {
        let kind = match kind.as_str() {
            Some("refused") => "refused",
            Some("timeout") => "timeout",
            Some("reset") => "reset",
            _ => "other",
        };
        *tally.errors.entry(kind).or_default() += n;
    }
    for (value, n) in pairs("latency_us")? {
        let Value::Int(us) = value else {
            return Err("latency_us: a value is an integer".into());
        };
        let _ = tally.latency.record_n((us as u64).max(1), n);
    }
    Ok((worker, tally))
}

/// The `http_batch` task handler. Results name `worker`, or, for `None` (a pool's local
/// threads), the thread that ran the batch.
pub fn handle(
    worker: Option<String>,
) -> impl Fn(&TaskContext, Value) -> TaskResult + Send + Sync + 'static {
    move |_, args| {
        let plan = plan_from_value(&args)?;
        let tally = client::run(&plan);
        let name = match &worker {
            Some(name) => name.clone(),
            None => std::thread::current().name().unwrap_or("local").to_owned(),
        };
        Ok(tally_to_value(&name, &tally))
    }
}
