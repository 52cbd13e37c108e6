//! The report: counts, rate, latency percentiles from the merged histogram, status codes,
//! errors by kind, per-worker counts; as text or JSON.

use super::client::Tally;
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

    pub fn json(&self) -> String {
        let object = |items: Vec<(String, String)>| {
            let fields: Vec<String> = items
                .into_iter()
                .map(|(k, v)| format!("{}: {v}", quote(&k)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        };
        let latency = object(
            self.percentiles()
                .iter()
                .map(|(k, v)| (k.to_string(), format!("{v:.3}")))
                .collect(),
        );
        let counts = |m: Vec<(String, u64)>| {
            object(m.into_iter().map(|(k, n)| (k, n.to_string())).collect())
        };
        let statuses = counts(
            self.tally
                .statuses
                .iter()
                .map(|(s, n)| (s.to_string(), *n))
                .collect(),
        );
        let errors = counts(
            self.tally
                .errors
                .iter()
                .map(|(k, n)| (k.to_string(), *n))
                .collect(),
        );
        let workers = counts(
            self.per_worker
                .iter()
                .map(|(w, n)| (w.clone(), *n))
                .collect(),
        );
        let failed: Vec<String> = self.failed_batches.iter().map(|f| quote(f)).collect();
        object(vec![
            ("requests".into(), self.requests().to_string()),
            (
                "seconds".into(),
                format!("{:.3}", self.elapsed.as_secs_f64()),
            ),
            (
                "requests_per_second".into(),
                format!("{:.1}", self.per_second()),
            ),
            ("latency_ms".into(), latency),
            ("status_codes".into(), statuses),
            ("errors".into(), errors),
            ("per_worker".into(), workers),
            ("failed_batches".into(), format!("[{}]", failed.join(", "))),
        ])
    }
}

fn none_or(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_adds_up_and_quotes_its_json() {
        let mut report = Report::new(None);
        let mut t = Tally::new();
        t.statuses.insert(200, 3);
        t.errors.insert("refused", 2);
        for us in [1000, 2000, 3000] {
            t.latency.record(us).unwrap();
        }
        report.add("w \"1\"".into(), t);
        report.elapsed = Duration::from_secs(1);
        assert_eq!(report.requests(), 5);
        let json = report.json();
        assert!(json.contains("\"requests\": 5"), "{json}");
        assert!(json.contains("\"w \\\"1\\\"\": 5"), "{json}");
        assert!(json.contains("\"refused\": 2"), "{json}");
        let text = report.text();
        assert!(text.contains("status codes: 200: 3"), "{text}");
        assert!(text.contains("p50 2.00"), "{text}");
    }
}
