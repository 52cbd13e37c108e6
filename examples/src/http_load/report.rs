//! The report: counts, rate, latency percentiles from the merged histogram, status codes,
//! errors by kind, per-worker counts; as text or JSON.

use super::client::Tally;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

/// Everything the control gathered.
pub struct Report {
    pub tally: Tally,
    pub per_worker: BTreeMap<String, u64>,
    /// Batches that failed as tasks (no worker, lost worker...), with why.
    pub failed_batches: Vec<String>,
    pub elapsed: Duration,
    pub rate: Option<f64>,
}

impl Report {
    pub fn new(rate: Option<f64>) -> Report {
        Report {
            tally: Tally::new(),
            per_worker: BTreeMap::new(),
            failed_batches: Vec::new(),
            elapsed: Duration::ZERO,
            rate,
        }
    }

    pub fn add(&mut self, worker: String, tally: Tally) {
        let requests = tally.statuses.values().sum::<u64>() + tally.errors.values().sum::<u64>();
        *self.per_worker.entry(worker).or_default() += requests;
        self.tally.merge(tally);
    }

    /// Requests done: answered plus failed.
    pub fn requests(&self) -> u64 {
        self.tally.statuses.values().sum::<u64>() + self.tally.errors.values().sum::<u64>()
    }

    fn per_second(&self) -> f64 {
        self.requests() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn percentiles(&self) -> [(&'static str, f64); 5] {
        let h = &self.tally.latency;
        let ms = |us: u64| us as f64 / 1000.0;
        [
            ("p50", ms(h.value_at_quantile(0.50))),
            ("p90", ms(h.value_at_quantile(0.90))),
            ("p99", ms(h.value_at_quantile(0.99))),
            ("p99.9", ms(h.value_at_quantile(0.999))),
            ("max", ms(h.max())),
        ]
    }

    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "requests: {} in {:.2} s, {:.0} req/s{}",
            self.requests(),
            self.elapsed.as_secs_f64(),
            self.per_second(),
            self.rate
                .map_or(String::new(), |r| format!(" (target rate {r:.0} req/s)"))
        );
        let latency: Vec<String> = self
            .percentiles()
            .iter()
            .map(|(name, ms)| format!("{name} {ms:.3}"))
            .collect();
        let _ = writeln!(out, "latency ms: {}", latency.join(", "));
        let statuses: Vec<String> = self
            .tally
            .statuses
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect();
        let _ = writeln!(out, "status codes: {}", none_or(&statuses));
        let errors: Vec<String> = self
            .tally
            .errors
            .iter()
            .map(|(k, n)| format!("{k}: {n}"))
            .collect();
        let _ = writeln!(out, "errors: {}", none_or(&errors));
        let workers: Vec<String> = self
            .per_worker
            .iter()
            .map(|(w, n)| format!("{w}: {n}"))
            .collect();
        let _ = writeln!(out, "per worker: {}", none_or(&workers));
        for failure in &self.failed_batches {
            let _ = writeln!(out, "failed batch: {failure}");
        }
        out
    }

    /// The report as one line of JSON. Its keys, and their order, are those the Python and
    /// Ruby controls print too; the numbers are rounded as the text report rounds them.
    pub fn json(&self) -> String {
        let [p50, p90, p99, p99_9, max] = self.percentiles().map(|(_, ms)| rounded(ms, 3));
        let json = Json {
            requests: self.requests(),
            seconds: rounded(self.elapsed.as_secs_f64(), 3),
            requests_per_second: rounded(self.per_second(), 1),
            latency_ms: LatencyMs {
                p50,
                p90,
                p99,
                p99_9,
                max,
            },
            status_codes: &self.tally.statuses,
            errors: &self.tally.errors,
            per_worker: &self.per_worker,
            failed_batches: &self.failed_batches,
        };
        serde_json::to_string(&json).expect("numbers, strings and maps with string keys")
    }
}

/// The JSON report. serde_json writes the status codes, numbers here, as string keys.
#[derive(Serialize)]
struct Json<'a> {
    requests: u64,
    seconds: f64,
    requests_per_second: f64,
    latency_ms: LatencyMs,
    status_codes: &'a BTreeMap<u16, u64>,
    errors: &'a BTreeMap<&'static str, u64>,
    per_worker: &'a BTreeMap<String, u64>,
    failed_batches: &'a [String],
}

#[derive(Serialize)]
struct LatencyMs {
    p50: f64,
    p90: f64,
    p99: f64,
    #[serde(rename = "p99.9")]
    p99_9: f64,
    max: f64,
}

/// `value` to `decimals` decimals, exactly as `{:.N}` prints it (and Python's and Ruby's
/// `round` in their controls).
fn rounded(value: f64, decimals: usize) -> f64 {
    format!("{value:.decimals$}").parse().unwrap_or(value)
}

fn none_or(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let mut report = Report::new(None);
        let mut t = Tally::new();
        t.statuses.insert(200, 3);
        t.errors.insert("refused", 2);
        for us in [1000, 2000, 3000] {
            t.latency.record(us).unwrap();
        }
        report.add("w \"1\"".into(), t);
        report.elapsed = Duration::from_millis(1234);
        report
    }

    #[test]
    fn the_report_adds_up() {
        let report = report();
        assert_eq!(report.requests(), 5);
        let text = report.text();
        assert!(text.contains("requests: 5 in 1.23 s, 4 req/s"), "{text}");
        assert!(text.contains("latency ms: p50 2.000, p90 3.001,"), "{text}");
        assert!(text.contains("status codes: 200: 3"), "{text}");
        assert!(text.contains("errors: refused: 2"), "{text}");
        assert!(text.contains("per worker: w \"1\": 5"), "{text}");
    }

    /// The keys in the order the Python and Ruby controls print them, status codes as string
    /// keys, numbers rounded as in the text, and any text quoted.
    #[test]
    fn the_json_report() {
        let mut report = report();
        report.failed_batches.push("lost\t\"w\"".into());
        assert_eq!(
            report.json(),
            r#"{"requests":5,"seconds":1.234,"requests_per_second":4.1,"#.to_owned()
                + r#""latency_ms":{"p50":2.0,"p90":3.001,"p99":3.001,"p99.9":3.001,"max":3.001},"#
                + r#""status_codes":{"200":3},"errors":{"refused":2},"per_worker":{"w \"1\"":5},"#
                + r#""failed_batches":["lost\t\"w\""]}"#
        );
    }
}
