//! The native half of the DripDrop gem: `DripDrop::Native` (and `DripDrop::Task`), loaded by
//! lib/dripdrop/native.rb. The Ruby API (lib/dripdrop/*.rb) is written in Ruby over these
//! classes; every rule (values, messages, routes, options, pools) lives in the engine crate,
//! not here.

mod certificate;
mod connection;
mod connection_routes;
mod convert;
mod errors;
mod gvl;
mod keys;
mod message;
mod node;
mod options;
mod pools;
mod raw;
mod response;
mod retained;
mod routes;
mod running;
mod shared;
mod task;
mod tasks;
mod timers;
mod worker;

use magnus::{function, prelude::*, Error, Ruby};

#[magnus::init(name = "dripdrop_native")]
fn init(ruby: &Ruby) -> Result<(), Error> {
    let dripdrop = ruby.define_module("DripDrop")?;
    let native = dripdrop.define_module("Native")?;
    native.define_singleton_method("encode_message", function!(message::encode_message, 1))?;
    native.define_singleton_method("decode_message", function!(message::decode_message, 3))?;
    native.define_singleton_method("encode", function!(message::encode, 1))?;
    native.define_singleton_method("decode", function!(message::decode, 1))?;
    node::define(ruby, &native)?;
    response::define(ruby, &native)?;
    connection::define(ruby, &native)?;
    certificate::define(ruby, &dripdrop)?;
    task::define(ruby, &dripdrop)?;
    tasks::define(ruby, &native)?;
    worker::define(ruby, &native)?;
    Ok(())
}
