//! Options given by name, as every host gives them (a Ruby Hash, a Python dict or keyword
//! arguments, later an environment or a manifest): one reader for all of them, with core's
//! defaults for what is not given and core's errors for what is wrong. A skin converts its
//! host values to [`Value`]s (seconds as numbers, text as strings or symbols, a regex as a
//! regex) and hands them here.
//!
//! An unknown name, or a value of the wrong kind, is `Error::InvalidArgument` naming it.

use crate::bert::{Regex, Value};
use crate::error::Error;
use crate::node::NodeOptions;
use crate::pool::{Placement, PoolOptions, WorkerOptions};
use crate::route::{MsgFormat, RouteOptions, TopicFilter};
use crate::security::{Certificate, Curve, CurveOption, KEY_BYTES};
use std::time::Duration;

/// One named option's value, read for the option `name` (which errors name).
struct Setting<'a> {
    name: &'a str,
    value: &'a Value,
}

impl Setting<'_> {
    fn wrong(&self, expected: &str) -> Error {
        Error::InvalidArgument(format!(
            "option {}: expected {expected}, got {}",
            self.name,
            crate::message::kind_name(self.value)
        ))
    }

    /// A whole number that fits `T`.
    fn number<T: TryFrom<i64>>(&self) -> Result<T, Error> {
        match self.value {
            Value::Int(n) => T::try_from(*n).map_err(|_| self.wrong("a number in range")),
            _ => Err(self.wrong("a whole number")),
        }
    }

    /// A whole number that fits `T`, or nil for none.
    fn optional_number<T: TryFrom<i64>>(&self) -> Result<Option<T>, Error> {
        match self.value {
            Value::Nil => Ok(None),
            _ => self.number().map(Some),
        }
    }

    /// Seconds (a whole or fractional number) as a duration; negative or not finite is wrong.
    fn seconds(&self) -> Result<Duration, Error> {
        let seconds = match self.value {
            Value::Int(n) => *n as f64,
            Value::Float(f) => *f,
            _ => return Err(self.wrong("seconds (a number)")),
        };
        Duration::try_from_secs_f64(seconds).map_err(|_| self.wrong("seconds, 0 or more"))
    }

    /// Seconds, or nil for none.
    fn optional_seconds(&self) -> Result<Option<Duration>, Error> {
        match self.value {
            Value::Nil => Ok(None),
            _ => self.seconds().map(Some),
        }
    }

    /// Text: a string (binary holding UTF-8) or an atom (a Ruby symbol).
    fn text(&self) -> Result<&str, Error> {
        self.value
            .as_str()
            .or_else(|| self.value.as_atom())
            .ok_or_else(|| self.wrong("text"))
    }

    /// Text, or nil for none.
    fn optional_text(&self) -> Result<Option<String>, Error> {
        match self.value {
            Value::Nil => Ok(None),
            _ => self.text().map(|t| Some(t.to_owned())),
        }
    }

    /// Bytes: a binary, or text.
    fn bytes(&self) -> Result<Vec<u8>, Error> {
        match self.value {
            Value::Binary(bytes) => Ok(bytes.clone()),
            _ => self.text().map(|t| t.as_bytes().to_vec()),
        }
    }

    fn flag(&self) -> Result<bool, Error> {
        match self.value {
            Value::Bool(b) => Ok(*b),
            Value::Nil => Ok(false),
            _ => Err(self.wrong("true or false")),
        }
    }

    /// One text or a list of them (addresses, names).
    fn texts(&self) -> Result<Vec<String>, Error> {
        match self.value {
            Value::Nil => Ok(Vec::new()),
            Value::List(items) => items
                .iter()
                .map(|item| {
                    let setting = Setting {
                        name: self.name,
                        value: item,
                    };
                    setting.text().map(str::to_owned)
                })
                .collect(),
            _ => self.text().map(|t| vec![t.to_owned()]),
        }
    }

    /// CURVE: nil (the environment's `DRIPDROP_CURVE_DIR`, if any), false (plain text),
    /// a directory of the `DRIPDROP_CURVE_DIR` layout, or a dict of keys
    /// ([`Curve::from_named`]).
    fn curve(&self) -> Result<CurveOption, Error> {
        match self.value {
            Value::Nil => Ok(CurveOption::FromEnvironment),
            Value::Bool(false) => Ok(CurveOption::Off),
            Value::Bool(true) => Err(self.wrong(
                "a directory of keys, a dict (certificate, server_key, allowed), false or nil",
            )),
            Value::Dict(entries) => {
                let named = entries.iter().map(|(key, value)| {
                    let key = key.as_str().or_else(|| key.as_atom()).unwrap_or("");
                    (format!("{}.{key}", self.name), value.clone())
                });
                Curve::from_named(named).map(CurveOption::On)
            }
            _ => Ok(CurveOption::Dir(self.text()?.into())),
        }
    }

    /// A key: 32 bytes, or its 40 characters of Z85 (as certificate files and pyzmq show
    /// it). Never a path: files are given by the options named `..._certificate`.
    fn key(&self) -> Result<[u8; KEY_BYTES], Error> {
        match self.value {
            Value::Binary(bytes) if bytes.len() == KEY_BYTES => {
                Ok(bytes.as_slice().try_into().expect("32 bytes"))
            }
            _ => crate::security::decode_z85_key(self.text()?)
                .map_err(|why| Error::InvalidArgument(format!("option {}: {why}", self.name))),
        }
    }

    fn unknown(&self, what: &str) -> Error {
        Error::InvalidArgument(format!("unknown {what} option {:?}", self.name))
    }
}

