//! `dripdrop launch` with real processes and real signals. Each test writes its own manifest
//! into a directory of its own, with programs that exist here (`sh`, `sleep`, the examples'
//! `http_load`), and reads the launcher's output line by line through channels; the reports
//! arrive at a stand-in control server, a ZeroMQ ROUTER bound to a port the system picks.
//! Every wait is on a channel or a socket, against a deadline.

#[path = "support/control.rs"]
mod control;

use dripdrop::{Message, Value};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long any wait may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(20);

/// A directory of the test's own, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("dripdrop-launch-{test}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create the test's directory");
        // As the launcher sees it (cwd): /tmp may be a link.
        TempDir(path.canonicalize().expect("canonical directory"))
    }

    fn manifest(&self, text: &str) -> PathBuf {
        let path = self.0.join("dripdrop.toml");
        std::fs::write(&path, text).expect("write the manifest");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

enum Line {
    Out(String),
    Err(String),
    Closed,
}

/// A running `dripdrop launch`: its stdout and stderr lines arrive on a channel. Dropped
/// while running, it is stopped with SIGTERM (so its children stop too), then SIGKILL.
struct Launcher {
    child: Child,
    lines: Receiver<Line>,
    out: Vec<String>,
    err: Vec<String>,
    open: usize,
}

impl Launcher {
    fn start(manifest: &Path, args: &[&str]) -> Launcher {
        Launcher::start_with_env(manifest, args, &[])
    }

    fn start_with_env(manifest: &Path, args: &[&str], env: &[(&str, String)]) -> Launcher {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dripdrop"))
            .arg("launch")
            .args(args)
            .arg(manifest)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start dripdrop launch");
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().expect("stdout");
        let err = child.stderr.take().expect("stderr");
        for (pipe, is_out) in [
            (Box::new(out) as Box<dyn Read + Send>, true),
            (Box::new(err), false),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    let line = if is_out {
                        Line::Out(line)
                    } else {
                        Line::Err(line)
                    };
                    if tx.send(line).is_err() {
                        return;
                    }
                }
                let _ = tx.send(Line::Closed);
            });
        }
        Launcher {
            child,
            lines,
            out: Vec::new(),
            err: Vec::new(),
            open: 2,
        }
    }

    /// Takes the next line (or end of a pipe) by `deadline`; false if none came.
    fn pump(&mut self, deadline: Instant) -> bool {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(left) {
            Ok(Line::Out(line)) => self.out.push(line),
            Ok(Line::Err(line)) => self.err.push(line),
            Ok(Line::Closed) => self.open -= 1,
            Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => return false,
        }
        true
    }

    fn transcript(&self) -> String {
        format!(
            "stdout:\n{}\nstderr:\n{}",
            self.out.join("\n"),
            self.err.join("\n")
        )
    }

    /// Waits for a stdout line (`stdout`) or a stderr line that `wanted` accepts.
    fn wait_line(&mut self, stdout: bool, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let seen = if stdout { &self.out } else { &self.err };
            if let Some(line) = seen.iter().find(|l| wanted(l)) {
                return line.clone();
            }
            assert!(
                self.open > 0 && self.pump(deadline),
                "the line never came\n{}",
                self.transcript()
            );
        }
    }

    fn wait_out(&mut self, wanted: &str) -> String {
        self.wait_line(true, |line| line == wanted)
    }

    fn wait_err(&mut self, contains: &str) -> String {
        self.wait_line(false, |line| line.contains(contains))
    }

    fn signal(&self, signal: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("a pid");
        // SAFETY: kill(2) on the launcher this test started.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "kill");
    }

    /// Waits for it to exit, by `bound`: its pipes close when it exits (its children's
    /// output comes through its own pipes, never ours).
    fn wait_exit(&mut self, bound: Duration) -> ExitStatus {
        let deadline = Instant::now() + bound;
        while self.open > 0 {
            assert!(
                self.pump(deadline),
                "still running after {bound:?}\n{}",
                self.transcript()
            );
        }
        self.child.wait().expect("wait for the launcher")
    }

    /// The pids its stderr says it started for `name`, in order.
    fn pids_of(&self, name: &str) -> Vec<u32> {
        let start = format!("launch | {name} started (pid ");
        self.err
            .iter()
            .filter_map(|l| l.strip_prefix(&start)?.strip_suffix(')')?.parse().ok())
            .collect()
    }
}

