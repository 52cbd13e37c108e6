//! The strict alternation of REQ and REP sockets, kept in one place: a REQ sends a request,
//! then may only read its reply before it sends again; a REP reads a request, then may only
//! answer it before it reads again. ZeroMQ refuses anything else (EFSM), so the route waits
//! for its turn instead of trying.

/// Whose turn it is on a lockstep socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Turn {
    Send,
    Receive,
}

/// The turn of one REQ or REP socket.
#[derive(Debug)]
pub(crate) struct Lockstep {
    turn: Turn,
}

impl Lockstep {
    /// A REQ socket: it speaks first.
    pub(crate) fn requester() -> Self {
        Lockstep { turn: Turn::Send }
    }

    /// A REP socket: it listens first.
    pub(crate) fn replier() -> Self {
        Lockstep {
            turn: Turn::Receive,
        }
    }

    pub(crate) fn may_send(&self) -> bool {
        self.turn == Turn::Send
    }

    pub(crate) fn may_receive(&self) -> bool {
        self.turn == Turn::Receive
    }

    /// The socket sent (a request, or a reply): it listens next.
    pub(crate) fn sent(&mut self) {
        self.turn = Turn::Receive;
    }

    /// The socket read (a reply, or a request): it speaks next.
    pub(crate) fn received(&mut self) {
        self.turn = Turn::Send;
    }

    /// A REQ gives up on the reply it waits for (its request timed out): ZeroMQ's relaxed REQ
    /// lets it send the next request, and drops the late reply.
    pub(crate) fn stop_waiting(&mut self) {
        self.turn = Turn::Send;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_requester_and_a_replier_take_turns() {
        let mut req = Lockstep::requester();
        let mut rep = Lockstep::replier();
        assert!(req.may_send() && !req.may_receive());
        assert!(rep.may_receive() && !rep.may_send());
        req.sent();
        rep.received();
        assert!(req.may_receive() && rep.may_send());
        rep.sent();
        req.received();
        assert!(req.may_send() && rep.may_receive());
    }
}
