//! How http_server requests become messages and answers become bodies (the mapping the
//! kind's documentation describes).

use super::super::json::{decode_message, encode_message};
use super::request::RequestHead;
use crate::bert::{DecodeLimits, Value};
use crate::error::Error;
use crate::message::Message;
use crate::route::error_reply;

/// The head entries a request's message gains.
const HTTP_KEYS: [&str; 4] = ["http_method", "http_path", "http_query", "http_headers"];

/// Whether a request of this method carries a message in its body.
fn carries_message(method: &str) -> bool {
    matches!(method, "POST" | "PUT" | "PATCH")
}

/// The message a request delivers: its JSON body on POST/PUT/PATCH with a body, else a
/// message named after the path with a nil body; either way with the request in its head.
/// An error when the body is not a JSON message.
pub(crate) fn request_message(
    head: &RequestHead,
    body: &[u8],
    limits: &DecodeLimits,
) -> Result<Message, Error> {
    let message = if carries_message(&head.method) && !body.is_empty() {
        decode_message(body, limits)?
    } else {
        Message::new(head.path.as_str())?
    };
    let (name, mut entries, body) = message.into_parts();
    // The request's own entries win over any a client put in the message under their names.
    entries.retain(|(key, _)| !key.as_str().is_some_and(|k| HTTP_KEYS.contains(&k)));
    let headers = head
        .headers
        .iter()
        .map(|(n, v)| (Value::from(n.as_str()), Value::from(v.as_str())))
        .collect();
    entries.extend([
        (
            Value::from("http_method"),
            Value::from(head.method.as_str()),
        ),
        (Value::from("http_path"), Value::from(head.path.as_str())),
        (Value::from("http_query"), Value::from(head.query.as_str())),
        (Value::from("http_headers"), Value::Dict(headers)),
    ]);
    Ok(Message::new(name)?
        .with_head(Value::Dict(entries))?
        .with_body(body))
}

/// The JSON body of an error: `{"name":"dripdrop.error","head":{},"body":{class, message}}`.
pub(crate) fn error_body(class: &str, message: &str) -> Vec<u8> {
    // An error reply holds only strings, which JSON always takes.
    encode_message(&error_reply(class, message)).unwrap_or_default()
}

/// A reply as a status and JSON body: 200, or 500 for an error reply (a handler that
/// dropped its Response or panicked); a reply JSON cannot carry becomes a 500 that says so.
pub(crate) fn reply_body(reply: &Message, status: Option<u16>) -> (u16, Vec<u8>) {
    let status = status.unwrap_or(if reply.name() == "dripdrop.error" {
        500
    } else {
        200
    });
    match encode_message(reply) {
        Ok(body) => (status, body),
        Err(e) => (500, error_body("EncodeError", &e.to_string())),
    }
}