impl Drop for Launcher {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.signal(libc::SIGTERM);
            let deadline = Instant::now() + PATIENCE;
            while self.open > 0 && self.pump(deadline) {}
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Whether a process with this pid still exists.
fn alive(pid: u32) -> bool {
    let pid = libc::pid_t::try_from(pid).expect("a pid");
    // SAFETY: signal 0 only asks whether the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

/// A stand-in control server: a ROUTER on a port the system picks.
struct StandIn {
    socket: zmq::Socket,
    _context: zmq::Context,
    endpoint: String,
}

impl StandIn {
    fn bind() -> StandIn {
        let context = zmq::Context::new();
        let socket = context.socket(zmq::ROUTER).unwrap();
        socket.set_linger(0).unwrap();
        socket.set_rcvtimeo(PATIENCE.as_millis() as i32).unwrap();
        socket.bind("tcp://127.0.0.1:0").unwrap();
        let endpoint = socket.get_last_endpoint().unwrap().unwrap();
        StandIn {
            socket,
            _context: context,
            endpoint,
        }
    }

    /// The next message, whoever sent it: `[identity, message]`.
    fn next(&self) -> Message {
        let frames = self
            .socket
            .recv_multipart(0)
            .expect("a report within the patience");
        assert_eq!(frames.len(), 2, "[identity, message]");
        Message::decode(&frames[1]).expect("a DripDrop message")
    }

    /// The next `dripdrop.started` or `dripdrop.exited` (the children's own reports, when
    /// they are DripDrop nodes, are skipped).
    fn next_launcher_report(&self) -> Message {
        loop {
            let message = self.next();
            if matches!(message.name(), "dripdrop.started" | "dripdrop.exited") {
                return message;
            }
        }
    }
}

fn text<'a>(message: &'a Message, key: &str) -> &'a str {
    message
        .body()
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{key} in {message:?}"))
}

fn int(message: &Message, key: &str) -> Option<i64> {
    match message.body().get(key) {
        Some(Value::Int(n)) => Some(*n),
        Some(Value::Nil) => None,
        other => panic!("{key} is {other:?} in {message:?}"),
    }
}

fn flag(message: &Message, key: &str) -> bool {
    match message.body().get(key) {
        Some(Value::Bool(b)) => *b,
        other => panic!("{key} is {other:?} in {message:?}"),
    }
}

fn pid(message: &Message) -> u32 {
    int(message, "pid").expect("a pid") as u32
}

#[test]
fn a_killed_process_is_reported_and_restarted() {
    let dir = TempDir::new("killed");
    let control = StandIn::bind();
    let manifest = dir.manifest(&format!(
        r#"
[app]
name = "sleepy"
control = "{}"

[nodes.sleeper]
command = "sleep 1000"

[roles]
rest = ["sleeper"]
"#,
        control.endpoint
    ));
    let mut launcher = Launcher::start(&manifest, &["--role", "rest"]);
    let started = control.next_launcher_report();
    assert_eq!(started.name(), "dripdrop.started");
    assert_eq!(text(&started, "host"), dripdrop::host_name());
    assert_eq!(text(&started, "node"), "sleeper");
    assert_eq!(text(&started, "role"), "rest");
    assert_eq!(text(&started, "app"), "sleepy");
    assert_eq!(int(&started, "instance"), Some(1));
    let first = pid(&started);

    let killed_at = Instant::now();
    // SAFETY: kill(2) on the child the report names.
    assert_eq!(
        unsafe { libc::kill(first as libc::pid_t, libc::SIGKILL) },
        0
    );
    let exited = control.next_launcher_report();
    assert_eq!(exited.name(), "dripdrop.exited");
    assert_eq!(pid(&exited), first);
    assert_eq!(int(&exited, "code"), None);
    assert_eq!(int(&exited, "signal"), Some(9));
    assert!(flag(&exited, "restarting"));
    assert!(!flag(&exited, "flapping"));
    let again = control.next_launcher_report();
    assert_eq!(again.name(), "dripdrop.started");
    let second = pid(&again);
    assert_ne!(second, first);
    let took = killed_at.elapsed();
    assert!(took < Duration::from_secs(2), "restarted after {took:?}");
    launcher.wait_err("sleeper.1 (pid");
    launcher.wait_err("killed by signal 9 (SIGKILL); restarting in 100 ms");

    launcher.signal(libc::SIGTERM);
    assert!(launcher.wait_exit(PATIENCE).success());
    let stopped = control.next_launcher_report();
    assert_eq!(stopped.name(), "dripdrop.exited");
    assert_eq!(pid(&stopped), second);
    assert_eq!(int(&stopped, "signal"), Some(libc::SIGTERM as i64));
    assert!(!flag(&stopped, "restarting"));
    assert!(!alive(second));
}

