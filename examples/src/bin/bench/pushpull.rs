//! `bench pushpull`: DripDrop push/pull against raw libzmq PUSH/PULL of the same bytes.
//!
//! Both sides run a receiver thread that binds `tcp://127.0.0.1:*` and a sender thread that
//! connects and sends as fast as it may. The receiver times the stream from the end of a
//! warm-up to the last message, so connecting and starting threads are not measured.
//!
//! DripDrop's sender builds its message once and calls `send_message` for each send (which
//! encodes it), a batch per loop turn; on `Backpressure` it waits a millisecond while its
//! loop flushes the route's queue as the socket drains. Its receiver decodes each frame into
//! a `Message` and hands it to an `on_receive` callback. The libzmq side sends the encoded
//! frame with blocking `send` and receives it into a reused `zmq::Message`: the fastest plain
//! use of the same library. Each side's two sockets share one ZeroMQ context with one I/O
//! thread (DripDrop's process-wide context; one of its own for libzmq).

use crate::{compare, rate, Size};
use crossbeam_channel::bounded;
use dripdrop::{
    Certificate, Curve, CurveOption, Error, Message, Mode, Node, NodeHandle, NodeOptions,
    RouteKind, RouteOptions, Value,
};
use dripdrop_examples::Fallible;
use std::hint::black_box;
use std::rc::Rc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Most messages one pump call sends before letting the loop turn.
const PUMP_BATCH: u64 = 512;
/// How long a sender refused by backpressure waits before sending again; the queue it
/// filled holds thousands of messages, many times what the socket drains in this time.
const BACKOFF: Duration = Duration::from_millis(1);
/// How long a round may take before the benchmark gives up on it.
const ROUND_TIMEOUT: Duration = Duration::from_secs(60);

/// The message of the benchmark: a short name and head, a 100-byte body.
pub fn bench_message() -> Result<Message, Error> {
    Ok(Message::new("bench")?
        .with_head_entry("seq", 1)
        .with_body(Value::binary(vec![b'x'; 100])))
}

pub fn run(size: Size) -> Fallible<f64> {
    let count = size.count_or(2_000, 400_000);
    let warmup = (count / 10).max(100);
    let message = bench_message()?;
    let frame = message.encode()?;
    println!(
        "pushpull: {count} messages a round after {warmup} warm-up, {}-byte frames \
         (100-byte body), tcp loopback, {} rounds",
        frame.len(),
        size.rounds
    );
    let context = zmq::Context::new();
    compare(
        "pushpull",
        "msg",
        size,
        || dripdrop_round(&message, warmup, count, None, None),
        || zmq_round(&context, &frame, warmup, count, None),
        "libzmq",
    )
}

/// What a round's threads tell the benchmark.
enum Outcome {
    /// The receiver got everything; how long the timed part took.
    Done(Duration),
    Failed(String),
}

/// The keys of a CURVE round: the binding side's certificate and the connecting side's.
pub struct CurveKeys {
    pub server: Certificate,
    pub client: Certificate,
}

impl CurveKeys {
    pub fn generate() -> Result<CurveKeys, Error> {
        Ok(CurveKeys {
            server: Certificate::generate()?,
            client: Certificate::generate()?,
        })
    }

    /// The binding route's option (admitting every client: the authenticator is still
    /// asked at each handshake).
    fn bind(keys: Option<&CurveKeys>) -> CurveOption {
        keys.map_or(CurveOption::Off, |k| Curve::server(k.server.clone()).into())
    }

    fn connect(keys: Option<&CurveKeys>) -> CurveOption {
        keys.map_or(CurveOption::Off, |k| {
            Curve::client(k.client.clone(), *k.server.public_key()).into()
        })
    }
}

/// A node for one side; with `control`, reporting to that control server (else to none,
/// whatever the environment says).
fn node(control: Option<String>) -> Result<Node, Error> {
    Node::with_options(NodeOptions {
        defer_threads: 1,
        control: Some(control.unwrap_or_default()),
        ..NodeOptions::default()
    })
}

