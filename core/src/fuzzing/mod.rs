//! Entry points for the fuzz targets (`fuzz/` in the repository), behind the `fuzzing`
//! feature: the crate's readers of bytes from the network that are not public API, each
//! reached through a thin wrapper that returns public types, and the writers that make their
//! seed frames. Not part of the API; nothing but the fuzz targets turns the feature on.
//!
//! The public readers (`bert::decode`, `Message::decode`, `Message::from_json`,
//! `bert::text::parse`) are fuzzed as they are and need nothing here.

pub mod bert;
pub mod control;
pub mod http;
pub mod pool;
mod socket;
pub mod websocket;
