//! `dripdrop export systemd|compose|kubernetes dripdrop.toml -o DIR`: the manifest
//! (docs/deploy.md) as the files an engine operators already run takes: systemd units, a
//! Compose file, Kubernetes objects. Each engine's file is made by its own module; this one
//! reads the manifest, checks what every engine needs, and writes the files.

mod compose;
mod kubernetes;
mod systemd;
mod yaml;

use crate::manifest::{Manifest, NodeSpec};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Write the files that run the app on systemd, Docker Compose or Kubernetes
#[derive(Debug, Args)]
pub struct Command {
    /// The engine to write for
    engine: Engine,
    /// The manifest
    #[arg(default_value = "dripdrop.toml")]
    manifest: PathBuf,
    /// The directory to write into (made if missing; the files it writes are overwritten)
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    output: PathBuf,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Engine {
    /// An app target, a target per role and a template unit per node
    Systemd,
    /// compose.yaml: a service per node, a profile per role
    Compose,
    /// kubernetes.yaml: a Deployment (or a Job) per node
    Kubernetes,
}

/// One file to write: its name in the output directory, and its text.
type File = (String, String);

pub fn run(command: Command) -> Result<(), String> {
    let manifest = Manifest::load(&command.manifest).map_err(|e| e.to_string())?;
    check_text(&manifest)?;
    // Every file is made before any is written, so a manifest an engine refuses leaves the
    // directory as it was.
    let files = match command.engine {
        Engine::Systemd => systemd::files(&manifest)?,
        Engine::Compose => compose::files(&manifest)?,
        Engine::Kubernetes => kubernetes::files(&manifest)?,
    };
    let dir = &command.output;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
    let mut listing = String::new();
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        listing.push_str(&format!("{}\n", path.display()));
    }
    crate::stdio::write_out(listing.as_bytes())
}

/// A NUL cannot be in an argument or an environment variable of any process (the kernel
/// takes them as C strings), so no engine could pass one; the manifest's TOML can hold one.
fn check_text(manifest: &Manifest) -> Result<(), String> {
    for node in manifest.nodes.values() {
        let texts = node.argv.iter().chain(node.env.values());
        if texts.clone().any(|text| text.contains('\0')) {
            return Err(format!(
                "nodes.{}: a NUL character in its command or env, which no process can be given",
                node.name
            ));
        }
    }
    Ok(())
}

/// The object name of `node` in every engine: `APP-NODE` (at most 81 characters of what
/// systemd, Compose and Kubernetes accept, since both names were checked).
fn object_name(manifest: &Manifest, node: &NodeSpec) -> String {
    format!("{}-{}", manifest.app.name, node.name)
}

/// The role a node's processes report (DRIPDROP_ROLE) where one unit, service or object
/// runs the node for all its roles: the first in name order of the roles naming it (every
/// node is in one, as the manifest was checked).
fn first_role<'a>(manifest: &'a Manifest, node: &NodeSpec) -> &'a str {
    manifest.roles_of(&node.name)[0]
}

/// The environment of a node's containers (Compose and Kubernetes), where all its replicas
/// are made from one description and so cannot be told their number: DRIPDROP_INSTANCE is
/// 1 when there is one replica and absent when there are more (the container's host name
/// tells them apart).
fn container_environment(manifest: &Manifest, node: &NodeSpec) -> Vec<(String, String)> {
    manifest
        .environment(node, 1, first_role(manifest, node))
        .into_iter()
        .filter(|(key, _)| node.replicas == 1 || key != "DRIPDROP_INSTANCE")
        .collect()
}

/// `text` with every `$` doubled: Compose reads `$VAR` and `${VAR}` in its file as its own
/// variables, and Kubernetes reads `$(VAR)` in commands and env values as the container's;
/// both read `$$` as one `$` and nothing else.
fn dollars(text: &str) -> String {
    text.replace('$', "$$")
}

/// A duration as the engines write one: whole seconds when it is, else milliseconds
/// (`10s`, `1500ms`); systemd and Compose read both.
fn duration_text(duration: std::time::Duration) -> String {
    let ms = duration.as_millis();
    match ms % 1000 {
        0 => format!("{}s", ms / 1000),
        _ => format!("{ms}ms"),
    }
}

/// How long a heartbeat-fed check waits: three heartbeats (a process whose loop missed
/// three beats is stuck), in ms.
fn stale_after_ms(manifest: &Manifest) -> u64 {
    3 * manifest.app.heartbeat_ms
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn durations() {
        assert_eq!(duration_text(Duration::from_secs(10)), "10s");
        assert_eq!(duration_text(Duration::from_millis(1500)), "1500ms");
        assert_eq!(duration_text(Duration::ZERO), "0s");
    }

    #[test]
    fn dollars_doubled() {
        assert_eq!(dollars("a$b$$c${D}"), "a$$b$$$$c$${D}");
    }
}
