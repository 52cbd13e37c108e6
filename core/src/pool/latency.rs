//! How long tasks take, from submission to the worker's answer, as a cumulative histogram
//! with logarithmic buckets: fixed size (so recording never allocates and a snapshot is a
//! copy), four buckets per power of two (so a percentile read from it is at most 19% above
//! the truth), from 1 µs to 2^36 µs (19 hours; longer lands in the last bucket).

use std::time::Duration;

/// Buckets: four per power of two up to 2^36 µs.
const BUCKETS: usize = 4 * 36;

/// Task latencies recorded so far. Cumulative: the control server subtracts two histograms
/// to get the latencies of the tasks between two beats, so a lost beat loses nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LatencyHistogram {
    counts: [u64; BUCKETS],
    /// Tasks recorded: the sum of `counts`, kept so a reader can tell a changed histogram
    /// without walking it.
    total: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram {
            counts: [0; BUCKETS],
            total: 0,
        }
    }
}

impl LatencyHistogram {
    /// Counts one task that took `latency`.
    pub fn record(&mut self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.counts[bucket(micros)] += 1;
        self.total += 1;
    }

    /// Tasks recorded.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The buckets that hold any task, as (upper bound in µs, tasks): what a beat carries.
    pub fn nonzero(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, &count)| count > 0)
            .map(|(index, &count)| (upper_bound(index), count))
    }

    /// The latency below which a `fraction` (0..=1) of the tasks fell, as the upper bound of
    /// its bucket; `None` before any task.
    pub fn percentile(&self, fraction: f64) -> Option<Duration> {
        let total = self.total();
        if total == 0 {
            return None;
        }
        let wanted = ((fraction.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= wanted {
                return Some(Duration::from_micros(upper_bound(index)));
            }
        }
        None
    }
}

/// The bucket of a latency of `micros`: below 4 µs one bucket per µs, then four per power
/// of two (the two bits after the leading one pick the quarter).
fn bucket(micros: u64) -> usize {
    if micros < 4 {
        return micros as usize;
    }
    let power = 63 - micros.leading_zeros() as usize;
    if power >= BUCKETS / 4 {
        return BUCKETS - 1;
    }
    let quarter = ((micros >> (power - 2)) & 3) as usize;
    4 * power + quarter
}

/// The first latency in µs above bucket `index` (its exclusive upper bound).
fn upper_bound(index: usize) -> u64 {
    // Buckets 4 to 7 are never used (4 µs starts the quartered powers at bucket 8).
    if index < 8 {
        return (index as u64 + 1).min(4);
    }
    let (power, quarter) = (index / 4, index % 4);
    (4 + quarter as u64 + 1) << (power - 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_bound_their_latencies_within_a_quarter_octave() {
        for micros in [
            0,
            1,
            3,
            4,
            5,
            7,
            8,
            100,
            1_000,
            65_535,
            1 << 30,
            (1 << 36) - 1,
        ] {
            let index = bucket(micros);
            let upper = upper_bound(index);
            assert!(
                micros < upper,
                "{micros} µs in bucket {index} below {upper}"
            );
            if index > 8 {
                assert!(
                    micros >= upper_bound(index - 1),
                    "{micros} above its bucket"
                );
                assert!(
                    upper as f64 <= (micros.max(1) as f64) * 1.26,
                    "{micros}: {upper}"
                );
            }
        }
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn percentiles_read_the_buckets() {
        let mut h = LatencyHistogram::default();
        assert_eq!(h.percentile(0.5), None);
        for _ in 0..90 {
            h.record(Duration::from_micros(100));
        }
        for _ in 0..10 {
            h.record(Duration::from_millis(50));
        }
        let p50 = h.percentile(0.5).unwrap().as_micros();
        let p99 = h.percentile(0.99).unwrap().as_micros();
        assert!((100..=126).contains(&p50), "{p50}");
        assert!((50_000..=63_000).contains(&p99), "{p99}");
        assert_eq!(h.total(), 100);
        assert_eq!(h.nonzero().count(), 2);
    }
}
