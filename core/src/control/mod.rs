//! The control backchannel: a process tells a control server who it is, what its routes and
//! pools have done, and that it is alive (the contract is `docs/control.md`).
//!
//! Three parts, each with one job:
//! - [`settings`]: whether a node reports and how (its options, else the environment);
//! - [`identity`] and [`report`]: what is said (the process id, the hello, beat, alive and
//!   goodbye bodies);
//! - [`Reporter`] (the loop's side) and the reporting thread ([`thread`]), which owns the
//!   DEALER socket and sends alive signals on its own clock, so a loop stuck in a callback
//!   is told apart from a dead process.

pub(crate) mod identity;
pub(crate) mod report;
mod reporter;
mod settings;
mod thread;

pub use identity::host_name;
pub(crate) use report::{Description, PoolBeat, RouteBeat, RouteDescription};
pub(crate) use reporter::Reporter;
pub(crate) use settings::ControlSettings;
