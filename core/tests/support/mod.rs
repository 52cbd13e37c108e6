//! Helpers shared by the integration tests: hex, and running the real Erlang and Ruby BERT
//! implementations as subprocesses. A missing `erl` or `ruby` fails the test with the package
//! to install; interop tests never skip.

#![allow(dead_code)]

pub mod cases;
pub mod control;
pub mod node;
pub mod strategies;
pub mod web;

use std::io::Write;
use std::process::{Command, Stdio};

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(text: &str) -> Vec<u8> {
    let text = text.trim();
    assert!(text.len().is_multiple_of(2), "odd hex length: {text:?}");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// Runs `program args...` with `input` on stdin; returns stdout, failing the test on a non-zero
/// exit with stderr shown.
pub fn run(program: &str, args: &[&str], input: &str, package: &str) -> String {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run {program} ({e}); install Debian's {package} (scripts/test does)")
        });
    let mut stdin = child.stdin.take().expect("stdin piped");
    let input = input.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("wait for subprocess");
    writer.join().expect("stdin writer").expect("write stdin");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{program} failed: {}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Runs an Erlang program: `body` is the body of `main(_)` in an escript-like module, given
/// `input` on stdin. The last expression's value is ignored; print with io:format.
pub fn erlang(body: &str, input: &str) -> String {
    let script = format!("{body}, halt(0).");
    run("erl", &["-noshell", "-eval", &script], input, "erlang-base")
}

/// Runs a Ruby program with the `bert` gem loaded, given `input` on stdin.
pub fn ruby(program: &str, input: &str) -> String {
    run("ruby", &["-rbert", "-e", program], input, "ruby-bert")
}
