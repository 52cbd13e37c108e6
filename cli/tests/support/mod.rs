//! Helpers for the tool's tests: hex, and running the real Erlang as a subprocess. A missing
//! `erl` fails the test with the package to install; the interop test never skips.

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

/// Runs an Erlang program: `body` is evaluated by `erl -eval`, given `input` on stdin; returns
/// stdout, failing the test on a non-zero exit with stderr shown. Print with io:format.
pub fn erlang(body: &str, input: &str) -> String {
    let script = format!("{body}, halt(0).");
    let mut child = Command::new("erl")
        .args(["-noshell", "-eval", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run erl ({e}); install Debian's erlang-base (scripts/test does)")
        });
    let mut stdin = child.stdin.take().expect("stdin piped");
    let input = input.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("wait for erl");
    writer.join().expect("stdin writer").expect("write stdin");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "erl failed: {}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}
