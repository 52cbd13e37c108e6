//! The pieces of `http_load`, shared by its program and the benchmark: the HTTP client that
//! makes the load, the batch format workers and control exchange, the control that feeds
//! batches to a pool, its progress bar, the report, and a small HTTP target.

pub mod batch;
pub mod client;
pub mod control;
pub mod progress;
pub mod report;
pub mod target;
