//! Route and pool options from Ruby hashes (symbol or string keys), checked here so a typo
//! is an error rather than a silently ignored setting.

use crate::errors::error;
use dripdrop::{Placement, PoolOptions, RouteOptions, TopicFilter};
use magnus::{prelude::*, Error, RHash, RRegexp, RString, Ruby, Symbol, TryConvert, Value};
use std::time::Duration;

/// Seconds as a Duration; negative or not finite is an error.
pub fn seconds(ruby: &Ruby, s: f64) -> Result<Duration, Error> {
    Duration::try_from_secs_f64(s)
        .map_err(|_| error(ruby, "InvalidArgument", format!("bad duration {s}")))
}

/// The hash's entries with their keys as strings.
fn entries(ruby: &Ruby, options: RHash) -> Result<Vec<(String, Value)>, Error> {
    let mut out = Vec::new();
    options.foreach(|key: Value, value: Value| {
        let key = match Symbol::from_value(key) {
            Some(s) => s.name()?.into_owned(),
            None => String::try_convert(key)?,
        };
        out.push((key, value));
        Ok(magnus::r_hash::ForEach::Continue)
    })?;
    let _ = ruby;
    Ok(out)
}

fn bytes(s: RString) -> Vec<u8> {
    // SAFETY: copied before any Ruby code runs.
    unsafe { s.as_slice() }.to_vec()
}

fn get<T: TryConvert>(value: Value) -> Result<T, Error> {
    T::try_convert(value)
}

/// Options for `route`: send_hwm, recv_hwm, linger, identity, reconnect_ivl,
/// reconnect_ivl_max, topic_filter (a String prefix or a Regexp), send_queue,
/// request_timeout. `message_class` is the Ruby layer's and skipped here.
pub fn route_options(ruby: &Ruby, options: Option<RHash>) -> Result<RouteOptions, Error> {
    let mut o = RouteOptions::default();
    let Some(options) = options else { return Ok(o) };
    for (key, value) in entries(ruby, options)? {
        match key.as_str() {
            "send_hwm" => o.send_hwm = Some(get(value)?),
            "recv_hwm" => o.recv_hwm = Some(get(value)?),
            "linger" => o.linger = seconds(ruby, get(value)?)?,
            "identity" => o.identity = Some(bytes(get::<RString>(value)?)),
            "reconnect_ivl" => o.reconnect_ivl = Some(seconds(ruby, get(value)?)?),
            "reconnect_ivl_max" => o.reconnect_ivl_max = Some(seconds(ruby, get(value)?)?),
            "topic" | "topic_filter" => {
                o.topic_filter = Some(match RRegexp::from_value(value) {
                    Some(re) => {
                        let source: String = re.funcall("source", ())?;
                        let regex = regex::Regex::new(&source).map_err(|e| {
                            error(ruby, "InvalidArgument", format!("topic_filter regexp: {e}"))
                        })?;
                        TopicFilter::Regex(regex)
                    }
                    None => TopicFilter::Prefix(bytes(get::<RString>(value)?)),
                })
            }
            "send_queue" => o.send_queue = get(value)?,
            "request_timeout" => o.request_timeout = Some(seconds(ruby, get(value)?)?),
            "message_class" => {}
            other => {
                return Err(error(
                    ruby,
                    "InvalidArgument",
                    format!("unknown route option {other:?}"),
                ))
            }
        }
    }
    Ok(o)
}

/// Options for `worker_pool`: bind, local, placement, max_pending, heartbeat, liveness,
/// max_attempts, no_worker_timeout (nil waits for ever), prefetch.
pub fn pool_options(ruby: &Ruby, options: RHash) -> Result<PoolOptions, Error> {
    let mut o = PoolOptions::default();
    let mut placement: Option<String> = None;
    for (key, value) in entries(ruby, options)? {
        match key.as_str() {
            "bind" => {
                if !value.is_nil() {
                    o.bind = match RString::from_value(value) {
                        Some(s) => vec![s.to_string()?],
                        None => get(value)?,
                    }
                }
            }
            "local" => o.local_threads = get(value)?,
            "placement" => {
                placement = Some(match Symbol::from_value(value) {
                    Some(s) => s.name()?.into_owned(),
                    None => get(value)?,
                })
            }
            "max_pending" => o.max_pending = get(value)?,
            "heartbeat" => o.heartbeat = seconds(ruby, get(value)?)?,
            "liveness" => o.liveness = get(value)?,
            "max_attempts" => o.max_attempts = get(value)?,
            "no_worker_timeout" => {
                o.no_worker_timeout = if value.is_nil() {
                    None
                } else {
                    Some(seconds(ruby, get(value)?)?)
                }
            }
            "prefetch" => o.prefetch = get(value)?,
            other => {
                return Err(error(
                    ruby,
                    "InvalidArgument",
                    format!("unknown worker_pool option {other:?}"),
                ))
            }
        }
    }
    o.placement = match placement.as_deref() {
        Some("local") => Placement::Local,
        Some("remote") => Placement::Remote,
        Some("local_first") => Placement::LocalFirst,
        None if o.bind.is_empty() => Placement::Local,
        None if o.local_threads > 0 => Placement::LocalFirst,
        None => Placement::Remote,
        Some(other) => {
            return Err(error(
                ruby,
                "InvalidArgument",
                format!("placement {other:?}: local, remote or local_first"),
            ))
        }
    };
    Ok(o)
}
