//! Messages as JSON, for the HTTP and WebSocket routes: `{"name": …, "head": {…}, "body": …}`.
//!
//! Plain JSON where JSON has the type; a one-key object whose key starts with `$` where it
//! has not, in the manner of MongoDB's Extended JSON (whose `$binary` and `$regex` names it
//! borrows). Every value reads back as itself:
//!
//! | Value | JSON |
//! | --- | --- |
//! | `Nil`, `Bool` | `null`, `true`, `false` |
//! | `Int`, `BigInt` | a number with all its digits |
//! | `Float` | a number with a fraction or exponent (`1.0`) |
//! | `Binary`, UTF-8 | a string |
//! | `Binary`, not UTF-8 | `{"$binary": "<base64>"}` |
//! | `Atom` | `{"$atom": "name"}` |
//! | `List` | an array |
//! | `Tuple` | `{"$tuple": [...]}` |
//! | `Dict`, every key a UTF-8 string, none repeated | an object, in order |
//! | any other `Dict` | `{"$dict": [[key, value], ...]}` |
//! | `Time` | `{"$time": "2026-11-29T19:00:00.123456Z"}` (RFC 3339, years 0 to 9999) |
//! | `Regex` | `{"$regex": {"source": "...", "options": ["caseless", ...]}}` |
//!
//! A dict that would read as one of these (one key, one of the tags) is written in the
//! `$dict` form, so no dict is mistaken for a tagged value.

use crate::bert::{Atom, DecodeLimits, Regex, Time, Value};
use crate::error::Error;
use crate::message::Message;
use data_encoding::BASE64;
use num_bigint::BigInt;
use serde_json::{Map, Number, Value as Json};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

const TAGS: [&str; 6] = ["$binary", "$atom", "$tuple", "$dict", "$time", "$regex"];

/// A message as the bytes of its JSON object.
pub(crate) fn encode_message(message: &Message) -> Result<Vec<u8>, Error> {
    let mut object = Map::with_capacity(3);
    object.insert("name".into(), Json::String(message.name().to_owned()));
    object.insert("head".into(), dict_to_json(message.head())?);
    object.insert("body".into(), to_json(message.body())?);
    serde_json::to_vec(&Json::Object(object)).map_err(|e| Error::Json(e.to_string()))
}

/// Reads a message from a JSON object: `name` (a non-empty string) is required, `head` (an
/// object) and `body` may be left out. Bounded by `limits`: the bytes, the nesting, and the
/// number of values.
pub(crate) fn decode_message(bytes: &[u8], limits: &DecodeLimits) -> Result<Message, Error> {
    if bytes.len() > limits.max_input_bytes {
        return Err(Error::Json(format!(
            "{} bytes is over the limit of {}",
            bytes.len(),
            limits.max_input_bytes
        )));
    }
    // serde_json refuses nesting beyond 128 levels itself, so a deep input cannot exhaust
    // the stack before the depth check below sees it.
    let json: Json = serde_json::from_slice(bytes).map_err(|e| Error::Json(e.to_string()))?;
    let Json::Object(mut object) = json else {
        return Err(Error::Json("a message is a JSON object".into()));
    };
    let mut budget = Budget::new(limits);
    let name = match object.remove("name") {
        Some(Json::String(name)) => name,
        Some(_) => return Err(Error::Json("the message's name is not a string".into())),
        None => return Err(Error::Json("the message has no name".into())),
    };
    let head = match object.remove("head") {
        None | Some(Json::Null) => Value::Dict(Vec::new()),
        Some(head) => from_json(head, &mut budget, 1)?,
    };
    let body = match object.remove("body") {
        None => Value::Nil,
        Some(body) => from_json(body, &mut budget, 1)?,
    };
    if !matches!(head, Value::Dict(_)) {
        return Err(Error::Json("the message's head is not an object".into()));
    }
    Ok(Message::new(name)?.with_head(head)?.with_body(body))
}

