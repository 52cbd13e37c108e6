//! The text of a caught panic.

use std::any::Any;

/// The message a caught panic was raised with, when it was a string (as `panic!` makes it):
/// what the engine and the skins report when they catch a panic at a boundary.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}
