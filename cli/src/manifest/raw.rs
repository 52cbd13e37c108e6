//! `dripdrop.toml` as written: every field a person may get wrong keeps its place in the file
//! (`Spanned`), so validation can name the line. Unknown fields are refused by the parser,
//! which names their line itself.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawManifest {
    pub app: Spanned<RawApp>,
    #[serde(default)]
    pub nodes: BTreeMap<Spanned<String>, Spanned<RawNode>>,
    #[serde(default)]
    pub roles: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    #[serde(default)]
    pub hosts: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApp {
    pub name: Spanned<String>,
    pub control: Option<Spanned<String>>,
    pub heartbeat_ms: Option<Spanned<u64>>,
    /// The container image of every node, unless a node names its own.
    pub image: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNode {
    pub command: Spanned<RawCommand>,
    pub replicas: Option<Spanned<u32>>,
    #[serde(default)]
    pub env: BTreeMap<Spanned<String>, String>,
    #[serde(default)]
    pub run_list: Vec<String>,
    #[serde(default)]
    pub ports: Vec<Spanned<u16>>,
    pub image: Option<Spanned<String>>,
    /// How long a stop may take before SIGKILL, in ms.
    pub stop_grace_ms: Option<Spanned<u64>>,
    /// When its process is started again after it exits.
    pub restart: Option<Restart>,
}

/// When a node's process is started again after it exits: `always` (a service, the
/// default), `on-failure` (a job that may fail), `never` (a job run once). The names are
/// systemd's `Restart=` and Compose's `restart:`.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Restart {
    #[default]
    Always,
    OnFailure,
    Never,
}

impl Restart {
    /// As the manifest spells it.
    pub fn name(self) -> &'static str {
        match self {
            Restart::Always => "always",
            Restart::OnFailure => "on-failure",
            Restart::Never => "never",
        }
    }
}

/// A command as one line (split as a POSIX shell would, without running one) or as its
/// arguments.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawCommand {
    Line(String),
    Arguments(Vec<String>),
}
