//! `dripdrop._native`: the Python skin over the DripDrop engine. The public API is the
//! `dripdrop` package (python/dripdrop), which wraps these classes.

mod call;
mod certificate;
mod convert;
mod errors;
mod keys;
mod message;
mod node;
mod options;
mod task;
mod tasks;
mod worker;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<certificate::PyCertificate>()?;
    m.add_class::<message::PyMessage>()?;
    m.add_class::<node::PyNode>()?;
    m.add_class::<node::PyResponse>()?;
    m.add_class::<node::PyRoute>()?;
    m.add_class::<node::PyConnection>()?;
    m.add_class::<node::PyNodeHandle>()?;
    m.add_class::<tasks::PyTaskQueue>()?;
    m.add_class::<task::PyTask>()?;
    m.add_class::<worker::PyWorker>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
