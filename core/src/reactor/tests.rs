//! The reactor serving ZeroMQ sockets and plain descriptors in one loop.

use super::*;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::time::Duration;

/// What a test's sources are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    Pull,
    Listener,
    Connection,
}

fn no_lock(wait: &mut dyn FnMut()) {
    wait()
}

#[test]
fn a_tcp_listener_and_a_zeromq_socket_are_served_in_one_loop() {
    let context = zmq::Context::new();
    let pull = context.socket(zmq::PULL).unwrap();
    pull.set_linger(0).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let zmq_endpoint = pull.get_last_endpoint().unwrap().unwrap();
    let pull = SharedSocket::new(pull);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let tcp_address = listener.local_addr().unwrap();

    let mut reactor: Reactor<Key, ()> = Reactor::new().unwrap();
    reactor.add_socket(&pull, Interest::READABLE, Key::Pull);
    reactor.add_fd(listener.as_raw_fd(), Interest::READABLE, Key::Listener);

    // A peer on each side, on another thread: a TCP client that sends "ping" and waits for
    // the answer, and a ZeroMQ pusher.
    let pusher = context.socket(zmq::PUSH).unwrap();
    pusher.set_linger(1000).unwrap();
    pusher.connect(&zmq_endpoint).unwrap();
    let client = std::thread::spawn(move || {
        pusher.send("hello", 0).unwrap();
        let mut stream = TcpStream::connect(tcp_address).unwrap();
        stream.write_all(b"ping").unwrap();
        let mut answer = [0u8; 4];
        stream.read_exact(&mut answer).unwrap();
        answer
    });

    let mut connection: Option<(TcpStream, Token)> = None;
    let (mut zmq_got, mut tcp_got) = (None, Vec::new());
    let mut ready = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while zmq_got.is_none() || tcp_got.len() < 4 {
        assert!(Instant::now() < deadline, "the loop never saw both peers");
        reactor
            .wait(Some(deadline), &mut no_lock, &mut ready)
            .unwrap();
        for event in ready.clone() {
            assert!(event.readable);
            match event.key {
                Key::Pull => zmq_got = Some(pull.recv_bytes(zmq::DONTWAIT).unwrap()),
                Key::Listener => {
                    let (stream, _) = listener.accept().unwrap();
                    stream.set_nonblocking(true).unwrap();
                    let fd = stream.as_raw_fd();
                    // Through the view a route gets: the key is the route's.
                    let mut sources = reactor.sources(Key::Connection);
                    let token = sources.add_fd(fd, Interest::READABLE);
                    connection = Some((stream, token));
                }
                Key::Connection => {
                    let (stream, _) = connection.as_mut().unwrap();
                    let mut buf = [0u8; 16];
                    match stream.read(&mut buf) {
                        Ok(n) => tcp_got.extend_from_slice(&buf[..n]),
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                        Err(e) => panic!("{e}"),
                    }
                }
            }
        }
    }
    assert_eq!(zmq_got.as_deref(), Some(&b"hello"[..]));
    assert_eq!(tcp_got, b"ping");

    // Writable interest on the connection: the wait reports it, and the answer goes out.
    let (mut stream, token) = connection.take().unwrap();
    let writable = Interest {
        readable: false,
        writable: true,
    };
    reactor.set_interest(token, writable);
    reactor
        .wait(Some(deadline), &mut no_lock, &mut ready)
        .unwrap();
    assert_eq!(ready.len(), 1);
    assert!(ready[0].writable && ready[0].key == Key::Connection);
    stream.write_all(b"pong").unwrap();
    assert_eq!(&client.join().unwrap(), b"pong");

    // The client closed its end, so the connection reads as readable (end of stream); once
    // removed it is no longer polled.
    reactor.set_interest(token, Interest::READABLE);
    reactor
        .wait(Some(deadline), &mut no_lock, &mut ready)
        .unwrap();
    assert_eq!(
        ready.iter().map(|e| e.key).collect::<Vec<_>>(),
        vec![Key::Connection]
    );
    reactor.sources(Key::Connection).remove(token);
    let soon = Instant::now() + Duration::from_millis(30);
    reactor.wait(Some(soon), &mut no_lock, &mut ready).unwrap();
    assert!(ready.is_empty());
    drop(stream);
}

