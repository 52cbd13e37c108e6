//! The loop's side of the backchannel: starts the reporting thread, hands it the node's
//! description and beats without ever waiting on it, and stops it when the node goes.

use super::identity::Identity;
use super::report::{Beat, Description, PoolBeat, RouteBeat};
use super::settings::ControlSettings;
use super::thread::{Counters, Report, ReportingThread};
use crate::bert::Value;
use crate::error::Error;
use crate::route::Mode;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Reports waiting for the thread. Small: the loop makes one beat per heartbeat and the
/// thread takes it at once; a thread that falls behind loses beats (counted), and the loop
/// never waits for it.
const CHANNEL_BOUND: usize = 4;
/// The socket's send queue, in reports: past it (no server, a slow one) reports are dropped.
const SEND_HWM: i32 = 16;
/// How long ZeroMQ keeps trying to deliver the goodbye after the socket closes.
const LINGER: Duration = Duration::from_millis(200);
/// How long dropping a node waits for the thread's goodbye before leaving it to end alone.
const JOIN_BOUND: Duration = Duration::from_secs(1);

/// A node's reporter: present only when the node reports to a control server.
pub(crate) struct Reporter {
    id: String,
    endpoint: String,
    heartbeat: Duration,
    /// Dropped to tell the thread to say goodbye and end.
    reports: Option<Sender<Report>>,
    counters: Arc<Counters>,
    /// Disconnected when the thread has ended.
    finished: Receiver<()>,
    thread: Option<JoinHandle<()>>,
    beats: u64,
    described: bool,
}

impl Reporter {
    /// Connects the DEALER and starts the thread that owns it. A bad address is an error
    /// here, in the caller's thread, not a silent thread.
    pub(crate) fn start(
        settings: ControlSettings,
        context: &Arc<zmq::Context>,
    ) -> Result<Reporter, Error> {
        let identity = Identity::new();
        let what = |op: &str| format!("control ({}) {}: {op}", settings.source, settings.endpoint);
        let socket = context
            .socket(zmq::DEALER)
            .map_err(|e| Error::zmq(what("socket"), e))?;
        let configure = || -> Result<(), zmq::Error> {
            socket.set_identity(identity.id.as_bytes())?;
            socket.set_sndhwm(SEND_HWM)?;
            socket.set_linger(LINGER.as_millis() as i32)
        };
        configure().map_err(|e| Error::zmq(what("connect"), e))?;
        // The reporter connects, so with CURVE it is a client of the server's backchannel;
        // a server that refuses it never hears from it (its reports are dropped and counted).
        let who = format!("control ({})", settings.source);
        crate::security::secure(&socket, context, &settings.curve, Mode::Connect, &who)?;
        socket
            .connect(&settings.endpoint)
            .map_err(|e| Error::zmq(what("connect"), e))?;
        let (reports, taken) = crossbeam_channel::bounded(CHANNEL_BOUND);
        let (finished_tx, finished) = crossbeam_channel::bounded(1);
        let counters = Arc::new(Counters::default());
        let (id, endpoint, heartbeat) = (
            identity.id.clone(),
            settings.endpoint.clone(),
            settings.heartbeat,
        );
        let thread = ReportingThread::new(socket, identity, settings, taken, Arc::clone(&counters))
            .spawn(Arc::clone(context), finished_tx)
            .map_err(|e| Error::InvalidArgument(format!("cannot start the control thread: {e}")))?;
        Ok(Reporter {
            id,
            endpoint,
            heartbeat,
            reports: Some(reports),
            counters,
            finished,
            thread: Some(thread),
            beats: 0,
            described: false,
        })
    }

    pub(crate) fn heartbeat(&self) -> Duration {
        self.heartbeat
    }

    /// Whether the node has yet to describe itself (it does at its first run).
    pub(crate) fn needs_description(&self) -> bool {
        !self.described
    }

    pub(crate) fn describe(&mut self, description: Description) {
        self.described = true;
        self.offer(Report::Describe(description));
    }

    /// Hands the thread a beat of these counters.
    pub(crate) fn beat(&mut self, routes: Vec<RouteBeat>, pools: Vec<PoolBeat>) {
        let seq = self.beats;
        self.beats += 1;
        self.offer(Report::Beat(Beat { seq, routes, pools }));
    }

    /// Never waits: a report that does not fit is dropped and counted.
    fn offer(&self, report: Report) {
        let Some(reports) = &self.reports else { return };
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) = reports.try_send(report)
        {
            self.counters.count_dropped();
        }
    }

    /// The backchannel's counters, for `node.stats()` under `control`.
    pub(crate) fn stats(&self) -> Value {
        let n = |key: &str, v: u64| (Value::from(key), Value::from(v));
        Value::Dict(vec![
            (Value::from("id"), Value::from(self.id.as_str())),
            (Value::from("endpoint"), Value::from(self.endpoint.as_str())),
            n("beats", self.beats),
            n("reports_sent", self.counters.sent.load(Ordering::Relaxed)),
            n(
                "reports_dropped",
                self.counters.dropped.load(Ordering::Relaxed),
            ),
        ])
    }
}

impl Drop for Reporter {
    /// Tells the thread to say goodbye and waits for it, at most `JOIN_BOUND`: its sends
    /// never block, so it ends at once unless the machine is starved, and then it is left
    /// to end by itself rather than hold up the node's drop.
    fn drop(&mut self) {
        self.reports = None;
        if let Err(RecvTimeoutError::Disconnected) = self.finished.recv_timeout(JOIN_BOUND) {
            if let Some(thread) = self.thread.take() {
                let _ = thread.join();
            }
        }
    }
}
