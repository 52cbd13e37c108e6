//! `dripdrop.toml`: one file that describes a whole app (docs/deploy.md): its nodes (a
//! command, replicas, environment, run_list, ports), the roles that group them and,
//! optionally, the hosts that run each role. Read and checked here; the launcher and the
//! exports only ever see a manifest that passed.

mod raw;
mod selection;
mod validate;

pub use raw::Restart;
pub use selection::Selection;
pub(crate) use validate::RESERVED;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Names of nodes, roles and the app become systemd unit names, Compose services and
/// Kubernetes objects, so they keep to what all three accept: lowercase letters, digits and
/// inner dashes, at most this long.
pub const MAX_NAME: usize = 40;
/// Replicas of one node at most.
pub const MAX_REPLICAS: u32 = 1000;
/// The heartbeat when the manifest names none, in ms (core's default).
pub const DEFAULT_HEARTBEAT_MS: u64 = 1000;
/// How long a node's processes may take to stop before SIGKILL, unless it says.
pub const DEFAULT_STOP_GRACE: Duration = Duration::from_secs(10);

/// A manifest that passed every check.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// The file it was read from; commands with a `/` are relative to its directory.
    pub path: PathBuf,
    pub app: App,
    /// By name.
    pub nodes: BTreeMap<String, NodeSpec>,
    /// Each role's nodes, in the order written.
    pub roles: BTreeMap<String, Vec<String>>,
    /// Each host's roles; empty when the manifest has no `[hosts]`.
    pub hosts: BTreeMap<String, Vec<String>>,
}

#[derive(Clone, Debug)]
pub struct App {
    pub name: String,
    /// The control server every process reports to, if any.
    pub control: Option<String>,
    pub heartbeat_ms: u64,
    /// The container image of nodes that name none (else `APP:latest`).
    pub image: Option<String>,
}

/// One `[nodes.NAME]`.
#[derive(Clone, Debug)]
pub struct NodeSpec {
    pub name: String,
    /// The program and its arguments.
    pub argv: Vec<String>,
    pub replicas: u32,
    /// Set for each of its processes, beside the `DRIPDROP_*` ones.
    pub env: BTreeMap<String, String>,
    /// The nodelets it runs (all when empty).
    pub run_list: Vec<String>,
    /// TCP ports it listens on (for the exports, and the duplicate check).
    pub ports: Vec<u16>,
    /// Its container image (the app's, or `APP:latest`).
    pub image: String,
    pub stop_grace: Duration,
    pub restart: Restart,
    /// The line of its `command`, for errors about it.
    pub command_line: usize,
}

/// A manifest that did not pass: where, which field, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestError {
    pub file: String,
    /// 1-based; `None` for what is not on one line (a file that cannot be read).
    pub line: Option<usize>,
    pub field: String,
    pub message: String,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: ", self.file)?,
            None => write!(f, "{}: ", self.file)?,
        }
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ManifestError {}

impl Manifest {
    /// Reads and checks the manifest at `path`.
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|e| ManifestError {
            file: path.display().to_string(),
            line: None,
            field: String::new(),
            message: format!("cannot read it: {e}"),
        })?;
        Manifest::parse(&text, path)
    }

    /// Checks `text`, read from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Manifest, ManifestError> {
        validate::manifest(text, path)
    }

    /// The roles that name `node`, in name order.
    pub fn roles_of(&self, node: &str) -> Vec<&str> {
        self.roles
            .iter()
            .filter(|(_, nodes)| nodes.iter().any(|n| n == node))
            .map(|(role, _)| role.as_str())
            .collect()
    }

    /// The roles to run: those named, else those of `host` in `[hosts]`; an unknown role or
    /// host is an error, and so is naming neither.
    pub fn pick_roles(&self, roles: &[String], host: Option<&str>) -> Result<Vec<String>, String> {
        let mut picked: Vec<String> = Vec::new();
        for role in roles {
            if !self.roles.contains_key(role) {
                return Err(format!(
                    "no role {role:?} in {} (roles: {})",
                    self.path.display(),
                    self.roles.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
            if !picked.contains(role) {
                picked.push(role.clone());
            }
        }
        if let Some(host) = host {
            let Some(of_host) = self.hosts.get(host) else {
                return Err(format!(
                    "no host {host:?} in the [hosts] of {}",
                    self.path.display()
                ));
            };
            for role in of_host {
                if !picked.contains(role) {
                    picked.push(role.clone());
                }
            }
        }
        if picked.is_empty() {
            return Err("name the roles to run (--role ROLE, or --host HOST)".into());
        }
        Ok(picked)
    }

    /// The nodes of `roles`, each once, with the first of `roles` that names it.
    pub fn nodes_of<'a>(&'a self, roles: &'a [String]) -> Vec<(&'a NodeSpec, &'a str)> {
        let mut out: Vec<(&NodeSpec, &str)> = Vec::new();
        for role in roles {
            for name in self.roles.get(role).into_iter().flatten() {
                if out.iter().all(|(node, _)| &node.name != name) {
                    out.push((&self.nodes[name], role.as_str()));
                }
            }
        }
        out
    }

    /// Every node's program can be found: a path (with a `/`) relative to the manifest's
    /// directory, or a name on `PATH`. Checked where the processes will run (the launcher),
    /// not when exporting for other machines.
    pub fn check_commands<'a>(
        &self,
        nodes: impl IntoIterator<Item = &'a NodeSpec>,
    ) -> Result<(), ManifestError> {
        for node in nodes {
            if self.program(node).is_none() {
                return Err(ManifestError {
                    file: self.path.display().to_string(),
                    line: Some(node.command_line),
                    field: format!("nodes.{}.command", node.name),
                    message: format!(
                        "no program {:?} (not a file here, nor on PATH)",
                        node.argv[0]
                    ),
                });
            }
        }
        Ok(())
    }

    /// Where `node`'s program is: a path with a `/` is taken from the manifest's directory,
    /// a bare name is looked up on `PATH`; `None` when it is not an executable file.
    pub fn program(&self, node: &NodeSpec) -> Option<PathBuf> {
        let program = Path::new(&node.argv[0]);
        if node.argv[0].contains('/') {
            let base = self.path.parent().unwrap_or(Path::new("."));
            let path = base.join(program);
            return executable(&path).then_some(path);
        }
        let paths = std::env::var_os("PATH")?;
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|path| executable(path))
    }

    /// The environment of instance `instance` (from 1) of `node`, started for `role`: the
    /// node's own variables, then DRIPDROP_APP, _NODE, _INSTANCE, _ROLE, _CONTROL,
    /// _HEARTBEAT_MS and _RUN_LIST, which every DripDrop process reads (docs/deploy.md).
    pub fn environment(&self, node: &NodeSpec, instance: u32, role: &str) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = node
            .env
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        env.push(("DRIPDROP_APP".into(), self.app.name.clone()));
        env.push(("DRIPDROP_NODE".into(), node.name.clone()));
        env.push(("DRIPDROP_INSTANCE".into(), instance.to_string()));
        env.push(("DRIPDROP_ROLE".into(), role.to_owned()));
        if let Some(control) = &self.app.control {
            env.push(("DRIPDROP_CONTROL".into(), control.clone()));
        }
        env.push((
            "DRIPDROP_HEARTBEAT_MS".into(),
            self.app.heartbeat_ms.to_string(),
        ));
        if !node.run_list.is_empty() {
            env.push(("DRIPDROP_RUN_LIST".into(), node.run_list.join(",")));
        }
        env
    }
}

fn executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