/// A value as JSON.
pub(crate) fn to_json(value: &Value) -> Result<Json, Error> {
    Ok(match value {
        Value::Nil => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(n) => Json::Number((*n).into()),
        Value::BigInt(n) => Json::Number(number(&n.to_string())?),
        Value::Float(f) => Json::Number(
            Number::from_f64(*f).ok_or_else(|| Error::Json(format!("float {f} is not finite")))?,
        ),
        Value::Binary(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => Json::String(text.to_owned()),
            Err(_) => tagged("$binary", Json::String(BASE64.encode(bytes))),
        },
        Value::Atom(atom) => tagged("$atom", Json::String(atom.as_str().to_owned())),
        Value::List(items) => Json::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        Value::Tuple(items) => tagged(
            "$tuple",
            Json::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        ),
        Value::Dict(pairs) => dict_to_json(pairs)?,
        Value::Time(t) => tagged("$time", Json::String(time_text(t)?)),
        Value::Regex(re) => {
            let options = re
                .options
                .iter()
                .map(|o| Json::String(o.as_str().to_owned()));
            let mut body = Map::with_capacity(2);
            body.insert("source".into(), Json::String(re.source.clone()));
            body.insert("options".into(), Json::Array(options.collect()));
            tagged("$regex", Json::Object(body))
        }
    })
}

fn tagged(tag: &str, inner: Json) -> Json {
    let mut object = Map::with_capacity(1);
    object.insert(tag.to_owned(), inner);
    Json::Object(object)
}

fn number(digits: &str) -> Result<Number, Error> {
    digits
        .parse()
        .map_err(|e: serde_json::Error| Error::Json(e.to_string()))
}

/// A dict as an object when that reads back the same, else in the `$dict` form.
fn dict_to_json(pairs: &[(Value, Value)]) -> Result<Json, Error> {
    let keys: Option<Vec<&str>> = pairs.iter().map(|(k, _)| text_key(k)).collect();
    let plain = keys.filter(|keys| {
        let looks_tagged = keys.len() == 1 && TAGS.contains(&keys[0]);
        let unique = keys.iter().collect::<std::collections::HashSet<_>>().len() == keys.len();
        !looks_tagged && unique
    });
    match plain {
        Some(keys) => {
            let mut object = Map::with_capacity(pairs.len());
            for (key, (_, value)) in keys.into_iter().zip(pairs) {
                object.insert(key.to_owned(), to_json(value)?);
            }
            Ok(Json::Object(object))
        }
        None => {
            let entries = pairs
                .iter()
                .map(|(k, v)| Ok(Json::Array(vec![to_json(k)?, to_json(v)?])))
                .collect::<Result<_, Error>>()?;
            Ok(tagged("$dict", Json::Array(entries)))
        }
    }
}

fn text_key(key: &Value) -> Option<&str> {
    match key {
        Value::Binary(bytes) => std::str::from_utf8(bytes).ok(),
        _ => None,
    }
}

fn time_text(t: &Time) -> Result<String, Error> {
    let beyond = || Error::Json(format!("time {}s has no RFC 3339 form", t.seconds()));
    let at = OffsetDateTime::from_unix_timestamp(t.seconds())
        .ok()
        .and_then(|at| at.replace_microsecond(t.microseconds()).ok())
        .filter(|at| (0..=9999).contains(&at.year()))
        .ok_or_else(beyond)?;
    at.format(&Rfc3339).map_err(|_| beyond())
}

/// What may still be read: values, so a small input cannot make a great many of them.
struct Budget {
    values_left: usize,
    max_depth: usize,
    max_bigint_bytes: usize,
    /// The most digits an integer within `max_bigint_bytes` can have, checked before the
    /// digits are parsed (which takes time quadratic in their number).
    max_bigint_digits: usize,
}

impl Budget {
    fn new(limits: &DecodeLimits) -> Self {
        Budget {
            values_left: limits.max_elements,
            max_depth: limits.effective_depth(),
            max_bigint_bytes: limits.max_bigint_bytes,
            // A byte of magnitude is at most three decimal digits.
            max_bigint_digits: limits.max_bigint_bytes.saturating_mul(3),
        }
    }

    fn take(&mut self, depth: usize) -> Result<(), Error> {
        if depth > self.max_depth {
            return Err(Error::Json(format!(
                "nested deeper than {} levels",
                self.max_depth
            )));
        }
        self.values_left = self
            .values_left
            .checked_sub(1)
            .ok_or_else(|| Error::Json("more values than the limit".into()))?;
        Ok(())
    }
}

