//! Each opaque C handle bound, in one place, to the Rust type behind it, and the only
//! conversions between the two (after rustls-ffi's `Castable`).
//!
//! A C handle (`dd_node`, `dd_value`...) is a zero-sized marker type: C sees a pointer to an
//! incomplete struct, Rust keeps the real object. [`Handle`] says which Rust type a handle
//! points to and whether C may own one ([`Boxed`]: made by a call with a `**out`, freed by
//! its `dd_<noun>_free`) or only borrows it for a callback ([`Lent`]). Every exported call
//! converts its handle arguments with the functions here, so a pointer can only be read as
//! the type its handle is bound to, and only a boxed handle can be taken back or freed: a
//! wrong cast does not compile.

use crate::guard::{Fail, Result};

/// How C holds a handle's object.
pub(crate) trait Ownership {}

/// C may own the object: a `Box` made by a constructor, given back by a call that takes it
/// or by its `dd_<noun>_free`. Such a handle may also be lent (a borrowed value).
pub(crate) enum Boxed {}

/// C only borrows the object, for the duration of the callback it was handed to; it never
/// frees one.
pub(crate) enum Lent {}

impl Ownership for Boxed {}
impl Ownership for Lent {}

/// An opaque C handle and the Rust type it points to.
pub(crate) trait Handle: Sized {
    /// Whether C may own one, or only borrows it.
    type Ownership: Ownership;
    /// The object behind the pointer.
    type Rust;
}

/// Binds C handles to their Rust types: `bind!(dd_value => Value, Boxed);`.
macro_rules! bind {
    ($($handle:ty => $rust:ty, $ownership:ty;)+) => {
        $(impl $crate::handle::Handle for $handle {
            type Ownership = $ownership;
            type Rust = $rust;
        })+
    };
}

/// A handle argument as a shared reference; `what` names it in the NULL error.
pub(crate) fn try_ref<'a, H: Handle>(handle: *const H, what: &'static str) -> Result<&'a H::Rust> {
    // SAFETY: NULL is refused here; otherwise the caller passes a pointer this library handed
    // out for this handle (the header states each one's lifetime), which points to `H::Rust`.
    unsafe { handle.cast::<H::Rust>().as_ref() }.ok_or(Fail::Null(what))
}

/// A handle argument as a mutable reference; `what` names it in the NULL error.
pub(crate) fn try_mut<'a, H: Handle>(
    handle: *mut H,
    what: &'static str,
) -> Result<&'a mut H::Rust> {
    // SAFETY: as for `try_ref`; the header says which calls on one object may not overlap.
    unsafe { handle.cast::<H::Rust>().as_mut() }.ok_or(Fail::Null(what))
}

/// A handle argument as a typed raw pointer, for a call that must not make a reference to the
/// whole object (`dd_node_stop`, from another thread); `what` names it in the NULL error.
pub(crate) fn try_raw<H: Handle>(handle: *const H, what: &'static str) -> Result<*const H::Rust> {
    if handle.is_null() {
        return Err(Fail::Null(what));
    }
    Ok(handle.cast())
}

/// An object lent to C for a call (an accessor's result, a callback's argument).
pub(crate) fn lend<H: Handle>(object: &H::Rust) -> *const H {
    (object as *const H::Rust).cast()
}

/// An object lent to C for a call that may change it (a task's context, a map's feed).
pub(crate) fn lend_mut<H: Handle>(object: &mut H::Rust) -> *mut H {
    (object as *mut H::Rust).cast()
}

/// Gives C a new object it owns.
pub(crate) fn to_boxed<H: Handle<Ownership = Boxed>>(object: H::Rust) -> *mut H {
    Box::into_raw(Box::new(object)).cast()
}

/// Writes a new object C owns to an out-pointer (which must not be NULL).
pub(crate) fn put<H: Handle<Ownership = Boxed>>(out: *mut *mut H, object: H::Rust) -> Result<()> {
    if out.is_null() {
        return Err(Fail::Null("the out pointer"));
    }
    // SAFETY: `out` is non-NULL and points to writable storage for one pointer.
    unsafe { *out = to_boxed(object) };
    Ok(())
}

/// Takes back an object C owned (a call that "takes" its argument); `what` names it in the
/// NULL error.
pub(crate) fn take<H: Handle<Ownership = Boxed>>(
    handle: *mut H,
    what: &'static str,
) -> Result<H::Rust> {
    if handle.is_null() {
        return Err(Fail::Null(what));
    }
    // SAFETY: a non-NULL pointer C owned, made by `to_boxed` for this handle; C gives up its
    // ownership with this call and does not use the pointer again.
    Ok(*unsafe { Box::from_raw(handle.cast::<H::Rust>()) })
}

/// Frees an object C owned; NULL does nothing.
pub(crate) fn free<H: Handle<Ownership = Boxed>>(handle: *mut H) {
    if !handle.is_null() {
        // SAFETY: as for `take`: made by `to_boxed` for this handle, and freed once.
        drop(unsafe { Box::from_raw(handle.cast::<H::Rust>()) });
    }
}

// Every handle of the interface and what it points to.
bind! {
    crate::bytes::dd_bytes => crate::bytes::Bytes, Boxed;
    crate::value::dd_value => dripdrop::Value, Boxed;
    crate::message::dd_message => crate::message::MessageView, Boxed;
    crate::node::dd_node => crate::node::NodeCell, Boxed;
    crate::node_handle::dd_node_handle => crate::node_handle::NodeHandleCell, Boxed;
    crate::request::dd_response => dripdrop::Response, Boxed;
    crate::connection::dd_connection => dripdrop::Connection, Boxed;
    crate::worker::dd_worker => dripdrop::Worker, Boxed;
    crate::worker::dd_worker_handle => dripdrop::WorkerHandle, Boxed;
    crate::error::dd_error => crate::error::ErrorView, Lent;
    crate::task_context::dd_task_context => crate::task_context::TaskCall, Lent;
    crate::map::dd_map_feed => crate::map::FeedCall, Lent;
}