#[test]
fn a_process_that_keeps_exiting_is_flapping_and_given_up() {
    let dir = TempDir::new("flapping");
    let control = StandIn::bind();
    let manifest = dir.manifest(&format!(
        r#"
[app]
name = "crashy"
control = "{}"

[nodes.crash]
command = ["sh", "-c", "exit 3"]

[roles]
all = ["crash"]
"#,
        control.endpoint
    ));
    let started_at = Instant::now();
    let mut launcher = Launcher::start(&manifest, &["--role", "all"]);
    let mut starts = 0;
    let last = loop {
        let report = control.next_launcher_report();
        match report.name() {
            "dripdrop.started" => starts += 1,
            _ if flag(&report, "flapping") => break report,
            _ => {
                assert_eq!(int(&report, "code"), Some(3));
                assert!(flag(&report, "restarting"), "{report:?}");
            }
        }
    };
    // The first start and five restarts; the sixth exit is one too many.
    assert_eq!(starts, 6);
    assert_eq!(int(&last, "code"), Some(3));
    assert_eq!(int(&last, "signal"), None);
    assert!(!flag(&last, "restarting"));
    // With nothing left to run, the launcher ends, and says why.
    let status = launcher.wait_exit(PATIENCE);
    assert_eq!(status.code(), Some(1), "{}", launcher.transcript());
    launcher.wait_err("crash.1 is flapping (restarted 5 times within 30 s): not restarting it");
    launcher.wait_err("dripdrop: launch: every process ended: crash.1 flapping (given up)");
    // Backoff: 100 + 200 + 400 + 800 + 1600 ms at least between the starts.
    assert!(started_at.elapsed() >= Duration::from_millis(3100));
    assert_eq!(launcher.pids_of("crash.1").len(), 6);
}

#[test]
fn sigterm_stops_every_process_within_its_grace() {
    let dir = TempDir::new("sigterm");
    let manifest = dir.manifest(
        r#"
[app]
name = "polite"

[nodes.polite]
command = ["sh", "-c", "trap 'echo bye; exit 0' TERM; echo ready; while :; do sleep 0.1; done"]
replicas = 2
stop_grace_ms = 5000

[roles]
all = ["polite"]
"#,
    );
    let mut launcher = Launcher::start(&manifest, &["--role", "all"]);
    launcher.wait_out("polite.1 | ready");
    launcher.wait_out("polite.2 | ready");
    // The launcher's own lines come on another pipe: read up to its start lines too.
    launcher.wait_err("polite.1 started (pid ");
    launcher.wait_err("polite.2 started (pid ");
    let pids = [launcher.pids_of("polite.1"), launcher.pids_of("polite.2")].concat();
    assert_eq!(pids.len(), 2);
    let asked = Instant::now();
    launcher.signal(libc::SIGTERM);
    let status = launcher.wait_exit(PATIENCE);
    let took = asked.elapsed();
    assert!(status.success(), "{status}\n{}", launcher.transcript());
    assert!(took < Duration::from_secs(5), "stopped after {took:?}");
    // Each goodbye came through, prefixed, before the launcher exited.
    launcher.wait_out("polite.1 | bye");
    launcher.wait_out("polite.2 | bye");
    launcher.wait_err("SIGTERM: stopping 2 processes");
    assert!(pids.iter().all(|&pid| !alive(pid)), "{pids:?}");
}

