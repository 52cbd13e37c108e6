//! How each route kind lays a message out in ZeroMQ frames.
//!
//! - publish: `[name, message]`, so subscribers filter on the name as topic;
//! - xreq: `["", request id, message]`; xrep receives it behind the peer's identity frames and
//!   answers `[identity..., "", request id, reply]`. A plain REQ peer sends `["", message]`
//!   (no id) and gets `["", reply]`;
//! - rep: REQ peers send `[message]`; an xreq peer's `[request id, message]` reaches a REP
//!   socket as two frames, and the id goes back with the reply;
//! - everything else: `[message]`.
//!
//! Request ids are 8-byte big-endian integers. A request that fails on the answering side
//! (unreadable, or dropped by its handler) is answered with a message named `dripdrop.error`
//! whose body is `{class, message}`.

/// A received request or reply split into its parts (`F` is a frame: bytes or a ZeroMQ
/// message).
pub(crate) struct Incoming<F> {
    /// Identity frames before the empty delimiter (xrep only).
    pub(crate) envelope: Vec<F>,
    pub(crate) request_id: Option<F>,
    pub(crate) payload: F,
}

pub(crate) fn request_id_frame(id: u64) -> Vec<u8> {
    id.to_be_bytes().to_vec()
}

/// Splits `[envelope..., "", (id,) payload]` (with `delimited`) or `[(id,) payload]`.
pub(crate) fn split_request<F: std::ops::Deref<Target = [u8]>>(
    mut frames: Vec<F>,
    delimited: bool,
) -> Option<Incoming<F>> {
    let envelope = if delimited {
        let at = frames.iter().position(|f| f.is_empty())?;
        let rest = frames.split_off(at + 1);
        frames.pop();
        std::mem::replace(&mut frames, rest)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn router_frames_split_at_the_delimiter() {
        let frames = vec![
            b"peer".to_vec(),
            vec![],
            b"\0\0\0\0\0\0\0\x07".to_vec(),
            b"m".to_vec(),
        ];
        let incoming = split_request(frames, true).expect("well formed");
        assert_eq!(incoming.envelope, vec![b"peer".to_vec()]);
        assert_eq!(incoming.request_id, Some(request_id_frame(7)));
        assert_eq!(incoming.payload, b"m");
        let from_req = split_request(vec![b"peer".to_vec(), vec![], b"m".to_vec()], true)
            .expect("a REQ peer's request");
        assert_eq!(from_req.request_id, None);
        assert!(split_request(vec![b"no delimiter".to_vec()], true).is_none());
        assert!(split_request(
            vec![vec![], b"a".to_vec(), b"b".to_vec(), b"c".to_vec()],
            true
        )
        .is_none());
    }
}
