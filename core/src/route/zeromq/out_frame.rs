//! An outgoing ZeroMQ frame that stays ours when a non-blocking send would block.
//!
//! The `zmq` crate's `Socket::send` consumes its message, so a send refused with `EAGAIN`
//! loses it, and a queued message had to be kept as bytes and copied into a fresh ZeroMQ
//! message at every attempt. libzmq itself leaves a refused message with its caller; this
//! wrapper keeps that, so a queued frame is copied once, when it is queued, and handed to
//! ZeroMQ as it is once the socket drains.

use crate::reactor::SharedSocket;
use std::mem::MaybeUninit;
use std::ops::Deref;

/// One frame owned by us until ZeroMQ takes it.
pub(crate) struct OutFrame {
    msg: zmq_sys::zmq_msg_t,
}

impl OutFrame {
    /// A frame holding a copy of `bytes`.
    pub(crate) fn copy_of(bytes: &[u8]) -> OutFrame {
        let mut msg = MaybeUninit::<zmq_sys::zmq_msg_t>::uninit();
        // SAFETY: zmq_msg_init_size initialises the message; it fails only on ENOMEM, which
        // Rust treats as fatal everywhere else too. The copy fills exactly the `len` bytes it
        // allocated.
        unsafe {
            let rc = zmq_sys::zmq_msg_init_size(msg.as_mut_ptr(), bytes.len());
            assert_eq!(rc, 0, "zmq_msg_init_size: out of memory");
            let mut msg = msg.assume_init();
            let data = zmq_sys::zmq_msg_data(&mut msg).cast::<u8>();
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), data, bytes.len());
            OutFrame { msg }
        }
    }

    /// Hands the frame to ZeroMQ without blocking. `Ok(false)` when the socket would block:
    /// the frame is still ours and may be sent again. `Err` holds libzmq's error number.
    pub(crate) fn send(&mut self, socket: &SharedSocket, more: bool) -> Result<bool, i32> {
        let flags =
            zmq_sys::ZMQ_DONTWAIT as i32 | if more { zmq_sys::ZMQ_SNDMORE as i32 } else { 0 };
        // SAFETY: the message is initialised and the socket is open; on success libzmq
        // leaves an empty message behind, which Drop closes like any other.
        let rc = unsafe { zmq_sys::zmq_msg_send(&mut self.msg, socket.raw(), flags) };
        if rc >= 0 {
            return Ok(true);
        }
        match unsafe { zmq_sys::zmq_errno() } {
            zmq_sys::errno::EAGAIN => Ok(false),
            errno => Err(errno),
        }
    }
}

impl Deref for OutFrame {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // SAFETY: the message is initialised; libzmq's accessors do not modify it (the C
        // API takes a mutable pointer for zmq_msg_data only for historical reasons).
        unsafe {
            let msg = std::ptr::addr_of!(self.msg).cast_mut();
            let len = zmq_sys::zmq_msg_size(msg);
            if len == 0 {
                return &[];
            }
            std::slice::from_raw_parts(zmq_sys::zmq_msg_data(msg).cast::<u8>(), len)
        }
    }
}

impl Drop for OutFrame {
    fn drop(&mut self) {
        // SAFETY: closing an initialised (or sent, hence emptied) message exactly once.
        unsafe {
            zmq_sys::zmq_msg_close(&mut self.msg);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_a_copy_of_its_bytes() {
        let frame = OutFrame::copy_of(b"hello, frame");
        assert_eq!(&*frame, b"hello, frame");
        assert!(OutFrame::copy_of(b"").is_empty());
        let big = vec![7u8; 10_000];
        assert_eq!(&*OutFrame::copy_of(&big), &big[..]);
    }

    #[test]
    fn a_refused_frame_is_kept_and_sent_later() {
        let context = zmq::Context::new();
        let push = context.socket(zmq::PUSH).unwrap();
        push.set_linger(0).unwrap();
        let endpoint = format!("inproc://out-frame-{}", std::process::id());
        push.bind(&endpoint).unwrap();
        let push = SharedSocket::new(push);
        // No peer yet: a PUSH has nowhere to put the frame and refuses it.
        let mut frame = OutFrame::copy_of(b"kept");
        assert!(!frame.send(&push, false).unwrap());
        assert_eq!(&*frame, b"kept");

        let pull = context.socket(zmq::PULL).unwrap();
        pull.set_linger(0).unwrap();
        pull.connect(&endpoint).unwrap();
        // The pipe is attached once libzmq processes the connect; a blocking poll waits for it.
        {
            let mut items = [push.as_poll_item(zmq::POLLOUT)];
            zmq::poll(&mut items, 5_000).unwrap();
        }
        assert!(frame.send(&push, false).unwrap());
        assert_eq!(pull.recv_bytes(0).unwrap(), b"kept");
    }
}