#[test]
fn a_process_that_ignores_sigterm_is_killed_after_its_grace() {
    let dir = TempDir::new("stubborn");
    let manifest = dir.manifest(
        r#"
[app]
name = "stubborn"

[nodes.stubborn]
command = ["sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.1; done"]
stop_grace_ms = 300

[nodes.polite]
command = ["sh", "-c", "trap 'echo bye; exit 0' TERM; echo ready; while :; do sleep 0.1; done"]

[roles]
all = ["stubborn", "polite"]
"#,
    );
    let mut launcher = Launcher::start(&manifest, &["--role", "all"]);
    launcher.wait_out("stubborn.1 | ready");
    launcher.wait_out("polite.1 | ready");
    launcher.wait_err("stubborn.1 started (pid ");
    let stubborn = launcher.pids_of("stubborn.1");
    // SIGINT, as a Ctrl-C at a terminal sends it: the same stop as SIGTERM.
    let asked = Instant::now();
    launcher.signal(libc::SIGINT);
    let status = launcher.wait_exit(PATIENCE);
    let took = asked.elapsed();
    // A stop that had to SIGKILL is status 1, named on stderr.
    assert_eq!(status.code(), Some(1), "{}", launcher.transcript());
    assert!(took >= Duration::from_millis(300), "stopped after {took:?}");
    assert!(took < Duration::from_secs(5), "stopped after {took:?}");
    launcher.wait_out("polite.1 | bye");
    launcher.wait_err("SIGINT: stopping 2 processes");
    launcher.wait_err("did not stop within 300 ms: SIGKILL");
    launcher.wait_err("killed by signal 9 (SIGKILL)");
    launcher.wait_err("dripdrop: launch: stopped, but stubborn.1 had to be killed");
    assert!(!alive(stubborn[0]));
}

#[test]
fn every_line_is_prefixed_with_its_process_and_written_whole() {
    let dir = TempDir::new("logs");
    // Two replicas write 200 long lines each, on stdout and stderr, at the same time; then end
    // (restart = never), so the launcher ends by itself.
    let x = "x".repeat(80);
    let y = "y".repeat(80);
    let manifest = dir.manifest(&format!(
        r#"
[app]
name = "chatty"

[nodes.chatty]
command = ["sh", "-c", """
echo "out $DRIPDROP_INSTANCE of $DRIPDROP_APP in $(pwd)"
echo "err $DRIPDROP_INSTANCE" >&2
echo "run_list ${{DRIPDROP_RUN_LIST:-none}}, kept $KEPT"
i=0
while [ $i -lt 200 ]; do
  echo "line $i {x}"
  echo "line $i {y}" >&2
  i=$((i+1))
done
printf 'no newline'
"""]
replicas = 2
restart = "never"

[roles]
all = ["chatty"]
"#
    ));
    // The launcher's environment is passed on, but not the DRIPDROP_ variables it sets
    // itself (here a run_list the node does not have).
    let env = [
        ("DRIPDROP_RUN_LIST", "inherited".to_owned()),
        ("KEPT", "yes".to_owned()),
    ];
    let mut launcher = Launcher::start_with_env(&manifest, &["--role", "all"], &env);
    let status = launcher.wait_exit(PATIENCE);
    assert!(status.success(), "{}", launcher.transcript());
    launcher.wait_out("chatty.1 | run_list none, kept yes");
    let cwd = dir.0.display();
    launcher.wait_out(&format!("chatty.1 | out 1 of chatty in {cwd}"));
    launcher.wait_out(&format!("chatty.2 | out 2 of chatty in {cwd}"));
    launcher.wait_out("chatty.1 | err 1");
    launcher.wait_out("chatty.2 | err 2");
    launcher.wait_out("chatty.2 | no newline");
    for line in &launcher.out {
        let (prefix, rest) = line.split_once(" | ").expect("a prefix");
        assert!(prefix == "chatty.1" || prefix == "chatty.2", "{line}");
        if let Some(rest) = rest.strip_prefix("line ") {
            let (_, tail) = rest.split_once(' ').expect("a number");
            assert!(tail == x || tail == y, "a mixed line: {line}");
        }
    }
    // 2 × (3 + 400 + 1) lines, all there.
    assert_eq!(launcher.out.len(), 808, "{}", launcher.transcript());
    launcher.wait_err("every process ended and none is to be restarted");
}