/// Calls `apply` for each named option.
fn each<K: AsRef<str>>(
    options: impl IntoIterator<Item = (K, Value)>,
    mut apply: impl FnMut(&Setting<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    for (name, value) in options {
        apply(&Setting {
            name: name.as_ref(),
            value: &value,
        })?;
    }
    Ok(())
}

impl TopicFilter {
    /// A filter on names matching the regex `source`; a bad regex is `InvalidArgument`.
    pub fn regex(source: &str) -> Result<TopicFilter, Error> {
        TopicFilter::regex_with(&Regex {
            source: source.to_owned(),
            options: Vec::new(),
        })
    }

    /// A filter on names matching a BERT regex, its options read as Erlang's `re` names
    /// them: `caseless`, `multiline` (`^` and `$` at line breaks), `dotall` (`.` matches a
    /// line break), `extended` (white space and comments in the pattern); any other is
    /// `InvalidArgument`.
    pub fn regex_with(regex: &Regex) -> Result<TopicFilter, Error> {
        let mut builder = regex::RegexBuilder::new(&regex.source);
        for option in &regex.options {
            match option.as_str() {
                "caseless" => builder.case_insensitive(true),
                "multiline" => builder.multi_line(true),
                "dotall" => builder.dot_matches_new_line(true),
                "extended" => builder.ignore_whitespace(true),
                other => {
                    return Err(Error::InvalidArgument(format!(
                        "topic_filter regex: unknown option {other:?}"
                    )))
                }
            };
        }
        builder
            .build()
            .map(TopicFilter::Regex)
            .map_err(|e| Error::InvalidArgument(format!("topic_filter regex: {e}")))
    }
}

impl MsgFormat {
    /// Reads `dripdrop` or `raw`.
    pub fn from_name(name: &str) -> Result<MsgFormat, Error> {
        match name {
            "dripdrop" => Ok(MsgFormat::DripDrop),
            "raw" => Ok(MsgFormat::Raw),
            other => Err(Error::InvalidArgument(format!(
                "unknown msg_format {other:?} (expected dripdrop or raw)"
            ))),
        }
    }
}

impl RouteOptions {
    /// Route options by name, the rest at their defaults: `send_hwm`, `recv_hwm` (messages),
    /// `linger` (seconds), `identity`, `reconnect_ivl`, `reconnect_ivl_max` (seconds),
    /// `topic_filter` (or `topic`: a prefix as text, or a regex), `msg_format` (`dripdrop`
    /// or `raw`; `raw: true` says the same), `send_queue` (messages), `request_timeout`
    /// (seconds, nil for none), `max_frame_bytes` (the largest frame a peer may send, and the
    /// byte limit messages are decoded within); for HTTP and WebSocket routes also
    /// `max_connections`, `max_header_bytes`, `header_timeout` and `idle_timeout` (seconds),
    /// `static_dir` (a folder); for a raw zmq_xrep route `router_notify` (true or false).
    pub fn from_named<K: AsRef<str>>(
        options: impl IntoIterator<Item = (K, Value)>,
    ) -> Result<RouteOptions, Error> {
        let mut o = RouteOptions::default();
        each(options, |s| {
            match s.name {
                "send_hwm" => o.send_hwm = Some(s.number()?),
                "recv_hwm" => o.recv_hwm = Some(s.number()?),
                "linger" => o.linger = s.seconds()?,
                "identity" => o.identity = Some(s.bytes()?),
                "reconnect_ivl" => o.reconnect_ivl = s.optional_seconds()?,
                "reconnect_ivl_max" => o.reconnect_ivl_max = s.optional_seconds()?,
                "topic_filter" | "topic" => {
                    o.topic_filter = match s.value {
                        Value::Nil => None,
                        Value::Regex(re) => Some(TopicFilter::regex_with(re)?),
                        _ => Some(TopicFilter::Prefix(s.bytes()?)),
                    }
                }
                "msg_format" => o.msg_format = MsgFormat::from_name(s.text()?)?,
                "raw" if s.flag()? => o.msg_format = MsgFormat::Raw,
                "raw" => o.msg_format = MsgFormat::DripDrop,
                "send_queue" => o.send_queue = s.number()?,
                "request_timeout" => o.request_timeout = s.optional_seconds()?,
                "max_frame_bytes" => o.max_frame_bytes = s.number()?,
                "max_connections" => o.max_connections = s.number()?,
                "max_header_bytes" => o.max_header_bytes = s.number()?,
                "header_timeout" => o.header_timeout = s.seconds()?,
                "idle_timeout" => o.idle_timeout = s.seconds()?,
                "static_dir" => {
                    o.static_dir = match s.value {
                        Value::Nil => None,
                        _ => Some(s.text()?.into()),
                    }
                }
                "router_notify" => o.router_notify = s.flag()?,
                "curve" => o.curve = s.curve()?,
                _ => return Err(s.unknown("route")),
            }
            Ok(())
        })?;
        Ok(o)
    }
}

impl Curve {
    /// CURVE keys by name (the dict a skin passes as the `curve` option). This side's keys:
    /// `certificate` (a path to its `.key_secret` file) or `secret_key` (the key itself: 32
    /// bytes or 40 characters of Z85). A connecting side's server: `server_certificate` (a
    /// path to its certificate file) or `server_key` (its public key, likewise). A binding
    /// side's `allowed` (a directory of admitted client certificates; nil admits every
    /// client). Files and keys have names of their own, so a path is never taken for a key.
    pub fn from_named<K: AsRef<str>>(
        options: impl IntoIterator<Item = (K, Value)>,
    ) -> Result<Curve, Error> {
        let (mut certificate, mut server_key, mut allowed) = (None, None, None);
        each(options, |s| {
            let name = s.name.rsplit('.').next().unwrap_or(s.name);
            match name {
                "certificate" => certificate = Some(Certificate::load(s.text()?)?),
                "secret_key" => certificate = Some(Certificate::from_secret(s.key()?)?),
                "server_key" | "server_certificate" if matches!(s.value, Value::Nil) => {
                    server_key = None
                }
                "server_key" => server_key = Some(s.key()?),
                "server_certificate" => {
                    server_key = Some(*Certificate::load(s.text()?)?.public_key())
                }
                "allowed" if matches!(s.value, Value::Nil) => allowed = None,
                "allowed" => allowed = Some(s.text()?.into()),
                _ => return Err(s.unknown("curve")),
            }
            Ok(())
        })?;
        let certificate = certificate.ok_or_else(|| {
            Error::InvalidArgument(
                "option curve: this side's keys are needed (certificate or secret_key)".into(),
            )
        })?;
        Ok(Curve {
            certificate,
            server_key,
            allowed,
        })
    }
}

impl Placement {
    /// Reads `local`, `remote` or `local_first`.
    pub fn from_name(name: &str) -> Result<Placement, Error> {
        match name {
            "local" => Ok(Placement::Local),
            "remote" => Ok(Placement::Remote),
            "local_first" => Ok(Placement::LocalFirst),
            other => Err(Error::InvalidArgument(format!(
                "placement {other:?}: local, remote or local_first"
            ))),
        }
    }

    /// The placement a pool gets when none is named: remote workers if it binds an address,
    /// local threads if it has them, local first if both.
    pub fn inferred(binds: bool, local_threads: usize) -> Placement {
        match (binds, local_threads > 0) {
            (false, _) => Placement::Local,
            (true, true) => Placement::LocalFirst,
            (true, false) => Placement::Remote,
        }
    }
}

impl PoolOptions {
    /// Pool options by name, the rest at their defaults: `bind` (an address or a list, nil
    /// for none), `local` (threads running the node's tasks), `placement` (`local`, `remote`,
    /// `local_first`; inferred from `bind` and `local` when not given), `max_pending`,
    /// `heartbeat` (seconds), `liveness`, `max_attempts`, `no_worker_timeout` (seconds, nil
    /// waits for ever), `prefetch` (nil adapts it), `max_worker_credit`, `lease_timeout` (seconds, nil for
    /// none), `max_workers`, `max_frame_bytes`, `max_result_elements`.
    pub fn from_named<K: AsRef<str>>(
        options: impl IntoIterator<Item = (K, Value)>,
    ) -> Result<PoolOptions, Error> {
        let mut o = PoolOptions::default();
        let mut placement = None;
        each(options, |s| {
            match s.name {
                "bind" => o.bind = s.texts()?,
                "local" | "local_threads" => o.local_threads = s.number()?,
                "placement" => {
                    placement = match s.value {
                        Value::Nil => None,
                        _ => Some(Placement::from_name(s.text()?)?),
                    }
                }
                "max_pending" => o.max_pending = s.number()?,
                "heartbeat" => o.heartbeat = s.seconds()?,
                "liveness" => o.liveness = s.number()?,
                "max_attempts" => o.max_attempts = s.number()?,
                "no_worker_timeout" => o.no_worker_timeout = s.optional_seconds()?,
                "prefetch" => o.prefetch = s.optional_number()?,
                "max_worker_credit" => o.max_worker_credit = s.number()?,
                "lease_timeout" => o.lease_timeout = s.optional_seconds()?,
                "max_workers" => o.max_workers = s.number()?,
                "max_frame_bytes" => o.max_frame_bytes = s.number()?,
                "max_result_elements" => o.max_result_elements = s.number()?,
                "curve" => o.curve = s.curve()?,
                _ => return Err(s.unknown("worker_pool")),
            }
            Ok(())
        })?;
        o.placement =
            placement.unwrap_or_else(|| Placement::inferred(!o.bind.is_empty(), o.local_threads));
        Ok(o)
    }
}

impl WorkerOptions {
    /// Worker options by name, the rest at their defaults: `concurrency`, `heartbeat`
    /// (seconds), `liveness`, `reconnect_min`, `reconnect_max` (seconds), `name`,
    /// `max_frame_bytes`.
    pub fn from_named<K: AsRef<str>>(
        options: impl IntoIterator<Item = (K, Value)>,
    ) -> Result<WorkerOptions, Error> {
        let mut o = WorkerOptions::default();
        each(options, |s| {
            match s.name {
                "concurrency" => {
                    if !matches!(s.value, Value::Nil) {
                        o.concurrency = s.number()?;
                    }
                }
                "heartbeat" => o.heartbeat = s.seconds()?,
                "liveness" => o.liveness = s.number()?,
                "reconnect_min" => o.reconnect_min = s.seconds()?,
                "reconnect_max" => o.reconnect_max = s.seconds()?,
                "max_frame_bytes" => o.max_frame_bytes = s.number()?,
                "name" => {
                    o.name = match s.value {
                        Value::Nil => None,
                        _ => Some(s.text()?.to_owned()),
                    }
                }
                "curve" => o.curve = s.curve()?,
                _ => return Err(s.unknown("worker")),
            }
            Ok(())
        })?;
        Ok(o)
    }
}

impl NodeOptions {
    /// Node options by name, the rest at their defaults: `defer_threads`, `stop_linger`
    /// (seconds), `receive_batch`, `run_list` (nodelet names; nil runs them all), and the
    /// control backchannel's `control` (the server's address; nil takes `DRIPDROP_CONTROL`),
    /// `role` (nil takes `DRIPDROP_ROLE`, else the program's name), `heartbeat` (seconds)
    /// and `language` (what a skin reports itself as).
    pub fn from_named<K: AsRef<str>>(
        options: impl IntoIterator<Item = (K, Value)>,
    ) -> Result<NodeOptions, Error> {
        let mut o = NodeOptions::default();
        each(options, |s| {
            match s.name {
                "defer_threads" => {
                    if !matches!(s.value, Value::Nil) {
                        o.defer_threads = s.number()?;
                    }
                }
                "stop_linger" => o.stop_linger = s.seconds()?,
                "receive_batch" => o.receive_batch = s.number()?,
                "run_list" => {
                    o.run_list = match s.value {
                        Value::Nil => None,
                        _ => Some(s.texts()?),
                    }
                }
                "control" => o.control = s.optional_text()?,
                "role" => o.role = s.optional_text()?,
                "heartbeat" => o.heartbeat = s.seconds()?,
                "language" => o.language = s.text()?.to_owned(),
                "control_curve" => o.control_curve = s.curve()?,
                _ => return Err(s.unknown("node")),
            }
            Ok(())
        })?;
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(pairs: &[(&str, Value)]) -> Vec<(String, Value)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn route_options_read_by_name() {
        let o = RouteOptions::from_named(named(&[
            ("send_hwm", Value::Int(10)),
            ("linger", Value::Float(0.25)),
            ("topic", Value::regex("^t", vec![])),
            ("raw", Value::Bool(true)),
            ("request_timeout", Value::Int(2)),
            ("max_frame_bytes", Value::Int(1 << 20)),
        ]))
        .unwrap();
        assert_eq!(o.send_hwm, Some(10));
        assert_eq!(o.linger, Duration::from_millis(250));
        assert!(matches!(o.topic_filter, Some(TopicFilter::Regex(ref re)) if re.as_str() == "^t"));
        assert_eq!(o.msg_format, MsgFormat::Raw);
        assert_eq!(o.request_timeout, Some(Duration::from_secs(2)));
        assert_eq!(o.max_frame_bytes, 1 << 20);
        let prefix = RouteOptions::from_named(named(&[("topic_filter", Value::atom("news"))]));
        assert!(
            matches!(prefix.unwrap().topic_filter, Some(TopicFilter::Prefix(p)) if p == b"news")
        );
    }

    #[test]
    fn wrong_options_name_themselves() {
        let unknown = RouteOptions::from_named(named(&[("lingr", Value::Int(1))])).unwrap_err();
        assert!(unknown.to_string().contains("\"lingr\""), "{unknown}");
        let negative = RouteOptions::from_named(named(&[("linger", Value::Int(-1))])).unwrap_err();
        assert!(negative.to_string().contains("linger"), "{negative}");
        let frame = RouteOptions::from_named(named(&[("max_frame_bytes", Value::Int(-1))]));
        assert!(frame.unwrap_err().to_string().contains("max_frame_bytes"));
        let frame = RouteOptions::from_named(named(&[("max_frame_bytes", Value::from("1M"))]));
        assert!(frame.unwrap_err().to_string().contains("max_frame_bytes"));
        let regex = RouteOptions::from_named(named(&[("topic", Value::regex("(", vec![]))]));
        assert_eq!(regex.unwrap_err().class_name(), "InvalidArgument");
        let caseless = Value::regex("^news", vec![crate::bert::Atom::new("caseless")]);
        let o = RouteOptions::from_named(named(&[("topic", caseless)])).unwrap();
        assert!(matches!(o.topic_filter, Some(TopicFilter::Regex(re)) if re.is_match("NEWS")));
        let range = PoolOptions::from_named(named(&[("liveness", Value::Int(1 << 40))]));
        assert!(range.unwrap_err().to_string().contains("liveness"));
        let placement = PoolOptions::from_named(named(&[("placement", Value::from("wherever"))]));
        assert!(placement.unwrap_err().to_string().contains("wherever"));
    }

    #[test]
    fn a_pool_infers_its_placement_and_keeps_core_defaults() {
        let local = PoolOptions::from_named(named(&[("local", Value::Int(2))])).unwrap();
        assert_eq!(local.placement, Placement::Local);
        let both = PoolOptions::from_named(named(&[
            ("local", Value::Int(2)),
            ("bind", Value::from("tcp://127.0.0.1:*")),
        ]))
        .unwrap();
        assert_eq!(both.placement, Placement::LocalFirst);
        let remote = PoolOptions::from_named(named(&[(
            "bind",
            Value::List(vec![Value::from("tcp://a:1"), Value::from("tcp://b:2")]),
        )]))
        .unwrap();
        assert_eq!(
            (remote.placement, remote.bind.len()),
            (Placement::Remote, 2)
        );
        let defaults = PoolOptions::default();
        assert_eq!(remote.heartbeat, defaults.heartbeat);
        assert_eq!(remote.max_pending, defaults.max_pending);
        let forever = PoolOptions::from_named(named(&[("no_worker_timeout", Value::Nil)]));
        assert_eq!(forever.unwrap().no_worker_timeout, None);
        let bounded = PoolOptions::from_named(named(&[
            ("max_worker_credit", Value::Int(8)),
            ("lease_timeout", Value::Float(2.5)),
            ("max_workers", Value::Int(3)),
            ("max_frame_bytes", Value::Int(4096)),
            ("max_result_elements", Value::Int(100)),
        ]))
        .unwrap();
        assert_eq!(
            (
                bounded.max_worker_credit,
                bounded.lease_timeout,
                bounded.max_workers,
                bounded.max_frame_bytes,
                bounded.max_result_elements
            ),
            (8, Some(Duration::from_millis(2500)), 3, 4096, 100)
        );
        assert_eq!(defaults.lease_timeout, None);
    }

    #[test]
    fn workers_and_nodes_read_by_name() {
        let w = WorkerOptions::from_named(named(&[
            ("concurrency", Value::Int(3)),
            ("name", Value::from("w1")),
            ("max_frame_bytes", Value::Int(1 << 20)),
        ]))
        .unwrap();
        assert_eq!((w.concurrency, w.name.as_deref()), (3, Some("w1")));
        assert_eq!(w.max_frame_bytes, 1 << 20);
        let n = NodeOptions::from_named(named(&[(
            "run_list",
            Value::List(vec![Value::atom("a"), Value::from("b")]),
        )]))
        .unwrap();
        assert_eq!(n.run_list, Some(vec!["a".to_owned(), "b".to_owned()]));
        assert_eq!(n.defer_threads, NodeOptions::default().defer_threads);
        assert_eq!((n.control, n.role), (None, None));
    }

    #[test]
    fn nodes_read_the_control_options_by_name() {
        let n = NodeOptions::from_named(named(&[
            ("control", Value::from("tcp://control:7070")),
            ("role", Value::atom("billing")),
            ("heartbeat", Value::Float(0.25)),
            ("language", Value::from("ruby")),
        ]))
        .unwrap();
        assert_eq!(n.control.as_deref(), Some("tcp://control:7070"));
        assert_eq!(n.role.as_deref(), Some("billing"));
        assert_eq!(n.heartbeat, Duration::from_millis(250));
        assert_eq!(n.language, "ruby");
        let defaults = NodeOptions::from_named(named(&[("control", Value::Nil)])).unwrap();
        assert_eq!(defaults.control, None);
        assert_eq!(defaults.heartbeat, Duration::from_secs(1));
        assert_eq!(defaults.language, "rust");
        let wrong = NodeOptions::from_named(named(&[("heartbeat", Value::from("1s"))]));
        assert!(wrong.unwrap_err().to_string().contains("heartbeat"));
        let wrong = NodeOptions::from_named(named(&[("control", Value::Int(1))]));
        assert!(wrong.unwrap_err().to_string().contains("control"));
    }
}
