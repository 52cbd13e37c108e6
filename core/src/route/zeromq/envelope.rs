//! How requests and replies are laid out in ZeroMQ frames.
//!
//! - xreq sends `["", request id, message]`; xrep receives it behind the peer's identity
//!   frames and answers `[identity..., "", request id, reply]`. A plain REQ peer sends
//!   `["", message]` (no id) and gets `["", reply]`;
//! - rep: REQ peers send `[message]`; an xreq peer's `[request id, message]` reaches a REP
//!   socket as two frames, and the id goes back with the reply.
//!
//! Request ids are 8-byte big-endian integers. A request that fails on the answering side
//! (unreadable, or dropped by its handler) is answered with a message named `dripdrop.error`
//! whose body is `{class, message}`; the asker's callback gets it as `Error::Remote`.

use super::ReadContext;
use crate::bert::Value;
use crate::error::{backtrace_lines, Error};
use crate::message::Message;
use std::ops::Deref;

/// The name of an error reply.
const ERROR_REPLY: &str = "dripdrop.error";

/// A received request or reply split into its parts (`F` is a frame: bytes or a ZeroMQ
/// message).
pub(crate) struct Incoming<F> {
    /// Identity frames before the empty delimiter (xrep only).
    pub(crate) envelope: Vec<F>,
    pub(crate) request_id: Option<F>,
    pub(crate) payload: F,
}

pub(crate) fn request_id_frame(id: u64) -> [u8; 8] {
    id.to_be_bytes()
}

/// The id in a request id frame, if it is one.
pub(crate) fn request_id(frame: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(frame.try_into().ok()?))
}

/// Splits `[envelope..., "", (id,) payload]` (with `delimited`) or `[(id,) payload]`, taking
/// the frames out of `frames`; `None` for any other layout.
pub(crate) fn split_request<F: Deref<Target = [u8]>>(
    frames: &mut Vec<F>,
    delimited: bool,
) -> Option<Incoming<F>> {
    let envelope = if delimited {
        let at = frames.iter().position(|f| f.is_empty())?;
        let mut envelope: Vec<F> = frames.drain(..=at).collect();
        envelope.pop();
        envelope
    } else {
        Vec::new()
    };
    let payload = frames.pop()?;
    let request_id = frames.pop();
    if !frames.is_empty() {
        return None;
    }
    Some(Incoming {
        envelope,
        request_id,
        payload,
    })
}

/// The reply that tells an asker its request failed here: name `dripdrop.error`, body
/// `{class, message}`.
pub(crate) fn error_reply(class: &str, message: &str) -> Message {
    Message::new(ERROR_REPLY)
        .expect("a valid constant name")
        .with_body(Value::Dict(vec![
            (Value::from("class"), Value::from(class)),
            (Value::from("message"), Value::from(message)),
        ]))
}

/// A reply as its request's callback gets it: the message, or the error an error reply
/// carries, or why the frame is not a message.
pub(crate) fn read_reply(route: &ReadContext<'_>, payload: &[u8]) -> Result<Message, Error> {
    let reply = route.decode(payload)?;
    if reply.name() != ERROR_REPLY {
        return Ok(reply);
    }
    let text = |key: &str| {
        reply
            .body()
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    Err(Error::Remote {
        class: text("class"),
        message: text("message"),
        backtrace: reply
            .body()
            .get("backtrace")
            .map_or_else(Vec::new, backtrace_lines),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn router_frames_split_at_the_delimiter() {
        let id = request_id_frame(7).to_vec();
        let mut frames = vec![b"peer".to_vec(), vec![], id.clone(), b"m".to_vec()];
        let incoming = split_request(&mut frames, true).expect("well formed");
        assert_eq!(incoming.envelope, vec![b"peer".to_vec()]);
        assert_eq!(incoming.request_id, Some(id));
        assert_eq!(incoming.payload, b"m");
        let mut from_req = vec![b"peer".to_vec(), vec![], b"m".to_vec()];
        let from_req = split_request(&mut from_req, true).expect("a REQ peer's request");
        assert_eq!(from_req.request_id, None);
        assert!(split_request(&mut vec![b"no delimiter".to_vec()], true).is_none());
        let mut too_many = vec![vec![], b"a".to_vec(), b"b".to_vec(), b"c".to_vec()];
        assert!(split_request(&mut too_many, true).is_none());
        assert_eq!(request_id(&request_id_frame(1 << 40)), Some(1 << 40));
        assert_eq!(request_id(b"short"), None);
    }

    #[test]
    fn an_error_reply_reads_back_as_a_remote_error() {
        let r = &ReadContext {
            name: "r",
            kind: "zmq_xreq",
            format: crate::route::options::MsgFormat::DripDrop,
            limits: &crate::bert::DecodeLimits::DEFAULT,
        };
        let frame = error_reply("Unanswered", "nobody answered")
            .encode()
            .unwrap();
        match read_reply(r, &frame) {
            Err(Error::Remote { class, message, .. }) => {
                assert_eq!(
                    (class.as_str(), message.as_str()),
                    ("Unanswered", "nobody answered")
                );
            }
            other => panic!("{other:?}"),
        }
        let ok = Message::new("pong").unwrap().encode().unwrap();
        assert_eq!(read_reply(r, &ok).unwrap().name(), "pong");
        assert!(matches!(read_reply(r, b"junk"), Err(Error::Receive { .. })));
    }
}
