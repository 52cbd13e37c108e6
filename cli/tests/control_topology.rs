//! The control server with a launcher and a manifest (docs/deploy.md): a launcher's
//! `dripdrop.exited` makes the process it names `down` at once, and with `--manifest` a node
//! with fewer live processes than its replicas is `missing`, one whose launcher gave up
//! restarting it `flapping`, in the API and as events. Every wait polls against a deadline.

#[path = "support/control.rs"]
mod control;

use control::{dict, frame, Control, Reporter};
use dripdrop::Value;
use serde_json::Value as Json;
use std::time::{Duration, Instant};

const PATIENCE: Duration = Duration::from_secs(20);

/// Polls `what` until it gives something.
fn until<T>(description: &str, mut what: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(found) = what() {
            return found;
        }
        assert!(start.elapsed() < PATIENCE, "no {description}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn launched(app: &str, node: &str, instance: i64, pid: i64) -> Vec<(&'static str, Value)> {
    vec![
        ("app", Value::from(app)),
        ("node", Value::from(node)),
        ("instance", Value::from(instance.to_string())),
        ("pid", Value::Int(pid)),
    ]
}

/// A launcher's report, as `dripdrop launch` sends it.
fn exited(app: &str, node: &str, instance: i64, pid: i64, flapping: bool) -> Vec<u8> {
    frame(
        "dripdrop.exited",
        dict(vec![
            ("host", Value::from("testhost")),
            ("pid", Value::Int(pid)),
            ("app", Value::from(app)),
            ("node", Value::from(node)),
            ("instance", Value::Int(instance)),
            ("code", Value::Nil),
            ("signal", Value::Int(9)),
            ("restarting", Value::Bool(!flapping)),
            ("flapping", Value::Bool(flapping)),
        ]),
    )
}

fn state_of(control: &Control, id: &str) -> Option<String> {
    control.json("/api/processes")["processes"]
        .as_array()?
        .iter()
        .find(|p| p["id"] == id)
        .and_then(|p| p["state"].as_str().map(str::to_owned))
}

#[test]
fn a_launchers_exit_report_makes_the_process_down_at_once() {
    let control = Control::start(&[]);
    let process = Reporter::connect(&control, "testhost:4242:x");
    process.hello_with(launched("shop", "api", 1, 4242));
    until("the process up", || {
        process.beat(1);
        (state_of(&control, "testhost:4242:x")? == "up").then_some(())
    });
    // The launcher: another identity, speaking of the process by host and pid.
    let launcher = Reporter::connect_silent(&control, "launcher:1:l");
    launcher.send(exited("shop", "api", 1, 4242, false));
    // Its connection still open and its beats only just stopped: only the report says down.
    until("the process down", || {
        (state_of(&control, "testhost:4242:x")? == "down").then_some(())
    });
    let events = control.json("/api/events");
    let down = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "testhost:4242:x" && e["to"] == "down")
        .cloned();
    assert!(down.is_some_and(|e| e["alert"] == true), "{events}");
    let process_json = control.json("/api/processes");
    let row = &process_json["processes"].as_array().unwrap()[0];
    assert_eq!(row["id"], "testhost:4242:x", "the launcher is no process");
    assert_eq!(
        (&row["app"], &row["node"], &row["instance"]),
        (&Json::from("shop"), &Json::from("api"), &Json::from("1"))
    );
}

#[test]
fn the_manifests_nodes_are_missing_complete_or_flapping() {
    let dir = std::env::temp_dir().join(format!("dripdrop-topology-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = dir.join("dripdrop.toml");
    std::fs::write(
        &manifest,
        r#"
[app]
name = "shop"

[nodes.web]
command = "sh -c true"
replicas = 2

[nodes.db]
command = "sh -c true"

[roles]
front = ["web"]
back = ["db"]
"#,
    )
    .unwrap();
    let control = Control::start(&["--manifest", manifest.to_str().unwrap()]);
    let connect = |id: &str, node: &str, instance: i64, pid: i64| {
        let reporter = Reporter::connect_silent(&control, id);
        reporter.hello_with(launched("shop", node, instance, pid));
        reporter
    };
    let web1 = connect("testhost:1:web1", "web", 1, 1);
    let db = connect("testhost:3:db", "db", 1, 3);
    let web2: std::cell::RefCell<Option<Reporter>> = std::cell::RefCell::new(None);
    let db2: std::cell::RefCell<Option<Reporter>> = std::cell::RefCell::new(None);
    // Each look at the API is also a beat of every live process: they stay `up`.
    let node = |name: &str| -> Option<Json> {
        web1.beat(1);
        db.beat(1);
        for later in [&web2, &db2] {
            if let Some(reporter) = later.borrow().as_ref() {
                reporter.beat(1);
            }
        }
        let nodes = control.json("/api/nodes");
        nodes["nodes"]
            .as_array()?
            .iter()
            .find(|n| n["name"] == name)
            .cloned()
    };
    // One web of two: missing, with an event (after the server's first seconds).
    let web = until("web missing", || {
        node("web").filter(|n| n["state"] == "missing")
    });
    assert_eq!(
        (&web["live"], &web["expected"]),
        (&Json::from(1), &Json::from(2))
    );
    assert_eq!(web["roles"], serde_json::json!(["front"]));
    assert_eq!(node("db").unwrap()["state"], "complete");
    let node_events = |name: &str| -> Vec<Json> {
        control.json("/api/events")["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["node"] == name)
            .cloned()
            .collect()
    };
    let missing = until("the missing event", || node_events("web").pop());
    assert_eq!(
        (&missing["to"], &missing["alert"]),
        (&Json::from("missing"), &Json::from(true))
    );
    // The second web comes: complete, an event that is no alert.
    *web2.borrow_mut() = Some(connect("testhost:2:web2", "web", 2, 2));
    until("web complete", || {
        node("web").filter(|n| n["state"] == "complete")
    });
    let back = until("the complete event", || {
        node_events("web")
            .into_iter()
            .find(|e| e["to"] == "complete")
    });
    assert_eq!(back["alert"], false);
    // The processes list carries the nodes too (for the dashboard).
    assert!(control.json("/api/processes")["nodes"]
        .as_array()
        .is_some_and(|n| n.len() == 2));
    // db's launcher gives up on it: flapping, until it starts it again.
    let launcher = Reporter::connect_silent(&control, "launcher:9:l");
    launcher.send(exited("shop", "db", 1, 3, true));
    let db_node = until("db flapping", || {
        node("db").filter(|n| n["state"] == "flapping")
    });
    assert_eq!(db_node["flapping_instances"], serde_json::json!([1]));
    launcher.send(frame(
        "dripdrop.started",
        dict(vec![
            ("host", Value::from("testhost")),
            ("pid", Value::Int(33)),
            ("app", Value::from("shop")),
            ("node", Value::from("db")),
            ("instance", Value::Int(1)),
        ]),
    ));
    *db2.borrow_mut() = Some(connect("testhost:33:db", "db", 1, 33));
    until("db complete again", || {
        node("db").filter(|n| n["state"] == "complete")
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_manifest_stops_the_server_with_its_line() {
    let dir = std::env::temp_dir().join(format!("dripdrop-topology-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = dir.join("dripdrop.toml");
    std::fs::write(
        &manifest,
        "[app]\nname = \"shop\"\n\n[nodes.web]\ncommand = \"x\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dripdrop"))
        .args([
            "control",
            "--listen",
            "tcp://127.0.0.1:0",
            "--http",
            "127.0.0.1:0",
            "--manifest",
        ])
        .arg(&manifest)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("dripdrop.toml:4: nodes.web: in no role"),
        "{said}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