#[test]
fn another_thread_wakes_the_wait_and_a_timer_ends_it() {
    let mut reactor: Reactor<(), &str> = Reactor::new().unwrap();
    let waker = Arc::clone(reactor.waker());
    let waking = std::thread::spawn(move || waker.wake());
    let mut ready = Vec::new();
    // No sources, no timers, no deadline: only the wake-up can end this wait.
    reactor.wait(None, &mut no_lock, &mut ready).unwrap();
    assert!(ready.is_empty());
    waking.join().unwrap();

    let started = Instant::now();
    reactor
        .timers_mut()
        .add(Duration::from_millis(20), None, "tick");
    reactor.wait(None, &mut no_lock, &mut ready).unwrap();
    assert!(started.elapsed() >= Duration::from_millis(20));
    let due = reactor.timers_mut().pop_due(Instant::now()).expect("due");
    assert_eq!(due.callback, "tick");
}

#[test]
fn a_host_that_declines_to_wait_sees_nothing_ready() {
    let mut reactor: Reactor<(), ()> = Reactor::new().unwrap();
    reactor.waker().wake();
    let mut ready = vec![Event {
        key: (),
        token: Token(1),
        readable: true,
        writable: false,
    }];
    reactor.wait(None, &mut |_wait| {}, &mut ready).unwrap();
    assert!(ready.is_empty());
}

#[test]
fn a_slot_is_reused_after_its_source_is_removed() {
    let mut reactor: Reactor<u8, ()> = Reactor::new().unwrap();
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    let first = reactor.add_fd(a.as_raw_fd(), Interest::READABLE, 1);
    reactor.remove(first);
    let second = reactor.add_fd(b.as_raw_fd(), Interest::READABLE, 2);
    assert_eq!(first, second);
    (&a).write_all(b"x").unwrap();
    let mut ready = Vec::new();
    reactor.wait(None, &mut no_lock, &mut ready).unwrap();
    assert_eq!(ready.iter().map(|e| e.key).collect::<Vec<_>>(), vec![2]);
}

/// Waits until the timer `name` is due, then says how many waits the precise timer ended.
fn wait_for_timer(reactor: &mut Reactor<(), &'static str>, name: &str) -> u64 {
    let mut ready = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(due) = reactor.timers_mut().pop_due(Instant::now()) {
            assert_eq!(due.callback, name, "a cancelled timer fired");
            return reactor.precise_wakeups;
        }
        assert!(Instant::now() < deadline, "the timer never came due");
        reactor.wait(None, &mut no_lock, &mut ready).unwrap();
        assert!(ready.is_empty());
    }
}

#[test]
fn a_timer_due_in_under_a_millisecond_ends_the_wait_at_its_deadline() {
    // zmq_poll's timeout is whole milliseconds, rounded up: alone, it would end this wait
    // after 1 ms with nothing ready. The precise timer expires at 300 µs, and poll reports
    // it ready however late this thread runs again, so the count is exact.
    let mut reactor: Reactor<(), &str> = Reactor::new().unwrap();
    reactor
        .timers_mut()
        .add(Duration::from_micros(300), None, "soon");
    assert_eq!(wait_for_timer(&mut reactor, "soon"), 1);
}

/// A reactor whose precise timer is armed for a 300 µs timer, which is then cancelled.
fn armed_for_a_cancelled_timer() -> Reactor<(), &'static str> {
    let mut reactor: Reactor<(), &str> = Reactor::new().unwrap();
    let cancelled = reactor
        .timers_mut()
        .add(Duration::from_micros(300), None, "cancelled");
    // A wake-up ends the wait at once, after it armed for the timer.
    reactor.waker().wake();
    reactor.wait(None, &mut no_lock, &mut Vec::new()).unwrap();
    assert!(reactor.timers_mut().cancel(cancelled));
    reactor
}

#[test]
fn a_new_deadline_rearms_the_precise_timer_in_place_of_a_cancelled_one() {
    let mut reactor = armed_for_a_cancelled_timer();
    reactor
        .timers_mut()
        .add(Duration::from_micros(2_500), None, "later");
    // Re-arming resets the timer (even one that expired meanwhile): one precise wake-up,
    // the live timer's.
    assert_eq!(wait_for_timer(&mut reactor, "later"), 1);
}

#[test]
fn a_precise_timer_left_armed_for_a_cancelled_timer_ends_one_wait_with_nothing_ready() {
    let mut reactor = armed_for_a_cancelled_timer();
    // No timers and no deadline (a deadline would re-arm the timer): only the stale expiry
    // can end this wait soon. Should it not, a watchdog wakes it after 10 s and the count
    // below fails the test rather than hanging it.
    let waker = Arc::clone(reactor.waker());
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(10));
        waker.wake();
    });
    let mut ready = Vec::new();
    reactor.wait(None, &mut no_lock, &mut ready).unwrap();
    assert!(ready.is_empty());
    assert_eq!(reactor.precise_wakeups, 1);
    reactor.waker().wake();
    reactor.wait(None, &mut no_lock, &mut ready).unwrap();
    assert_eq!(reactor.precise_wakeups, 1, "the expiry was taken in");
}
