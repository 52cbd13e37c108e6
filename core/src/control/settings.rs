//! Whether a node reports to a control server, and how: its options first, then the
//! environment (`DRIPDROP_CONTROL`, `DRIPDROP_ROLE`), read once when the node starts.

use crate::error::Error;
use crate::node::NodeOptions;
use crate::security::CurveOption;
use std::time::Duration;

/// The control server's address, when the node's options do not give one.
pub(crate) const CONTROL_ENV: &str = "DRIPDROP_CONTROL";
/// The process's role, when the node's options do not give one.
pub(crate) const ROLE_ENV: &str = "DRIPDROP_ROLE";
/// What a launcher says a process is (docs/deploy.md): the app, the node and which replica.
pub(crate) const APP_ENV: &str = "DRIPDROP_APP";
pub(crate) const NODE_ENV: &str = "DRIPDROP_NODE";
pub(crate) const INSTANCE_ENV: &str = "DRIPDROP_INSTANCE";
/// A shorter heartbeat would turn the reporting thread into a busy loop.
const MIN_HEARTBEAT: Duration = Duration::from_millis(1);

/// How a node reports, resolved from its options and the environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ControlSettings {
    /// Where the server's ROUTER listens.
    pub(crate) endpoint: String,
    /// Where the endpoint came from, for errors: the option or the environment variable.
    pub(crate) source: &'static str,
    pub(crate) role: String,
    pub(crate) language: String,
    pub(crate) heartbeat: Duration,
    /// The app, node and instance a launcher started the process as (empty when none did),
    /// so the control server can hold the live processes against the manifest.
    pub(crate) app: String,
    pub(crate) node: String,
    pub(crate) instance: String,
    /// CURVE on the DEALER (the node's `control_curve`; resolved when it connects).
    pub(crate) curve: CurveOption,
}

impl ControlSettings {
    /// The settings for a node with these options; `None` when it does not report (no
    /// address anywhere, or an empty one: an explicit `control: ""` turns reporting off even
    /// when the environment asks for it).
    pub(crate) fn resolve(options: &NodeOptions) -> Result<Option<ControlSettings>, Error> {
        Self::resolve_with(options, |name| std::env::var(name).ok())
    }

    /// As [`ControlSettings::resolve`], with the environment given (so tests need not set
    /// process-wide variables).
    pub(crate) fn resolve_with(
        options: &NodeOptions,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<ControlSettings>, Error> {
        let (endpoint, source) = match &options.control {
            Some(endpoint) => (endpoint.clone(), "control option"),
            None => match env(CONTROL_ENV) {
                Some(endpoint) => (endpoint, CONTROL_ENV),
                None => return Ok(None),
            },
        };
        let endpoint = endpoint.trim().to_owned();
        if endpoint.is_empty() {
            return Ok(None);
        }
        if options.heartbeat < MIN_HEARTBEAT {
            return Err(Error::InvalidArgument(format!(
                "heartbeat: at least {MIN_HEARTBEAT:?}, got {:?}",
                options.heartbeat
            )));
        }
        let role = options
            .role
            .clone()
            .or_else(|| env(ROLE_ENV))
            .filter(|role| !role.is_empty())
            .unwrap_or_else(program_name);
        Ok(Some(ControlSettings {
            endpoint,
            source,
            role,
            language: options.language.clone(),
            heartbeat: options.heartbeat,
            app: env(APP_ENV).unwrap_or_default(),
            node: env(NODE_ENV).unwrap_or_default(),
            instance: env(INSTANCE_ENV).unwrap_or_default(),
            curve: options.control_curve.clone(),
        }))
    }
}

/// The program's name: its executable's file stem, else argv\[0\]'s, else `dripdrop`.
fn program_name() -> String {
    let stem = |path: std::path::PathBuf| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.is_empty())
    };
    std::env::current_exe()
        .ok()
        .and_then(stem)
        .or_else(|| std::env::args_os().next().map(Into::into).and_then(stem))
        .unwrap_or_else(|| "dripdrop".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_env::fixed as env;

    #[test]
    fn off_unless_asked() {
        let options = NodeOptions::default();
        assert_eq!(ControlSettings::resolve_with(&options, env(&[])), Ok(None));
        let off = NodeOptions {
            control: Some(String::new()),
            ..NodeOptions::default()
        };
        let asked = [(CONTROL_ENV, "tcp://control:1")];
        assert_eq!(ControlSettings::resolve_with(&off, env(&asked)), Ok(None));
    }

    #[test]
    fn the_option_wins_over_the_environment() {
        let options = NodeOptions {
            control: Some("tcp://option:1".into()),
            ..NodeOptions::default()
        };
        let vars = [(CONTROL_ENV, "tcp://env:1"), (ROLE_ENV, "billing")];
        let s = ControlSettings::resolve_with(&options, env(&vars))
            .unwrap()
            .unwrap();
        assert_eq!(
            (s.endpoint.as_str(), s.source, s.role.as_str()),
            ("tcp://option:1", "control option", "billing")
        );
        let s = ControlSettings::resolve_with(&NodeOptions::default(), env(&vars))
            .unwrap()
            .unwrap();
        assert_eq!(
            (s.endpoint.as_str(), s.source),
            ("tcp://env:1", CONTROL_ENV)
        );
        assert_eq!(
            (s.language.as_str(), s.heartbeat),
            ("rust", Duration::from_secs(1))
        );
    }

    #[test]
    fn the_role_defaults_to_the_program_name() {
        let options = NodeOptions {
            control: Some("tcp://c:1".into()),
            ..NodeOptions::default()
        };
        let s = ControlSettings::resolve_with(&options, env(&[]))
            .unwrap()
            .unwrap();
        assert!(!s.role.is_empty());
        assert_eq!(s.role, program_name());
        let named = NodeOptions {
            role: Some("api".into()),
            ..options
        };
        let s = ControlSettings::resolve_with(&named, env(&[(ROLE_ENV, "env-role")]));
        assert_eq!(s.unwrap().unwrap().role, "api");
    }

    #[test]
    fn a_zero_heartbeat_is_refused() {
        let options = NodeOptions {
            control: Some("tcp://c:1".into()),
            heartbeat: Duration::ZERO,
            ..NodeOptions::default()
        };
        let error = ControlSettings::resolve_with(&options, env(&[])).unwrap_err();
        assert!(error.to_string().contains("heartbeat"), "{error}");
    }
}
