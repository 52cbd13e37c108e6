//! CURVE with real parts: pyzmq clients (code no one here wrote) with the right key, a key
//! not allowed, and no key at all against a CURVE route; certificate files both ways
//! between DripDrop and pyzmq's `zmq.auth`; a key added to and removed from the allowed
//! directory while the route runs; a CURVE client that never falls back to plain text; a
//! pool whose workers get in only with the right keys. Ports are the system's, and every
//! wait polls against a deadline.

use dripdrop::{
    Certificate, Curve, CurveOption, Error, Mode, MsgFormat, Node, PoolOptions, RouteKind,
    RouteOptions, Value, Worker, WorkerOptions,
};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long any wait may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(20);

/// A fresh directory for one test.
fn scratch(tag: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "dripdrop-curve-{tag}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A new certificate saved as `dir/name.key` and `dir/name.key_secret`.
fn certificate(dir: &Path, name: &str) -> Certificate {
    let cert = Certificate::generate().unwrap();
    cert.save(dir.join(name), false).unwrap();
    cert
}

/// A pyzmq PUSH client sending `tag` every 20 ms until it is killed (at most 30 s); with a
/// certificate file it is a CURVE client of `server_key`, without one it speaks plain text.
const PY_PUSH: &str = "
import sys, time, zmq, zmq.auth
endpoint, server_key, cert, tag = sys.argv[1:5]
s = zmq.Context().socket(zmq.PUSH)
s.linger = 0
if cert != '-':
    public, secret = zmq.auth.load_certificate(cert)
    s.curve_publickey, s.curve_secretkey = public, secret
    s.curve_serverkey = server_key.encode()
s.connect(endpoint)
end = time.time() + 30
while time.time() < end:
    try:
        s.send(tag.encode(), zmq.NOBLOCK)
    except zmq.Again:
        pass
    time.sleep(0.02)
";

/// A child process killed when dropped.
struct Client(Child);

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn py_push(endpoint: &str, server: &Certificate, cert: Option<&Path>, tag: &str) -> Client {
    let cert = cert.map_or("-".to_owned(), |p| p.display().to_string());
    let child = Command::new("python3")
        .args(["-c", PY_PUSH, endpoint, &server.public_z85(), &cert, tag])
        .stdin(Stdio::null())
        .spawn()
        .expect("python3 with pyzmq (scripts/test installs it)");
    Client(child)
}

/// Runs `python3 -c program args...` and returns its stdout.
fn python(program: &str, args: &[&str]) -> String {
    let out = Command::new("python3")
        .args(["-c", program])
        .args(args)
        .output()
        .expect("python3 with pyzmq");
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs the node until `done` says so (checked every 10 ms), failing after `PATIENCE`.
fn run_until(node: &mut Node, what: &str, done: impl FnMut(&mut Node) -> bool + 'static) {
    let done = Rc::new(RefCell::new(done));
    let timed_out = Rc::new(RefCell::new(false));
    let started = Instant::now();
    let flag = Rc::clone(&timed_out);
    let timer = node.every(Duration::from_millis(10), move |node| {
        if (done.borrow_mut())(node) {
            node.stop();
        } else if started.elapsed() > PATIENCE {
            *flag.borrow_mut() = true;
            node.stop();
        }
    });
    node.run().unwrap();
    node.cancel_timer(timer);
    assert!(
        !*timed_out.borrow(),
        "still waiting for {what} after {PATIENCE:?}"
    );
}

/// A route's counter from `node.stats()`.
fn route_counter(node: &Node, route: &str, counter: &str) -> u64 {
    let stats = node.stats();
    let value = stats
        .get("routes")
        .and_then(|r| r.get(route))
        .and_then(|r| r.get(counter))
        .cloned();
    match value {
        Some(Value::Int(n)) => n as u64,
        other => panic!("{route}.{counter}: {other:?}"),
    }
}

/// A raw pull route bound on tcp loopback with `curve`; what it receives is kept.
fn curve_pull(node: &mut Node, curve: CurveOption) -> (String, Rc<RefCell<Vec<Vec<u8>>>>) {
    let options = RouteOptions {
        msg_format: MsgFormat::Raw,
        curve,
        ..RouteOptions::default()
    };
    let endpoint = node
        .route_with(
            "in",
            RouteKind::Pull,
            &["tcp://127.0.0.1:*"],
            Mode::Bind,
            options,
        )
        .unwrap()
        .endpoint()
        .to_owned();
    let got = Rc::new(RefCell::new(Vec::new()));
    let kept = Rc::clone(&got);
    node.on_frames("in", move |_, frames| kept.borrow_mut().extend(frames))
        .unwrap();
    (endpoint, got)
}

/// The errors `on_error` got, kept.
fn errors(node: &mut Node) -> Rc<RefCell<Vec<Error>>> {
    let errors = Rc::new(RefCell::new(Vec::new()));
    let kept = Rc::clone(&errors);
    node.on_error(move |_, e| kept.borrow_mut().push(e.clone()));
    errors
}

#[test]
fn only_the_allowed_key_gets_through_and_the_rest_are_counted() {
    let dir = scratch("route");
    let allowed = dir.join("allowed");
    std::fs::create_dir(&allowed).unwrap();
    let server = certificate(&dir, "server");
    certificate(&dir, "good");
    std::fs::copy(dir.join("good.key"), allowed.join("good.key")).unwrap();
    certificate(&dir, "stranger");

    let mut node = Node::new().unwrap();
    let errors = errors(&mut node);
    let curve = Curve::server(server.clone()).with_allowed(&allowed);
    let (endpoint, got) = curve_pull(&mut node, curve.into());
    let _good = py_push(
        &endpoint,
        &server,
        Some(&dir.join("good.key_secret")),
        "good",
    );
    let _plain = py_push(&endpoint, &server, None, "plain");
    let _stranger = py_push(
        &endpoint,
        &server,
        Some(&dir.join("stranger.key_secret")),
        "stranger",
    );
    let seen = Rc::clone(&got);
    run_until(
        &mut node,
        "the good client and both refusals",
        move |node| {
            seen.borrow().iter().any(|f| f == b"good")
                && route_counter(node, "in", "auth_refused") >= 1
                && route_counter(node, "in", "handshake_failed") >= 1
        },
    );
    let got = got.borrow();
    assert!(got.iter().all(|f| f == b"good"), "{got:?}");
    // Told to on_error, as one report a second at most.
    let errors = errors.borrow();
    assert!(!errors.is_empty());
    assert!(
        errors.len() <= 1 + PATIENCE.as_secs() as usize,
        "{errors:?}"
    );
    let report = errors[0].to_string();
    assert_eq!(errors[0].class_name(), "ConnectionError");
    assert!(
        report.contains("route in") && report.contains("CURVE"),
        "{report}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_key_added_is_admitted_and_a_key_removed_refused_without_a_restart() {
    let dir = scratch("reload");
    let allowed = dir.join("allowed");
    std::fs::create_dir(&allowed).unwrap();
    let server = certificate(&dir, "server");
    certificate(&dir, "late");

    let mut node = Node::new().unwrap();
    errors(&mut node);
    let curve = Curve::server(server.clone()).with_allowed(&allowed);
    let (endpoint, got) = curve_pull(&mut node, curve.into());
    let secret = dir.join("late.key_secret");
    // libzmq does not retry a connection its server refused: each try is a new client.
    let first = py_push(&endpoint, &server, Some(&secret), "first");
    run_until(&mut node, "a refusal", |node| {
        route_counter(node, "in", "auth_refused") >= 1
    });
    assert!(got.borrow().is_empty());
    drop(first);

    // Added (copied in, as an operator would): the next connection gets in.
    std::fs::copy(dir.join("late.key"), allowed.join("late.key")).unwrap();
    let second = py_push(&endpoint, &server, Some(&secret), "second");
    let seen = Rc::clone(&got);
    run_until(&mut node, "the added key's messages", move |_| {
        seen.borrow().iter().any(|f| f == b"second")
    });
    assert_eq!(route_counter(&node, "in", "auth_refused"), 1);

    // Removed: a new connection with the same key is refused; the one admitted stays.
    std::fs::remove_file(allowed.join("late.key")).unwrap();
    let _third = py_push(&endpoint, &server, Some(&secret), "third");
    run_until(&mut node, "another refusal", move |node| {
        route_counter(node, "in", "auth_refused") >= 2
    });
    drop(second);
    assert!(!got.borrow().iter().any(|f| f == b"third"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_curve_client_never_falls_back_to_plain_text() {
    let dir = scratch("fallback");
    let server = certificate(&dir, "server");
    let client = certificate(&dir, "client");
    let mut node = Node::new().unwrap();
    errors(&mut node);
    // A plain server, and a client that speaks only CURVE to it.
    let (endpoint, got) = curve_pull(&mut node, CurveOption::Off);
    let options = RouteOptions {
        curve: Curve::client(client, *server.public_key()).into(),
        ..RouteOptions::default()
    };
    node.route_with("out", RouteKind::Push, &[&endpoint], Mode::Connect, options)
        .unwrap();
    let message = dripdrop::Message::new("secret").unwrap();
    node.send_message("out", &message).unwrap();
    run_until(&mut node, "the client's failed handshake", |node| {
        route_counter(node, "out", "handshake_failed") >= 1
    });
    assert!(got.borrow().is_empty());
    assert_eq!(route_counter(&node, "out", "messages_out"), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn curve_routes_talk_and_web_routes_refuse_the_option() {
    let dir = scratch("web");
    let server = certificate(&dir, "server");
    let client = certificate(&dir, "client");
    let mut node = Node::new().unwrap();
    let (endpoint, got) = curve_pull(&mut node, Curve::server(server.clone()).into());
    let options = RouteOptions {
        curve: Curve::client(client.clone(), *server.public_key()).into(),
        ..RouteOptions::default()
    };
    node.route_with("out", RouteKind::Push, &[&endpoint], Mode::Connect, options)
        .unwrap();
    let message = dripdrop::Message::new("hello").unwrap();
    node.send_message("out", &message).unwrap();
    let seen = Rc::clone(&got);
    run_until(&mut node, "the message", move |_| !seen.borrow().is_empty());

    for curve in [
        CurveOption::On(Curve::server(server.clone())),
        CurveOption::Dir(dir.clone()),
    ] {
        let options = RouteOptions {
            curve,
            ..RouteOptions::default()
        };
        let e = node
            .route_with(
                "web",
                RouteKind::HttpServer,
                &["http://127.0.0.1:0"],
                Mode::Bind,
                options,
            )
            .err()
            .expect("refused");
        assert_eq!(e.class_name(), "InvalidArgument");
        assert!(e.to_string().contains("CURVE is for ZeroMQ routes"), "{e}");
    }
    // A connecting socket needs the server's key; a binding one its own secret key.
    let loaded = Certificate::load(dir.join("client.key_secret")).unwrap();
    assert_eq!(
        loaded,
        Certificate::load(dir.join("client.key_secret")).unwrap()
    );
    let no_server_key = RouteOptions {
        curve: Curve::server(loaded).into(),
        ..RouteOptions::default()
    };
    let e = node
        .route_with(
            "c",
            RouteKind::Push,
            &[&endpoint],
            Mode::Connect,
            no_server_key,
        )
        .err()
        .expect("refused");
    assert_eq!(e.class_name(), "CertificateError");
    assert!(e.to_string().contains("client.key_secret"), "{e}");
    let public_only = RouteOptions {
        curve: Curve::server(Certificate::load(dir.join("server.key")).unwrap()).into(),
        ..RouteOptions::default()
    };
    let e = node
        .route_with(
            "s",
            RouteKind::Pull,
            &["tcp://127.0.0.1:*"],
            Mode::Bind,
            public_only,
        )
        .err()
        .expect("refused");
    assert_eq!(e.class_name(), "CertificateError");
    assert!(e.to_string().contains("server.key"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn certificate_files_go_both_ways_with_pyzmq() {
    let dir = scratch("files");
    // DripDrop's files, read by pyzmq's zmq.auth.
    let ours = certificate(&dir, "ours");
    let read = python(
        "import sys, zmq.auth
p, s = zmq.auth.load_certificate(sys.argv[1] + '.key_secret')
p2, s2 = zmq.auth.load_certificate(sys.argv[1] + '.key')
print(p.decode(), s.decode(), p2.decode(), s2)",
        &[&dir.join("ours").display().to_string()],
    );
    let secret_z85 = {
        let line = python(
            "import sys; from zmq.utils import z85; print(z85.encode(bytes.fromhex(sys.argv[1])).decode())",
            &[&hex(ours.secret_key().unwrap())],
        );
        line.trim().to_owned()
    };
    assert_eq!(
        read.split_whitespace().collect::<Vec<_>>(),
        [
            ours.public_z85().as_str(),
            secret_z85.as_str(),
            ours.public_z85().as_str(),
            "None"
        ]
    );
    // pyzmq's files, read by DripDrop.
    let made = python(
        "import sys, zmq.auth
public, secret = zmq.auth.create_certificates(sys.argv[1], 'theirs', metadata={'owner': 'py'})
p, s = zmq.auth.load_certificate(secret)
print(p.decode(), s.decode())",
        &[&dir.display().to_string()],
    );
    let keys: Vec<&str> = made.split_whitespace().collect();
    let theirs = Certificate::load(dir.join("theirs.key_secret")).unwrap();
    assert_eq!(theirs.public_z85(), keys[0]);
    let secret = python(
        "import sys; from zmq.utils import z85; print(z85.decode(sys.argv[1]).hex())",
        &[keys[1]],
    );
    assert_eq!(hex(theirs.secret_key().unwrap()), secret.trim());
    let public = Certificate::load(dir.join("theirs.key")).unwrap();
    assert_eq!(
        (public.public_z85().as_str(), public.secret_key()),
        (keys[0], None)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A worker of `endpoint` with `curve`, serving `echo` on a thread until dropped.
struct Serving {
    handle: dripdrop::WorkerHandle,
    thread: Option<std::thread::JoinHandle<Result<(), Error>>>,
}

impl Serving {
    fn start(endpoint: &str, curve: CurveOption) -> Serving {
        let options = WorkerOptions {
            concurrency: 1,
            curve,
            ..WorkerOptions::default()
        };
        let mut worker = Worker::new(&[endpoint], options).unwrap();
        worker.task("echo", |_, args| Ok(args));
        let handle = worker.handle();
        let thread = std::thread::spawn(move || worker.run());
        Serving {
            handle,
            thread: Some(thread),
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.handle.stop();
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap().unwrap();
        }
    }
}

/// A pool's counter from `node.stats()`.
fn pool_counter(node: &Node, pool: &str, counter: &str) -> u64 {
    match node
        .stats()
        .get("pools")
        .and_then(|p| p.get(pool))
        .and_then(|p| p.get(counter))
    {
        Some(Value::Int(n)) => *n as u64,
        other => panic!("{pool}.{counter}: {other:?}"),
    }
}

#[test]
fn a_curve_pool_runs_tasks_only_on_workers_with_the_right_keys() {
    let dir = scratch("pool");
    let allowed = dir.join("allowed");
    std::fs::create_dir(&allowed).unwrap();
    let server = certificate(&dir, "pool");
    let good = certificate(&dir, "good");
    std::fs::copy(dir.join("good.key"), allowed.join("good.key")).unwrap();
    let stranger = certificate(&dir, "stranger");

    let mut node = Node::new().unwrap();
    let errors = errors(&mut node);
    let pool = |curve: Curve| PoolOptions {
        curve: curve.into(),
        no_worker_timeout: Some(Duration::from_millis(1500)),
        ..PoolOptions::remote(&["tcp://127.0.0.1:*"])
    };
    let guarded = Curve::server(server.clone()).with_allowed(&allowed);
    let shut = node
        .worker_pool("shut", pool(guarded.clone()))
        .unwrap()
        .remove(0);
    let open = node.worker_pool("open", pool(guarded)).unwrap().remove(0);

    // A worker not allowed and a plain one: no task runs on the pool they knock at.
    let _stranger = Serving::start(&shut, Curve::client(stranger, *server.public_key()).into());
    let _plain = Serving::start(&shut, CurveOption::Off);
    let result = Rc::new(RefCell::new(None));
    let slot = Rc::clone(&result);
    node.pool("shut")
        .unwrap()
        .defer("echo", 1, move |_, r| *slot.borrow_mut() = Some(r))
        .unwrap();
    let done = Rc::clone(&result);
    run_until(
        &mut node,
        "the task to give up and both refusals",
        move |node| {
            done.borrow().is_some()
                && pool_counter(node, "shut", "auth_refused") >= 1
                && pool_counter(node, "shut", "handshake_failed") >= 1
        },
    );
    let outcome = result.borrow_mut().take().unwrap();
    assert_eq!(outcome.unwrap_err().class_name(), "NoWorkerForTask");
    assert_eq!(pool_counter(&node, "shut", "workers_alive"), 0);
    assert!(errors
        .borrow()
        .iter()
        .any(|e| e.to_string().contains("worker pool shut")));

    // The allowed worker: the task runs.
    let _good = Serving::start(&open, Curve::client(good, *server.public_key()).into());
    let slot = Rc::clone(&result);
    node.pool("open")
        .unwrap()
        .defer("echo", 42, move |_, r| *slot.borrow_mut() = Some(r))
        .unwrap();
    let done = Rc::clone(&result);
    run_until(&mut node, "the task's result", move |_| {
        done.borrow().is_some()
    });
    assert_eq!(result.borrow_mut().take().unwrap(), Ok(Value::Int(42)));
    assert_eq!(pool_counter(&node, "open", "auth_refused"), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn curve_options_are_read_by_name() {
    let dir = scratch("named");
    let server = certificate(&dir, "server");
    let path = |name: &str| Value::from(dir.join(name).display().to_string());
    let named = |v: Value| vec![("curve".to_owned(), v)];
    let o = RouteOptions::from_named(named(Value::Dict(vec![
        (Value::from("certificate"), path("server.key_secret")),
        (Value::from("server_key"), Value::from(server.public_z85())),
        (Value::from("allowed"), path("")),
    ])))
    .unwrap();
    let CurveOption::On(curve) = o.curve else {
        panic!("{:?}", o.curve)
    };
    assert_eq!(curve.certificate.public_key(), server.public_key());
    assert_eq!(curve.server_key.as_ref(), Some(server.public_key()));
    let by_file = RouteOptions::from_named(named(Value::Dict(vec![
        (
            Value::atom("secret_key"),
            Value::Binary(server.secret_key().unwrap().to_vec()),
        ),
        (Value::atom("server_certificate"), path("server.key")),
    ])))
    .unwrap();
    let CurveOption::On(curve) = by_file.curve else {
        panic!()
    };
    assert_eq!(curve.server_key.as_ref(), Some(server.public_key()));
    let o = PoolOptions::from_named(named(path(""))).unwrap();
    assert_eq!(o.curve, CurveOption::Dir(dir.join("")));
    let o = WorkerOptions::from_named(named(Value::Bool(false))).unwrap();
    assert_eq!(o.curve, CurveOption::Off);
    let o = dripdrop::NodeOptions::from_named(vec![("control_curve", Value::Nil)]).unwrap();
    assert_eq!(o.control_curve, CurveOption::FromEnvironment);
    let e = RouteOptions::from_named(named(Value::Dict(vec![(
        Value::from("certificate"),
        path("missing.key_secret"),
    )])))
    .unwrap_err();
    assert_eq!(e.class_name(), "CertificateError");
    assert!(e.to_string().contains("missing.key_secret"), "{e}");
    // A path is never read as a key, whatever its length.
    let e = RouteOptions::from_named(named(Value::Dict(vec![
        (Value::from("certificate"), path("server.key_secret")),
        (Value::from("server_key"), path("server.key")),
    ])))
    .unwrap_err();
    assert!(e.to_string().contains("server_key"), "{e}");
    let e = RouteOptions::from_named(named(Value::Dict(vec![(
        Value::from("certifcate"),
        path("server.key_secret"),
    )])))
    .unwrap_err();
    assert!(e.to_string().contains("certifcate"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
