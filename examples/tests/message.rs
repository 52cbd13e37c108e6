//! The `message` example runs and shows a frame that reads back as the message it built.

use std::process::Command;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_message"))
        .args(args)
        .output()
        .expect("run the message example")
}

#[test]
fn prints_the_frame_and_reads_it_back() {
    let out = run(&["stats"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8 output");
    assert!(stdout.contains(
        "on the wire: {bert,dict,[{name,<<\"stats\">>},{head,{bert,dict,[{<<\"reply_to\">>,<<\"collector\">>}]}},"
    ), "{stdout}");
    assert!(stdout.contains("{<<\"seen\">>,{bert,nil}}"), "{stdout}");
    assert!(stdout.contains("name: stats\n"), "{stdout}");
    assert!(stdout.contains("round trip equal: true\n"), "{stdout}");
    let frame_hex = stdout
        .lines()
        .next()
        .and_then(|l| l.split(": ").nth(1))
        .expect("frame line");
    assert!(
        frame_hex.starts_with("83680364000462657274"),
        "version byte, then {{bert, ..."
    );
}

#[test]
fn an_invalid_name_is_a_clear_error() {
    let out = run(&[""]);
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "message: invalid message: message name is empty\n"
    );
}
