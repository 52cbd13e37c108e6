//! Calling a Python callable from the loop's hot paths (a handler per received message, a
//! callback per pool result) without building a tuple of its arguments.
//!
//! pyo3's `call1` makes an argument tuple, and the interpreter takes it apart again to call a
//! Python function. `PyObject_CallFunctionObjArgs` (in the stable ABI the module is built
//! for) hands the arguments to the callable's vectorcall on the C stack instead: one
//! allocation and deallocation fewer per call.

use pyo3::ffi;
use pyo3::prelude::*;
use std::ptr::null_mut;

/// `f(a)`.
pub fn call1<'py, A>(f: &Bound<'py, PyAny>, a: &Bound<'py, A>) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: every pointer is a live object borrowed for the call (the GIL is held, as the
    // `Bound`s prove), and the null pointer ends the argument list.
    let result = unsafe {
        ffi::PyObject_CallFunctionObjArgs(f.as_ptr(), a.as_ptr(), null_mut::<ffi::PyObject>())
    };
    // SAFETY: a new reference, or null with the exception set.
    unsafe { Bound::from_owned_ptr_or_err(f.py(), result) }
}

/// `f(a, b)`.
pub fn call2<'py, A, B>(
    f: &Bound<'py, PyAny>,
    a: &Bound<'py, A>,
    b: &Bound<'py, B>,
) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: as in `call1`.
    let result = unsafe {
        ffi::PyObject_CallFunctionObjArgs(
            f.as_ptr(),
            a.as_ptr(),
            b.as_ptr(),
            null_mut::<ffi::PyObject>(),
        )
    };
    // SAFETY: as in `call1`.
    unsafe { Bound::from_owned_ptr_or_err(f.py(), result) }
}

/// `f(a, b, c)`.
pub fn call3<'py, A, B, C>(
    f: &Bound<'py, PyAny>,
    a: &Bound<'py, A>,
    b: &Bound<'py, B>,
    c: &Bound<'py, C>,
) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: as in `call1`.
    let result = unsafe {
        ffi::PyObject_CallFunctionObjArgs(
            f.as_ptr(),
            a.as_ptr(),
            b.as_ptr(),
            c.as_ptr(),
            null_mut::<ffi::PyObject>(),
        )
    };
    // SAFETY: as in `call1`.
    unsafe { Bound::from_owned_ptr_or_err(f.py(), result) }
}
