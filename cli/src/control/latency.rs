//! Task latency percentiles between two beats, from the cumulative histograms the beats
//! carry (docs/control.md, "The backchannel"): the later one less the earlier one holds the
//! tasks answered in between.

/// Percentiles of the tasks answered between two beats, in milliseconds (each the upper
/// bound of its bucket, so at most a quarter octave high).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    /// Tasks they were read from.
    pub tasks: u64,
}

/// The percentiles of `current - previous` (both `(upper bound µs, tasks)` lists, as sent);
/// `None` when no task was answered in between. A bucket that shrank (which a process never
/// sends) counts as empty.
pub fn between(previous: &[(u64, u64)], current: &[(u64, u64)]) -> Option<Percentiles> {
    let mut buckets: Vec<(u64, u64)> = current
        .iter()
        .map(|&(upper, count)| {
            let before = previous
                .iter()
                .find(|(u, _)| *u == upper)
                .map_or(0, |(_, c)| *c);
            (upper, count.saturating_sub(before))
        })
        .filter(|(_, count)| *count > 0)
        .collect();
    buckets.sort_unstable();
    let tasks = buckets
        .iter()
        .fold(0u64, |sum, (_, c)| sum.saturating_add(*c));
    if tasks == 0 {
        return None;
    }
    let at = |fraction: f64| {
        let wanted = ((fraction * tasks as f64).ceil() as u64).max(1);
        let mut seen = 0u64;
        let upper = buckets
            .iter()
            .find(|(_, count)| {
                seen = seen.saturating_add(*count);
                seen >= wanted
            })
            .map_or(0, |(upper, _)| *upper);
        upper as f64 / 1000.0
    };
    Some(Percentiles {
        p50: at(0.50),
        p90: at(0.90),
        p99: at(0.99),
        tasks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_is_the_difference() {
        let before = [(125, 90)];
        let after = [(125, 180), (62_500, 10)];
        let p = between(&before, &after).unwrap();
        assert_eq!(p.tasks, 100);
        assert_eq!((p.p50, p.p90), (0.125, 0.125));
        assert_eq!(p.p99, 62.5);
        assert_eq!(between(&after, &after), None, "nothing answered in between");
        assert_eq!(
            between(&after, &before),
            None,
            "shrunk buckets count as empty"
        );
    }
}
