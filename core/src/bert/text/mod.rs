//! Erlang term syntax for raw [`Term`]s: what `dripdrop bert encode` reads and
//! `dripdrop bert decode` prints.
//!
//! [`Term`]: super::Term
