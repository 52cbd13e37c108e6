//! One file per route kind. A ZeroMQ kind is a `Pattern` (how it differs from the plain
//! push/pull/pair behaviour) and the `KIND` that `route/kind.rs` lists.

pub(super) mod pair;
pub(super) mod publish;
pub(super) mod pull;
pub(super) mod push;
pub(super) mod rep;
pub(super) mod req;
pub(super) mod subscribe;
pub(super) mod xrep;
pub(super) mod xreq;