/// One round of DripDrop push/pull; both nodes report to `control` if given.
pub fn dripdrop_round(
    message: &Message,
    warmup: u64,
    count: u64,
    control: Option<&str>,
    curve: Option<&CurveKeys>,
) -> Fallible<f64> {
    let control = control.map(str::to_owned);
    // Plain text is asked for, not left to the environment, so a round measures what it says.
    let (bind_curve, connect_curve) = (CurveKeys::bind(curve), CurveKeys::connect(curve));
    let total = warmup + count;
    let (outcome_tx, outcome_rx) = bounded::<Outcome>(2);
    let (ready_tx, ready_rx) = bounded::<(String, NodeHandle)>(1);

    let done = outcome_tx.clone();
    let receiver_control = control.clone();
    let receiver = spawn("dd-receiver", move || -> Fallible<()> {
        let mut node = node(receiver_control)?;
        let options = RouteOptions {
            curve: bind_curve,
            ..RouteOptions::default()
        };
        let endpoint = node
            .route_with(
                "in",
                RouteKind::Pull,
                &["tcp://127.0.0.1:*"],
                Mode::Bind,
                options,
            )?
            .endpoint()
            .to_owned();
        let mut received = 0u64;
        let mut started = Instant::now();
        node.on_receive("in", move |node, message| {
            black_box(&message);
            received += 1;
            if received == warmup {
                started = Instant::now();
            } else if received == total {
                let _ = done.send(Outcome::Done(started.elapsed()));
                node.stop();
            }
        })?;
        ready_tx.send((endpoint, node.handle()))?;
        node.run()?;
        Ok(())
    });
    let (endpoint, receiver_handle) = match ready_rx.recv() {
        Ok(ready) => ready,
        Err(_) => {
            return Err(joined(receiver)
                .err()
                .unwrap_or_else(|| "no endpoint".into()))
        }
    };

    let (handle_tx, handle_rx) = bounded::<NodeHandle>(1);
    let message = message.clone();
    let sender = spawn("dd-sender", move || -> Fallible<()> {
        let mut node = node(control)?;
        let options = RouteOptions {
            curve: connect_curve,
            ..RouteOptions::default()
        };
        node.route_with("out", RouteKind::Push, &[&endpoint], Mode::Connect, options)?;
        handle_tx.send(node.handle())?;
        let message = Rc::new(message);
        node.next_tick(move |node| pump(node, message, total, outcome_tx));
        node.run()?;
        Ok(())
    });
    let sender_handle = handle_rx.recv().ok();

    let outcome = outcome_rx.recv_timeout(ROUND_TIMEOUT);
    receiver_handle.stop();
    if let Some(handle) = sender_handle {
        handle.stop();
    }
    joined(receiver)?;
    joined(sender)?;
    match outcome {
        Ok(Outcome::Done(elapsed)) => Ok(rate(count, elapsed)),
        Ok(Outcome::Failed(e)) => Err(e.into()),
        Err(_) => Err("pushpull: dripdrop round timed out".into()),
    }
}

/// Sends up to a batch, then comes back at the next tick until `left` messages are sent.
fn pump(
    node: &mut Node,
    message: Rc<Message>,
    mut left: u64,
    outcome: crossbeam_channel::Sender<Outcome>,
) {
    let mut backpressure = false;
    for _ in 0..PUMP_BATCH.min(left) {
        match node.send_message("out", &message) {
            Ok(()) => left -= 1,
            Err(Error::Backpressure { .. }) => {
                backpressure = true;
                break;
            }
            Err(e) => {
                let _ = outcome.send(Outcome::Failed(format!("send: {e}")));
                return;
            }
        }
    }
    if left == 0 {
        return;
    }
    if backpressure {
        // The queue is full: back off while the loop flushes it as the socket drains, as a
        // blocked libzmq sender sleeps, instead of spinning on a CPU the receiver needs.
        node.after(BACKOFF, move |node| pump(node, message, left, outcome));
    } else {
        node.next_tick(move |node| pump(node, message, left, outcome));
    }
}

/// One round of raw libzmq PUSH/PULL; with `curve`, the PULL a CURVE server and the PUSH
/// its client (no authenticator: libzmq admits every client when none is bound).
pub fn zmq_round(
    context: &zmq::Context,
    frame: &[u8],
    warmup: u64,
    count: u64,
    curve: Option<&CurveKeys>,
) -> Fallible<f64> {
    let total = warmup + count;
    let pull = context.socket(zmq::PULL)?;
    let push = context.socket(zmq::PUSH)?;
    if let Some(keys) = curve {
        pull.set_curve_server(true)?;
        pull.set_curve_secretkey(keys.server.secret_key().ok_or("no secret key")?)?;
        push.set_curve_serverkey(keys.server.public_key())?;
        push.set_curve_publickey(keys.client.public_key())?;
        push.set_curve_secretkey(keys.client.secret_key().ok_or("no secret key")?)?;
    }
    pull.set_linger(0)?;
    // A failed sender must not leave the receiver blocked forever.
    pull.set_rcvtimeo(ROUND_TIMEOUT.as_millis() as i32)?;
    pull.bind("tcp://127.0.0.1:*")?;
    let endpoint = pull
        .get_last_endpoint()?
        .map_err(|_| "endpoint is not UTF-8")?;
    push.set_linger(1000)?;
    push.set_sndtimeo(ROUND_TIMEOUT.as_millis() as i32)?;
    push.connect(&endpoint)?;

    let receiver = spawn("zmq-receiver", move || -> Fallible<Duration> {
        let mut msg = zmq::Message::new();
        let mut started = Instant::now();
        for received in 1..=total {
            pull.recv(&mut msg, 0)?;
            black_box(&msg[..]);
            if received == warmup {
                started = Instant::now();
            }
        }
        Ok(started.elapsed())
    });
    let frame = frame.to_vec();
    let sender = spawn("zmq-sender", move || -> Fallible<()> {
        for _ in 0..total {
            push.send(&frame[..], 0)?;
        }
        Ok(())
    });
    let elapsed = joined(receiver)?;
    joined(sender)?;
    Ok(rate(count, elapsed))
}

/// Starts a named thread (profilers show the name).
fn spawn<T: Send + 'static>(
    name: &str,
    f: impl FnOnce() -> Fallible<T> + Send + 'static,
) -> JoinHandle<Fallible<T>> {
    thread::Builder::new()
        .name(name.to_owned())
        .spawn(f)
        .expect("spawn a benchmark thread")
}

/// A thread's result, with a panic turned into an error.
fn joined<T>(thread: JoinHandle<Fallible<T>>) -> Fallible<T> {
    thread.join().map_err(|_| "a benchmark thread panicked")?
}
