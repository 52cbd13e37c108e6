//! The `pubsub` example: subscribers see only what their topic filters let through.

mod support;

use support::run;

const PUBSUB: &str = env!("CARGO_BIN_EXE_pubsub");

#[test]
fn each_subscriber_gets_what_its_filter_takes() {
    let out = run(PUBSUB, &["--count", "4", "--interval-ms", "2"]);
    out.assert_clean("pubsub");
    let endpoint = out
        .lines_after("publisher bound to ")
        .next()
        .expect("the bound endpoint");
    assert!(
        endpoint.starts_with("tcp://127.0.0.1:") && !endpoint.ends_with(":*"),
        "{endpoint}"
    );
    let published: Vec<&str> = out.lines_after("published ").collect();
    let received = |who: &'static str| -> Vec<(String, String)> {
        out.lines_after(who)
            .map(|rest| {
                let (name, text) = rest.split_once(": ").expect("name: text");
                (name.to_owned(), text.to_owned())
            })
            .collect()
    };
    let (all, cpu, odd) = (
        received("all <- "),
        received("cpu <- "),
        received("odd <- "),
    );
    for (who, got) in [("all", &all), ("cpu", &cpu), ("odd", &odd)] {
        assert!(got.len() >= 4, "{who} got {got:?}");
        for (name, text) in got {
            assert!(
                published.contains(&name.as_str()),
                "{who} got {name}, never published"
            );
            let seq = name.rsplit('.').next().expect("name.seq");
            assert_eq!(text, &format!("Test Payload {seq}"));
        }
    }
    assert!(
        cpu.iter().all(|(name, _)| name.starts_with("cpu.")),
        "{cpu:?}"
    );
    assert!(
        odd.iter()
            .all(|(name, _)| name.ends_with(['1', '3', '5', '7', '9'])),
        "{odd:?}"
    );
    // The filters really filter: what `all` saw includes names the others were spared.
    assert!(all.iter().any(|(name, _)| name.starts_with("mem.")));
    let last = out.stdout.last().expect("output");
    assert!(last.starts_with("done: all received "), "{last}");
}

#[test]
fn a_bad_address_is_one_line_on_stderr() {
    let out = run(PUBSUB, &["--addr", "bogus://nowhere"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr
            .starts_with("pubsub: route pub: bind bogus://nowhere: "),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}
