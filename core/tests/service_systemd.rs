//! A node under a systemd unit with a watchdog, and under a Kubernetes health probe, faked:
//! `NOTIFY_SOCKET` is a datagram socket this test reads (what systemd reads), and
//! `DRIPDROP_HEALTH_FILE` a file whose age it checks. The node says READY=1, then WATCHDOG=1
//! from its loop and touches the file; a callback that blocks stops both (systemd would
//! restart the process, the probe would fail) until it returns; STOPPING=1 at the stop.
//!
//! Alone in its test binary: it sets process-wide environment variables before any node.

use crossbeam_channel::bounded;
use dripdrop::{Node, NodeOptions};
use std::os::unix::net::UnixDatagram;
use std::time::{Duration, SystemTime};

const WATCHDOG: Duration = Duration::from_millis(200);

fn next(socket: &UnixDatagram, within: Duration) -> Option<String> {
    socket.set_read_timeout(Some(within)).unwrap();
    let mut buffer = [0u8; 512];
    let n = socket.recv(&mut buffer).ok()?;
    Some(String::from_utf8_lossy(&buffer[..n]).into_owned())
}

fn age(path: &std::path::Path) -> Duration {
    let modified = std::fs::metadata(path).unwrap().modified().unwrap();
    SystemTime::now()
        .duration_since(modified)
        .unwrap_or_default()
}

#[test]
fn the_loop_feeds_the_watchdog_and_the_health_file_and_a_stuck_loop_does_not() {
    let dir = std::env::temp_dir().join(format!("dripdrop-systemd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let socket_path = dir.join("notify");
    let health = dir.join("health");
    let _ = std::fs::remove_file(&socket_path);
    let systemd = UnixDatagram::bind(&socket_path).unwrap();
    std::env::set_var("NOTIFY_SOCKET", &socket_path);
    std::env::set_var("WATCHDOG_USEC", WATCHDOG.as_micros().to_string());
    // As systemd sets it: the watchdog is this process's.
    std::env::set_var("WATCHDOG_PID", std::process::id().to_string());
    std::env::set_var("DRIPDROP_HEALTH_FILE", &health);

    let (handle_tx, handle_rx) = bounded(1);
    let thread = std::thread::spawn(move || {
        let options = NodeOptions {
            heartbeat: Duration::from_secs(1),
            ..NodeOptions::default()
        };
        let mut node = Node::with_options(options).expect("node");
        handle_tx.send(node.handle()).unwrap();
        node.run().expect("run");
    });
    let handle = handle_rx.recv().unwrap();

    assert_eq!(
        next(&systemd, Duration::from_secs(10)).as_deref(),
        Some("READY=1\n")
    );
    // Twice per watchdog period (the heartbeat is longer), from the loop: each within one.
    for _ in 0..4 {
        assert_eq!(next(&systemd, WATCHDOG).as_deref(), Some("WATCHDOG=1\n"));
    }
    assert!(age(&health) < WATCHDOG, "{:?}", age(&health));

    // Stuck in a callback: no ping for two watchdog periods, and the file grows old.
    let (entered_tx, entered) = bounded::<()>(1);
    let (release, released) = bounded::<()>(1);
    handle
        .post(move |_| {
            entered_tx.send(()).unwrap();
            released.recv().unwrap();
        })
        .unwrap();
    entered.recv().unwrap();
    // A ping made just before the callback may still be in the socket.
    let mut late = 0;
    while let Some(said) = next(&systemd, WATCHDOG * 2) {
        late += 1;
        assert!(late <= 1, "pinged while stuck: {said}");
    }
    assert!(age(&health) >= WATCHDOG * 2, "{:?}", age(&health));

    release.send(()).unwrap();
    assert_eq!(next(&systemd, WATCHDOG).as_deref(), Some("WATCHDOG=1\n"));
    handle.stop();
    thread.join().unwrap();
    let mut said = Vec::new();
    while let Some(message) = next(&systemd, Duration::from_millis(50)) {
        said.push(message);
    }
    assert_eq!(
        said.last().map(String::as_str),
        Some("STOPPING=1\n"),
        "{said:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
