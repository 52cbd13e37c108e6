//! A real process reporting to a control server through `DRIPDROP_CONTROL` and killed with
//! SIGKILL: no goodbye, and the server sees its connection end, for the identity its hello
//! named (what the control server turns into `down`).

#[allow(dead_code)] // the core tests use the rest of it
#[path = "../../core/tests/support/control.rs"]
mod control;
mod support;

use control::{ControlServer, Heard};
use dripdrop::Value;
use support::Program;

const PUSHPULL: &str = env!("CARGO_BIN_EXE_pushpull");
const NODELETS: &str = env!("CARGO_BIN_EXE_nodelets");

#[test]
fn a_killed_process_is_seen_disconnecting() {
    let mut server = ControlServer::bind();
    let program = Program::start_with_env(
        PUSHPULL,
        &["--count", "1000000", "--interval-ms", "5"],
        &[
            ("DRIPDROP_CONTROL", server.endpoint.as_str()),
            ("DRIPDROP_ROLE", "killed-pusher"),
        ],
    );
    let (id, hello) = server.hello();
    assert_eq!(
        hello.get("role").and_then(Value::as_str),
        Some("killed-pusher")
    );
    assert_eq!(hello.get("language").and_then(Value::as_str), Some("rust"));
    let pid = id.split(':').nth(1).expect("host:pid:nonce");
    assert_eq!(hello.get("pid"), Some(&Value::Int(pid.parse().unwrap())));
    let Some(Value::List(routes)) = hello.get("routes") else {
        panic!("routes: {hello:?}")
    };
    assert_eq!(routes.len(), 3, "push and two pullers: {routes:?}");
    server.until("a beat", |h| h.report(&id, "dripdrop.beat").is_some());

    program.kill();
    let heard = server.until(
        "the killed process's disconnection",
        |h| matches!(h, Heard::Disconnected(from) if from == &id),
    );
    assert!(
        !heard
            .iter()
            .any(|h| h.report(&id, "dripdrop.goodbye").is_some()),
        "a killed process says no goodbye"
    );
}

#[test]
fn a_launched_process_follows_its_environment_and_stops_cleanly_on_sigterm() {
    let mut server = ControlServer::bind();
    // What `dripdrop launch` gives a process of a manifest's node (docs/deploy.md).
    let mut program = Program::start_with_env(
        NODELETS,
        &["--interval-ms", "5"],
        &[
            ("DRIPDROP_CONTROL", server.endpoint.as_str()),
            ("DRIPDROP_APP", "stats"),
            ("DRIPDROP_NODE", "producer"),
            ("DRIPDROP_INSTANCE", "2"),
            ("DRIPDROP_ROLE", "producers"),
            ("DRIPDROP_HEARTBEAT_MS", "200"),
            ("DRIPDROP_RUN_LIST", "stats_producer"),
        ],
    );
    assert_eq!(
        program.wait_for_line("running nodelets: "),
        "stats_producer"
    );
    let (id, hello) = server.hello();
    let text = |key| hello.get(key).and_then(Value::as_str);
    assert_eq!(
        (text("app"), text("node"), text("instance"), text("role")),
        (
            Some("stats"),
            Some("producer"),
            Some("2"),
            Some("producers")
        )
    );
    assert_eq!(hello.get("heartbeat_ms"), Some(&Value::Int(200)));
    server.until("a beat", |h| h.report(&id, "dripdrop.beat").is_some());

    let term = std::process::Command::new("kill")
        .args(["-TERM", &program.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(term.success());
    let finished = program.finish();
    finished.assert_clean("nodelets stopped by SIGTERM");
    server.until("its goodbye", |h| {
        h.report(&id, "dripdrop.goodbye").is_some()
    });
}
