//! TEMPORARY: stands in for `web/json.rs` (being written on main) with the same two
//! functions, so the HTTP kinds build before it lands. Removed at the merge.

use crate::bert::{DecodeLimits, Value};
use crate::error::Error;
use crate::message::Message;
use serde_json::Value as Json;

fn to_json(value: &Value) -> Json {
    match value {
        Value::Nil => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(n) => Json::from(*n),
        Value::Float(f) => Json::from(*f),
        Value::Binary(b) => Json::String(String::from_utf8_lossy(b).into_owned()),
        Value::List(items) | Value::Tuple(items) => {
            Json::Array(items.iter().map(to_json).collect())
        }
        Value::Dict(pairs) => Json::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.as_str().unwrap_or_default().to_owned(), to_json(v)))
                .collect(),
        ),
        other => Json::String(format!("{other:?}")),
    }
}

fn from_json(json: Json) -> Value {
    match json {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::Bool(b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or_default()),
        },
        Json::String(s) => Value::from(s),
        Json::Array(items) => Value::List(items.into_iter().map(from_json).collect()),
        Json::Object(map) => Value::Dict(
            map.into_iter()
                .map(|(k, v)| (Value::from(k), from_json(v)))
                .collect(),
        ),
    }
}

pub(crate) fn encode_message(message: &Message) -> Result<Vec<u8>, Error> {
    let json = serde_json::json!({
        "name": message.name(),
        "head": to_json(&Value::Dict(message.head().to_vec())),
        "body": to_json(message.body()),
    });
    serde_json::to_vec(&json).map_err(|e| Error::Json(e.to_string()))
}

pub(crate) fn decode_message(bytes: &[u8], limits: &DecodeLimits) -> Result<Message, Error> {
    if bytes.len() > limits.max_input_bytes {
        return Err(Error::Json("too large".into()));
    }
    let json: Json = serde_json::from_slice(bytes).map_err(|e| Error::Json(e.to_string()))?;
    let Json::Object(mut map) = json else {
        return Err(Error::Json("a message is a JSON object".into()));
    };
    let name = match map.remove("name") {
        Some(Json::String(name)) => name,
        _ => return Err(Error::Json("a message needs a string name".into())),
    };
    let head = map
        .remove("head")
        .map(from_json)
        .unwrap_or(Value::Dict(Vec::new()));
    let body = map.remove("body").map(from_json).unwrap_or(Value::Nil);
    Message::new(name)
        .and_then(|m| m.with_head(head))
        .map(|m| m.with_body(body))
        .map_err(|e| Error::Json(e.to_string()))
}
