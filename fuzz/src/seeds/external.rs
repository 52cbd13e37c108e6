//! Seeds written by peers DripDrop talks to: Erlang's `term_to_binary` and the Ruby `bert`
//! gem, run as programs (scripts/test installs both).

use super::Seed;
use std::io;
use std::process::Command;

/// Erlang terms, each written as `term_to_binary` writes it (new floats, small and UTF-8
/// atoms, maps, strings, big integers), one with old text floats, and one compressed (which
/// DripDrop refuses).
const ERLANG_TERMS: &[(&str, &str)] = &[
    ("erlang-mixed", "{ok, 1.5, <<\"bin\">>, [1,2,3], \"string\", a, 'héllo', '日本'}"),
    ("erlang-map", "#{a => 1, <<\"k\">> => [x, {y}], 2.5 => nil}"),
    ("erlang-bigint", "{123456789012345678901234567890, -98765432109876543210}"),
    ("erlang-bert-types", "[{bert, nil}, {bert, true}, {bert, false}, {bert, time, 1700, 0, 5}, {bert, regex, <<\"^a\">>, [caseless]}]"),
    ("erlang-message", "{bert, dict, [{name, <<\"ping\">>}, {head, {bert, dict, [{reply_to, <<\"pong\">>}]}}, {body, <<\"hi\">>}]}"),
    ("erlang-message-list-body", "{bert, dict, [{name, <<\"jobs\">>}, {head, {bert, dict, []}}, {body, [1, {bert, nil}, 2.0]}]}"),
];

pub fn erlang_frames() -> io::Result<Vec<Seed>> {
    let mut script = String::new();
    for (_, term) in ERLANG_TERMS {
        script.push_str(&format!(
            "io:format(\"~s~n\", [binary:encode_hex(term_to_binary({term}))]),"
        ));
    }
    script.push_str("io:format(\"~s~n\", [binary:encode_hex(term_to_binary({1.5, 2.25}, [{minor_version, 0}]))]),");
    script.push_str("io:format(\"~s~n\", [binary:encode_hex(term_to_binary(lists:seq(1, 200), [compressed]))]),");
    script.push_str("halt().");
    let mut labels: Vec<String> = ERLANG_TERMS.iter().map(|(l, _)| (*l).to_owned()).collect();
    labels.push("erlang-old-floats".into());
    labels.push("erlang-compressed".into());
    let output = run(Command::new("erl").args(["-noshell", "-eval", &script]))?;
    Ok(labels.into_iter().zip(hex_lines(&output)?).collect())
}

/// Messages as the Ruby gem writes them (`BERT.encode` of a `{name:, head:, body:}` Hash).
pub fn ruby_frames() -> io::Result<Vec<Seed>> {
    let script = r#"
require "bert"
[
  {:name => "ping", :head => {}, :body => nil},
  {:name => "jobs.render", :head => {:reply_to => "pong", :id => 7},
   :body => [1, 2.5, true, :sym, "text", [3, [4]], {"k" => "v"}, 2**70, Time.at(1700000000, 5)]},
].each { |m| puts BERT.encode(m).unpack1("H*") }
"#;
    let output = run(Command::new("ruby").args(["-e", script]))?;
    let labels = ["ruby-message-bare", "ruby-message-mixed"];
    Ok(labels
        .into_iter()
        .map(str::to_owned)
        .zip(hex_lines(&output)?)
        .collect())
}

fn run(command: &mut Command) -> io::Result<String> {
    let output = command.output()?;
    if !output.status.success() {
        return Err(io::Error::other(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    String::from_utf8(output.stdout).map_err(io::Error::other)
}

fn hex_lines(text: &str) -> io::Result<Vec<Vec<u8>>> {
    text.lines()
        .map(|line| {
            let line = line.trim();
            (0..line.len())
                .step_by(2)
                .map(|i| {
                    line.get(i..i + 2)
                        .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                        .ok_or_else(|| io::Error::other(format!("not hex: {line}")))
                })
                .collect()
        })
        .collect()
}