#[test]
fn an_unknown_role_or_a_missing_program_starts_nothing() {
    let dir = TempDir::new("refused");
    let marker = dir.0.join("started");
    let good = format!("command = [\"touch\", \"{}\"]", marker.display());
    let manifest = dir.manifest(&format!(
        r#"
[app]
name = "refused"

[nodes.good]
{good}

[nodes.bad]
command = "no-such-program-dripdrop-test --flag"

[roles]
good = ["good"]
all = ["good", "bad"]
"#
    ));
    let cases = [
        (
            "--role nope",
            format!(
                "dripdrop: no role \"nope\" in {} (roles: all, good)",
                manifest.display()
            ),
        ),
        (
            "--role good --role all",
            format!(
                "dripdrop: {}:9: nodes.bad.command: no program \
                 \"no-such-program-dripdrop-test\" (not a file here, nor on PATH)",
                manifest.display()
            ),
        ),
    ];
    for (args, error) in cases {
        let args: Vec<&str> = args.split(' ').collect();
        let mut launcher = Launcher::start(&manifest, &args);
        let status = launcher.wait_exit(PATIENCE);
        assert_eq!(status.code(), Some(1));
        assert_eq!(launcher.err, [error]);
        assert!(launcher.out.is_empty());
        assert!(!marker.exists(), "something was started");
    }
}

/// A TCP port free on 127.0.0.1 a moment ago (bound, then let go).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("its address").port()
}

/// The examples' `http_load`.
fn http_load() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| example("http_load", "DRIPDROP_HTTP_LOAD"))
}

