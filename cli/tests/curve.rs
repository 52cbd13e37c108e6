//! CURVE at the tool: `dripdrop keygen`'s files (read by pyzmq's `zmq.auth`), and the
//! control server's backchannel as a CURVE server, with `--curve-dir` and with nothing but
//! `DRIPDROP_CURVE_DIR` in two real processes' environments. A process with the right keys
//! is listed; one with a key not allowed, or speaking plain text, is not, and the server
//! counts it. Every wait polls the API against a deadline.

#[path = "support/control.rs"]
mod control;

use control::Control;
use dripdrop::{Certificate, Curve, CurveOption, Node, NodeOptions};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// How long any wait may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(20);

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dripdrop-cli-curve-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn keygen(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dripdrop"))
        .arg("keygen")
        .args(args)
        .output()
        .expect("run dripdrop keygen")
}

/// `dripdrop keygen DIR/NAME`, checked to succeed.
fn new_certificate(dir: &Path, name: &str) -> Certificate {
    let base = dir.join(name);
    let out = keygen(&[base.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Certificate::load(dir.join(format!("{name}.key_secret"))).unwrap()
}

/// Polls until `done`, failing after `PATIENCE`.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < PATIENCE, "still waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The roles of the processes the server lists.
fn roles(control: &Control) -> Vec<String> {
    let all: Json = control.json("/api/processes");
    all["processes"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|p| p["role"].as_str().map(str::to_owned))
        .collect()
}

fn refusals(control: &Control) -> u64 {
    control
        .metric("dripdrop_control_auth_refused_total")
        .unwrap_or(0)
}

fn failures(control: &Control) -> u64 {
    control
        .metric("dripdrop_control_handshake_failed_total")
        .unwrap_or(0)
}

#[test]
fn keygen_writes_files_pyzmq_reads_and_keeps_them() {
    let dir = scratch("keygen");
    let base = dir.join("alice");
    let out = keygen(&[base.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let public = stdout
        .lines()
        .find_map(|l| l.strip_prefix("public key "))
        .expect("the public key printed")
        .to_owned();
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.join("alice.key_secret"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let read = Command::new("python3")
        .args([
            "-c",
            "import sys, zmq.auth\n\
             p, s = zmq.auth.load_certificate(sys.argv[1] + '.key_secret')\n\
             q, t = zmq.auth.load_certificate(sys.argv[1] + '.key')\n\
             print(p.decode(), len(s), q.decode(), t)",
            base.to_str().unwrap(),
        ])
        .output()
        .expect("python3 with pyzmq");
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let read = String::from_utf8(read.stdout).unwrap();
    assert_eq!(
        read.split_whitespace().collect::<Vec<_>>(),
        [&public, "40", &public, "None"]
    );

    // An existing certificate is kept, unless --force.
    let again = keygen(&[base.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains("alice.key exists (--force overwrites it)"),
        "{stderr}"
    );
    assert_eq!(
        Certificate::load(dir.join("alice.key"))
            .unwrap()
            .public_z85(),
        public
    );
    let forced = keygen(&[base.to_str().unwrap(), "--force"]);
    assert!(forced.status.success());
    assert_ne!(
        Certificate::load(dir.join("alice.key"))
            .unwrap()
            .public_z85(),
        public
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A node in this process reporting to `control` as `role` with `curve` on its backchannel;
/// its reporting thread says hello whether or not its loop runs.
fn reporter(control: &Control, role: &str, curve: CurveOption) -> Node {
    Node::with_options(NodeOptions {
        control: Some(control.listen.clone()),
        role: Some(role.into()),
        heartbeat: Duration::from_millis(200),
        control_curve: curve,
        ..NodeOptions::default()
    })
    .unwrap()
}

#[test]
fn a_curve_control_server_lists_only_processes_with_the_right_keys() {
    let dir = scratch("control");
    let server = new_certificate(&dir, "server");
    let allowed = dir.join("allowed");
    std::fs::create_dir(&allowed).unwrap();
    let good = new_certificate(&dir, "good");
    std::fs::copy(dir.join("good.key"), allowed.join("good.key")).unwrap();
    let stranger = new_certificate(&dir, "stranger");
    let control = Control::start(&["--curve-dir", dir.to_str().unwrap()]);

    let _good = reporter(
        &control,
        "curve-good",
        Curve::client(good, *server.public_key()).into(),
    );
    let _stranger = reporter(
        &control,
        "curve-stranger",
        Curve::client(stranger, *server.public_key()).into(),
    );
    let _plain = reporter(&control, "curve-plain", CurveOption::Off);
    wait_until("the good process, a refusal and a failure", || {
        roles(&control).contains(&"curve-good".to_owned())
            && refusals(&control) >= 1
            && failures(&control) >= 1
    });
    let listed = roles(&control);
    assert!(
        !listed
            .iter()
            .any(|r| r == "curve-stranger" || r == "curve-plain"),
        "{listed:?}"
    );
    wait_until("the server to say so on stderr", || {
        control
            .stderr()
            .iter()
            .any(|l| l.contains("route backchannel: CURVE handshakes"))
    });
    let _ = std::fs::remove_dir_all(&dir);
}

/// A DRIPDROP_CURVE_DIR of the layout: the app's server certificate and an empty allowed/.
fn app_dir(tag: &str) -> PathBuf {
    let dir = scratch(tag);
    new_certificate(&dir, "server");
    std::fs::create_dir(dir.join("allowed")).unwrap();
    dir
}

#[test]
fn drip_drop_curve_dir_alone_secures_two_processes() {
    let app = app_dir("env-app");
    let other = app_dir("env-other");
    let app_env = app.to_str().unwrap();
    let control = Control::start_with_env(&[], &[("DRIPDROP_CURVE_DIR", app_env)]);
    // Two more real processes (control servers themselves, whose nodes report to the
    // first): one with the app's directory, one with another app's.
    let reporting = |dir: &str, role: &str| {
        Control::start_with_env(
            &[],
            &[
                ("DRIPDROP_CURVE_DIR", dir),
                ("DRIPDROP_CONTROL", control.listen.as_str()),
                ("DRIPDROP_ROLE", role),
            ],
        )
    };
    let _member = reporting(app_env, "env-member");
    let _outsider = reporting(other.to_str().unwrap(), "env-outsider");
    wait_until("the member listed and the outsider turned away", || {
        roles(&control).contains(&"env-member".to_owned())
            && refusals(&control) + failures(&control) >= 1
    });
    assert!(!roles(&control).contains(&"env-outsider".to_owned()));
    let _ = std::fs::remove_dir_all(&app);
    let _ = std::fs::remove_dir_all(&other);
}
