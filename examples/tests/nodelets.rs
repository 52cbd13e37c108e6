//! The `nodelets` example: the README's stats app, in one process and as three processes
//! wired by the endpoints the binding nodelets print.

mod support;

use support::{run, Finished, Program};

const NODELETS: &str = env!("CARGO_BIN_EXE_nodelets");

/// The processor's aggregates: (stats, first seq, last seq).
fn aggregates(out: &[String]) -> Vec<(u64, u64, u64)> {
    out.iter()
        .filter_map(|line| line.strip_prefix("stats_processor: aggregate "))
        .map(|rest| {
            // "N: S stats, A..B, mean load M"
            let (_, rest) = rest.split_once(": ").expect("number: rest");
            let mut parts = rest.split(", ");
            let stats = parts.next().and_then(|s| s.strip_suffix(" stats"));
            let range = parts.next().and_then(|r| r.split_once(".."));
            let (Some(stats), Some((first, last))) = (stats, range) else {
                panic!("not an aggregate line: {rest}");
            };
            let n = |s: &str| s.parse::<u64>().expect("a number");
            (n(stats), n(first), n(last))
        })
        .collect()
}

/// Aggregates of `batch` consecutive stats each, in order, none repeated.
fn assert_consecutive(aggregates: &[(u64, u64, u64)], batch: u64) {
    for (stats, first, last) in aggregates {
        assert_eq!(*stats, batch, "{aggregates:?}");
        assert_eq!(last - first + 1, batch, "{aggregates:?}");
    }
    for pair in aggregates.windows(2) {
        assert!(pair[1].1 > pair[0].2, "{aggregates:?}");
    }
}

#[test]
fn all_three_nodelets_in_one_process() {
    let out = run(
        NODELETS,
        &["--count", "3", "--batch", "2", "--interval-ms", "2"],
    );
    out.assert_clean("nodelets");
    assert!(out.stdout.contains(
        &"running nodelets: stats_producer, stats_collector, stats_processor".to_owned()
    ));
    let got = aggregates(&out.stdout);
    assert_eq!(got.len(), 3, "{:#?}", out.stdout);
    assert_consecutive(&got, 2);
    assert_eq!(
        out.stdout.last().map(String::as_str),
        Some("stats_processor: done, 3 aggregates")
    );
    // Everything the processor got was sent by the collector, from stats the producer sent.
    for (_, first, last) in &got {
        let collected = format!("of stats {first}..{last}");
        assert!(out
            .lines_after("stats_collector: sent aggregate ")
            .any(|l| l.ends_with(&collected)));
        let published = format!("stats_producer: published stat {last} ");
        assert!(out.stdout.iter().any(|l| l.starts_with(&published)));
    }
}

#[test]
fn three_processes_wired_by_printed_endpoints() {
    let mut producer = Program::start(
        NODELETS,
        &["--run-list", "stats_producer", "--interval-ms", "2"],
    );
    let stats = producer.wait_for_line("stats_producer: publishing stats on ");
    assert!(stats.starts_with("tcp://127.0.0.1:"), "{stats}");

    // The collector sends one aggregate more than the processor takes: a process that exits
    // right after sending may take its last message with it (see the report on core), and
    // this test is about the wiring, not that.
    let mut collector = Program::start(
        NODELETS,
        &[
            "--run-list",
            "stats_collector",
            "--stats",
            &stats,
            "--count",
            "4",
            "--batch",
            "3",
        ],
    );
    let aggregates_at = collector.wait_for_line("stats_collector: pushing aggregates on ");
    assert!(
        aggregates_at.starts_with("tcp://127.0.0.1:"),
        "{aggregates_at}"
    );

    let processor = Program::start(
        NODELETS,
        &[
            "--run-list",
            "stats_processor",
            "--aggregates",
            &aggregates_at,
            "--count",
            "3",
        ],
    )
    .finish();
    processor.assert_clean("processor");
    assert!(processor
        .stdout
        .contains(&"running nodelets: stats_processor".to_owned()));
    let got = aggregates(&processor.stdout);
    assert_eq!(got.len(), 3, "{:#?}", processor.stdout);
    assert_consecutive(&got, 3);

    let collector: Finished = collector.finish();
    collector.assert_clean("collector");
    let sent: Vec<&str> = collector
        .lines_after("stats_collector: sent aggregate ")
        .collect();
    assert_eq!(sent.len(), 4, "{sent:?}");
    for (_, first, last) in &got {
        assert!(
            sent.iter()
                .any(|s| s.ends_with(&format!("of stats {first}..{last}"))),
            "{sent:?}"
        );
    }

    // The producer runs until stopped.
    let produced = producer.kill();
    let (_, _, last) = got[got.len() - 1];
    assert!(
        produced
            .iter()
            .any(|l| l.starts_with(&format!("stats_producer: published stat {last} "))),
        "{produced:#?}"
    );
}

#[test]
fn a_collector_without_its_producer_needs_an_address() {
    let out = run(NODELETS, &["--run-list", "stats_collector"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        out.stderr,
        "nodelets: --stats must give the address of the stats_producer, which runs elsewhere\n"
    );
}

#[test]
fn an_unknown_nodelet_is_a_usage_error() {
    let out = run(NODELETS, &["--run-list", "stats_producer,stats_colector"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        out.stderr.lines().next(),
        Some(
            "error: invalid value 'stats_colector' for '--run-list <NAMES>': unknown nodelet \
             (known: stats_producer, stats_collector, stats_processor)"
        )
    );
    assert!(out.stdout.is_empty());
}
