//! `websocket`: any bytes a client may send a websocket_server route, read by the real
//! connection over a socket pair, every message echoed back. An input whose first byte is
//! even is WebSocket frames after a browser's handshake; odd, the bytes from the first on
//! (the handshake fuzzed too, up to its blank line). Frames are sent once the handshake has
//! been taken in, as RFC 6455 clients do: one read holding both is refused by tungstenite
//! (see fuzz/regressions/websocket/frame-in-the-handshakes-read).
//!
//! - the same bytes arriving whole and in pieces make the same events (frames in pieces of
//!   1 to 64 bytes; a handshake of 128 to 256, since tungstenite takes a handshake in many
//!   tiny reads for an attack);
//! - a text message is UTF-8, no message is over the route's bound;
//! - `Opened` comes first and once, `Closed` (after `Opened`) or `Refused` (without it)
//!   last, and the connection has ended once the client has finished.

use dripdrop::fuzzing::websocket::{websocket_server, Event, HANDSHAKE, MAX_FRAME_BYTES};

pub fn check(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    // A fuzzed handshake ends at its blank line; what follows it is frames.
    let (handshake, frames) = if mode.is_multiple_of(2) {
        (HANDSHAKE, rest)
    } else {
        let end = rest.windows(4).position(|w| w == b"\r\n\r\n");
        rest.split_at(end.map_or(rest.len(), |at| at + 4))
    };
    let whole = websocket_server(handshake, frames, false);
    let pieces = websocket_server(handshake, frames, true);
    assert!(
        whole.finished && pieces.finished,
        "a finished connection did not end"
    );
    assert_eq!(
        whole.events, pieces.events,
        "the same bytes read differently when they arrive in pieces"
    );
    let events = &whole.events;
    let opened = events.first() == Some(&Event::Opened);
    for (i, event) in events.iter().enumerate() {
        let last = i + 1 == events.len();
        match event {
            Event::Opened => assert_eq!(i, 0, "Opened after other events"),
            Event::Text(text) => {
                assert!(
                    std::str::from_utf8(text).is_ok(),
                    "a text message not UTF-8"
                );
                assert!(text.len() <= MAX_FRAME_BYTES, "a message over the bound");
            }
            Event::Binary(bytes) => assert!(bytes.len() <= MAX_FRAME_BYTES),
            Event::Error(_) => assert!(opened, "an error before the connection opened"),
            Event::Closed => assert!(opened && last, "Closed out of place: {events:?}"),
            Event::Refused => assert!(!opened && last, "Refused out of place: {events:?}"),
        }
    }
    assert!(
        matches!(events.last(), Some(Event::Closed | Event::Refused)),
        "the connection ended without saying so: {events:?}"
    );
}
