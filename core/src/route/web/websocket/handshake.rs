//! The server side of the WebSocket handshake: tungstenite reads the request and writes
//! the answer; this decides who is let in (the route's path only) and the bounds the
//! connection gets.

use super::wire::WireStream;
use std::rc::Rc;
use tungstenite::handshake::server::{Callback, ErrorResponse, Request, Response};
use tungstenite::handshake::{server::ServerHandshake, MidHandshake};
use tungstenite::http::StatusCode;
use tungstenite::protocol::WebSocketConfig;

/// A handshake under way, resumed each time its socket is ready.
pub(crate) type Handshake = MidHandshake<ServerHandshake<WireStream, PathCheck>>;

/// Lets in a request for the route's path (any query string), and answers 404 to the rest.
pub(crate) struct PathCheck {
    pub(crate) path: Rc<str>,
}

impl Callback for PathCheck {
    fn on_request(self, request: &Request, response: Response) -> Result<Response, ErrorResponse> {
        if request.uri().path() == &*self.path {
            return Ok(response);
        }
        let mut refusal = ErrorResponse::new(Some(format!(
            "no WebSocket at {}; this route serves {}\n",
            request.uri().path(),
            self.path
        )));
        *refusal.status_mut() = StatusCode::NOT_FOUND;
        Err(refusal)
    }
}

/// How each connection's frames are bounded: a message (and each frame of it) up to the
/// route's `max_frame_bytes`. The read buffer tungstenite allocates up front for every
/// connection is kept small (its default is 128 KiB); larger messages grow it as they come.
pub(crate) fn config(max_frame_bytes: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(16 * 1024)
        .max_message_size(Some(max_frame_bytes))
        .max_frame_size(Some(max_frame_bytes))
}
