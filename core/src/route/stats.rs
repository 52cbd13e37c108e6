//! Per-route counters: cheap increments on the hot path, read as one `Value` by `Node::stats`.

use crate::bert::Value;

/// What a route has done since it was created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RouteStats {
    /// Messages read off the route (all their frames counting as one).
    pub messages_in: u64,
    /// Bytes of those messages, every frame counted.
    pub bytes_in: u64,
    /// Messages handed to ZeroMQ.
    pub messages_out: u64,
    /// Bytes of those messages, every frame counted.
    pub bytes_out: u64,
    /// Messages accepted but not yet handed to ZeroMQ.
    pub queue_depth: u64,
    /// Sends refused because the send queue was full.
    pub backpressure: u64,
    /// Sends ZeroMQ refused with an error (not a full queue: an unroutable reply, a closed
    /// peer...).
    pub send_errors: u64,
    /// Frames that arrived but could not be read as messages.
    pub decode_errors: u64,
    /// Requests whose reply did not come in time.
    pub timeouts: u64,
    /// Messages a subscriber's regex topic filter refused (counted in `messages_in` too).
    pub filtered: u64,
    /// Messages read and dropped because nobody wanted them: the route has no handler, or a
    /// reply came for a request that already timed out.
    pub dropped: u64,
    /// Connections open now (http_server, websocket_server, http_client).
    pub connections: u64,
    /// Connections closed at once because `max_connections` were open, and requests refused
    /// for their size or their slowness (431, 413, a header timeout).
    pub connections_refused: u64,
    /// CURVE handshakes refused: on a binding route, clients whose key its allowed
    /// directory does not hold (the authenticator's refusals); on a connecting one, refusals
    /// its server sent back.
    pub auth_refused: u64,
    /// CURVE handshakes that failed otherwise: a peer speaking plain text to a CURVE route
    /// (or CURVE to a plain one), a wrong server key, garbage.
    pub handshake_failed: u64,
}

impl RouteStats {
    pub(crate) fn received<F: std::ops::Deref<Target = [u8]>>(&mut self, frames: &[F]) {
        self.messages_in += 1;
        self.bytes_in += frames.iter().map(|f| f.len() as u64).sum::<u64>();
    }

    pub(crate) fn sent(&mut self, bytes: usize) {
        self.messages_out += 1;
        self.bytes_out += bytes as u64;
    }

    /// The counters as a dict of binary keys to integers.
    pub fn to_value(&self) -> Value {
        let entry = |key: &str, n: u64| (Value::from(key), Value::from(n));
        Value::Dict(vec![
            entry("messages_in", self.messages_in),
            entry("bytes_in", self.bytes_in),
            entry("messages_out", self.messages_out),
            entry("bytes_out", self.bytes_out),
            entry("queue_depth", self.queue_depth),
            entry("backpressure", self.backpressure),
            entry("send_errors", self.send_errors),
            entry("decode_errors", self.decode_errors),
            entry("timeouts", self.timeouts),
            entry("filtered", self.filtered),
            entry("dropped", self.dropped),
            entry("connections", self.connections),
            entry("connections_refused", self.connections_refused),
            entry("auth_refused", self.auth_refused),
            entry("handshake_failed", self.handshake_failed),
        ])
    }
}