/// An example program: `$env_var` when set, else built with cargo, its path as cargo
/// reports it (whatever the target directory and profile).
fn example(name: &str, env_var: &str) -> PathBuf {
    if let Some(given) = std::env::var_os(env_var).filter(|v| !v.is_empty()) {
        return PathBuf::from(given);
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["build", "-p", "dripdrop-examples", "--bin", name])
        .arg("--message-format=json-render-diagnostics")
        .current_dir(workspace)
        .stderr(Stdio::inherit())
        .output()
        .expect("run cargo build");
    assert!(out.status.success(), "cargo build of {name} failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == name)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("cargo names the {name} executable"))
}

#[test]
fn two_launchers_run_the_http_load_demo() {
    let http_load = http_load();
    let dir = TempDir::new("demo");
    let control = StandIn::bind();
    // The example manifest itself, with ports free here and a short run.
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/deploy/http_load.toml");
    let example = std::fs::read_to_string(example).expect("the example manifest");
    assert!(example.contains("--requests 200000"));
    let ours = example
        .replace("--requests 200000", "--requests 2000")
        .replace("tcp://127.0.0.1:7600", &control.endpoint)
        .replace("8080", &free_port().to_string())
        .replace("2100", &free_port().to_string());
    let manifest = dir.manifest(&ours);
    // As the example's comment says: http_load on PATH.
    let path = format!(
        "{}:{}",
        http_load.parent().expect("its directory").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let env = [("PATH", path)];
    let mut load =
        Launcher::start_with_env(&manifest, &["--role", "target", "--role", "workers"], &env);
    let mut coordinator = Launcher::start_with_env(&manifest, &["--role", "control"], &env);
    let status = coordinator.wait_exit(Duration::from_secs(90));
    assert!(status.success(), "{}", coordinator.transcript());
    let report = coordinator.wait_line(true, |l| l.starts_with("control.1 | requests: 2000 in "));
    assert!(report.ends_with("req/s"), "{report}");
    coordinator.wait_out("control.1 | errors: none");
    coordinator.wait_err("control.1 (pid");
    coordinator.wait_err("exited with code 0; not restarted (restart = \"on-failure\")");
    load.wait_line(true, |l| l.starts_with("workers.1 | worker "));
    load.wait_line(true, |l| l.starts_with("workers.2 | worker "));

    load.signal(libc::SIGTERM);
    let status = load.wait_exit(PATIENCE);
    assert!(status.success(), "{}", load.transcript());
    load.wait_err("SIGTERM: stopping 3 processes");

    // Both launchers reported to the app's control server: the load side's processes
    // started and, at the stop, exited for good; the control started and exited cleanly.
    // (Whether a worker restarts once the control is gone is its own business: not counted.)
    let mut reports = Vec::new();
    let done = |reports: &[(String, String, Option<i64>, bool)]| {
        let last_exits = reports
            .iter()
            .filter(|(name, node, _, restarting)| {
                name == "dripdrop.exited" && node != "control" && !restarting
            })
            .count();
        last_exits == 3
            && reports.iter().any(|(name, node, code, _)| {
                name == "dripdrop.exited" && node == "control" && *code == Some(0)
            })
    };
    while !done(&reports) {
        let report = control.next_launcher_report();
        let exited = report.name() == "dripdrop.exited";
        reports.push((
            report.name().to_owned(),
            text(&report, "node").to_owned(),
            if exited { int(&report, "code") } else { None },
            exited && flag(&report, "restarting"),
        ));
    }
    for node in ["target", "workers", "control"] {
        assert!(
            reports
                .iter()
                .any(|(name, n, _, _)| name == "dripdrop.started" && n == node),
            "{node} not started: {reports:?}"
        );
    }
}

/// The processes of `node` the control server knows, as (id, pid, state).
fn processes_of(control: &control::Control, node: &str) -> Vec<(String, u64, String)> {
    control.json("/api/processes")["processes"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|p| p["node"] == node)
        .map(|p| {
            let text = |key: &str| p[key].as_str().unwrap_or_default().to_owned();
            (text("id"), p["pid"].as_u64().unwrap_or(0), text("state"))
        })
        .collect()
}

/// Polls the control server until `wanted` finds something.
fn poll<T>(what: &str, mut wanted: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(found) = wanted() {
            return found;
        }
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_killed_child_is_down_then_up_again_at_the_real_control_server() {
    let dir = TempDir::new("control");
    let server_manifest = dir.0.join("server.toml");
    // The watched node: another `dripdrop control`, itself a DripDrop node, reporting to the
    // first through the environment the launcher gives it.
    let watched = format!(
        "[app]\nname = \"watched\"\ncontrol = \"CONTROL\"\nheartbeat_ms = 200\n\n\
         [nodes.inner]\ncommand = [\"{}\", \"control\", \"--listen\", \"tcp://127.0.0.1:0\", \
         \"--http\", \"127.0.0.1:0\"]\n\n[roles]\nall = [\"inner\"]\n",
        env!("CARGO_BIN_EXE_dripdrop")
    );
    // The server reads the manifest for its nodes only; where to report is the launcher's.
    let placeholder = watched.replace("CONTROL", "tcp://127.0.0.1:9");
    std::fs::write(&server_manifest, placeholder).expect("write the server's manifest");
    let control = control::Control::start(&["--manifest", server_manifest.to_str().unwrap()]);
    let manifest = dir.manifest(&watched.replace("CONTROL", &control.listen));
    let mut launcher = Launcher::start(&manifest, &["--role", "all"]);
    let (first, pid) = poll("the launched process up", || {
        let up = processes_of(&control, "inner");
        up.into_iter()
            .find(|(_, _, state)| state == "up")
            .map(|(id, pid, _)| (id, pid))
    });
    launcher.wait_err(&format!("inner.1 started (pid {pid})"));
    let killed = Instant::now();
    let pid = libc::pid_t::try_from(pid).expect("a pid");
    // SAFETY: kill(2) on the process the launcher started for this test.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    // The launcher restarts it (a new identity) and says it exited: down, then a new one up.
    let second = poll("a new process up", || {
        let now = processes_of(&control, "inner");
        let old_down = now
            .iter()
            .any(|(id, _, state)| id == &first && state == "down");
        let new_up = now
            .iter()
            .find(|(id, _, state)| id != &first && state == "up")
            .map(|(id, _, _)| id.clone());
        new_up.filter(|_| old_down)
    });
    assert!(
        killed.elapsed() < Duration::from_secs(4),
        "took {:?}",
        killed.elapsed()
    );
    let events = control.json("/api/events");
    let went: Vec<(String, String)> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["id"] == first.as_str() || e["id"] == second.as_str())
        .map(|e| {
            let id = if e["id"] == first.as_str() {
                "first"
            } else {
                "second"
            };
            (
                id.to_owned(),
                e["to"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let down = went
        .iter()
        .position(|w| w == &("first".into(), "down".into()));
    let up = went
        .iter()
        .position(|w| w == &("second".into(), "up".into()));
    assert!(down.is_some() && up.is_some() && down < up, "{went:?}");
    let node = &control.json("/api/nodes")["nodes"][0];
    assert_eq!(
        (&node["name"], &node["live"]),
        (&"inner".into(), &1.into()),
        "{node}"
    );
    // A clean stop: the launcher's SIGTERM makes it say goodbye.
    launcher.signal(libc::SIGTERM);
    assert!(
        launcher.wait_exit(PATIENCE).success(),
        "{}",
        launcher.transcript()
    );
    poll("the second process gone", || {
        let now = processes_of(&control, "inner");
        now.iter()
            .any(|(id, _, state)| id == &second && state == "gone")
            .then_some(())
    });
}

#[test]
fn sigterm_to_the_launcher_leaves_no_task_without_an_answer() {
    let (jobs, worker) = (
        example("pool_jobs", "DRIPDROP_POOL_JOBS"),
        example("pool_worker", "DRIPDROP_POOL_WORKER"),
    );
    let dir = TempDir::new("tasks");
    let pool = format!("tcp://127.0.0.1:{}", free_port());
    let manifest = dir.manifest(&format!(
        "[app]\nname = \"jobs\"\n\n\
         [nodes.jobs]\ncommand = [\"{}\", \"--bind\", \"{pool}\", \"--tasks\", \"400\", \
         \"--sleep-ms\", \"20\", \"--stop-linger-ms\", \"300\"]\nrestart = \"never\"\n\n\
         [nodes.workers]\ncommand = [\"{}\", \"--connect\", \"{pool}\", \"--tasks\", \"sleep\", \
         \"--concurrency\", \"2\"]\nreplicas = 2\n\n\
         [roles]\njobs = [\"jobs\"]\nworkers = [\"workers\"]\n",
        jobs.display(),
        worker.display()
    ));
    let mut launcher = Launcher::start(&manifest, &["--role", "jobs", "--role", "workers"]);
    // 400 tasks of 20 ms on 4 threads take 2 s: SIGTERM comes while most are queued.
    launcher.wait_out("jobs.1 | pool_jobs: first task done");
    launcher.signal(libc::SIGTERM);
    let status = launcher.wait_exit(PATIENCE);
    let summary = launcher.wait_line(true, |l| l.starts_with("jobs.1 | pool_jobs: answered "));
    assert!(status.success(), "{}", launcher.transcript());
    // "answered 400 of 400: done D, stopped S, failed 0"
    let counts: Vec<u64> = summary
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    let [answered, total, done, stopped, failed] = counts[1..] else {
        panic!("{summary}")
    };
    assert_eq!((answered, total, failed), (400, 400, 0), "{summary}");
    assert!(done >= 1 && stopped >= 1, "{summary}");
    assert_eq!(done + stopped, 400, "{summary}");
}