/// A value from JSON, within the budget.
fn from_json(json: Json, budget: &mut Budget, depth: usize) -> Result<Value, Error> {
    budget.take(depth)?;
    Ok(match json {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::Bool(b),
        Json::Number(n) => number_value(&n, budget)?,
        Json::String(s) => Value::Binary(s.into_bytes()),
        Json::Array(items) => Value::List(
            items
                .into_iter()
                .map(|item| from_json(item, budget, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Json::Object(object) => object_value(object, budget, depth)?,
    })
}

fn number_value(n: &Number, budget: &Budget) -> Result<Value, Error> {
    if let Some(i) = n.as_i64() {
        return Ok(Value::Int(i));
    }
    // With arbitrary_precision the number keeps its text: digits alone are an integer.
    let text = n.to_string();
    let digits = text.strip_prefix('-').unwrap_or(&text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if digits.len() > budget.max_bigint_digits {
            return Err(Error::Json(format!(
                "an integer of {} digits is over the limit",
                digits.len()
            )));
        }
        let big: BigInt = text
            .parse()
            .map_err(|_| Error::Json(format!("bad integer {text}")))?;
        // The bound the BERT decoder applies to the same integer: three digits a byte lets
        // through up to 1,276 bytes' worth for 1,024, which the message's BERT frame would
        // then carry to peers that refuse it (found by fuzzing: fuzz/regressions/json/).
        let bytes = big.magnitude().bits().div_ceil(8);
        if bytes > budget.max_bigint_bytes as u64 {
            return Err(Error::Json(format!(
                "an integer of {bytes} bytes is over the limit of {}",
                budget.max_bigint_bytes
            )));
        }
        return Ok(Value::from_bigint(big));
    }
    match n.as_f64() {
        Some(f) if f.is_finite() => Ok(Value::Float(f)),
        _ => Err(Error::Json(format!("number {text} is not a finite float"))),
    }
}

fn object_value(
    mut object: Map<String, Json>,
    budget: &mut Budget,
    depth: usize,
) -> Result<Value, Error> {
    let tag = match object.keys().next() {
        Some(key) if object.len() == 1 && TAGS.contains(&key.as_str()) => key.clone(),
        _ => {
            let mut pairs = Vec::with_capacity(object.len().min(64));
            for (key, value) in object {
                budget.take(depth + 1)?;
                let value = from_json(value, budget, depth + 1)?;
                pairs.push((Value::Binary(key.into_bytes()), value));
            }
            return Ok(Value::Dict(pairs));
        }
    };
    let inner = object.remove(&tag).expect("the one key");
    let wrong = |what: &str| Error::Json(format!("{tag} holds {what}"));
    Ok(match (tag.as_str(), inner) {
        ("$binary", Json::String(text)) => Value::Binary(
            BASE64
                .decode(text.as_bytes())
                .map_err(|_| wrong("text that is not base64"))?,
        ),
        ("$atom", Json::String(name)) => Value::Atom(Atom::new(name)),
        ("$tuple", Json::Array(items)) => Value::Tuple(
            items
                .into_iter()
                .map(|item| from_json(item, budget, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        ("$dict", Json::Array(entries)) => {
            let mut pairs = Vec::with_capacity(entries.len().min(64));
            for entry in entries {
                let Json::Array(pair) = entry else {
                    return Err(wrong("an entry that is not a [key, value] pair"));
                };
                let [key, value]: [Json; 2] = pair
                    .try_into()
                    .map_err(|_| wrong("an entry that is not a [key, value] pair"))?;
                let key = from_json(key, budget, depth + 1)?;
                pairs.push((key, from_json(value, budget, depth + 1)?));
            }
            Value::Dict(pairs)
        }
        ("$time", Json::String(text)) => {
            let at = OffsetDateTime::parse(&text, &Rfc3339)
                .map_err(|_| wrong("text that is not an RFC 3339 time"))?;
            let seconds = at.unix_timestamp();
            Value::Time(
                Time::new(seconds, i64::from(at.microsecond()))
                    .ok_or_else(|| wrong("a time out of range"))?,
            )
        }
        ("$regex", Json::Object(mut body)) => {
            let Some(Json::String(source)) = body.remove("source") else {
                return Err(wrong("no source"));
            };
            let options = match body.remove("options") {
                None => Vec::new(),
                Some(Json::Array(options)) => options
                    .into_iter()
                    .map(|o| match o {
                        Json::String(name) => Ok(Atom::new(name)),
                        _ => Err(wrong("an option that is not a string")),
                    })
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err(wrong("options that are not an array")),
            };
            Value::Regex(Box::new(Regex { source, options }))
        }
        (_, _) => return Err(wrong("the wrong kind of JSON")),
    })
}
