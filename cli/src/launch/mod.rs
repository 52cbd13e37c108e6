//! `dripdrop launch [--role R…] [--host H] dripdrop.toml`: starts this machine's part of an
//! app (docs/deploy.md, "The launcher") and keeps it running: every instance of the nodes of
//! the roles named, restarted per its node's policy, its output prefixed with its name, each
//! start and exit reported to the app's control server, all stopped on SIGTERM or SIGINT.

mod child;
mod logs;
mod report;
mod restart;
mod signals;
mod supervisor;

use crate::manifest::{Manifest, Selection, RESERVED};
use child::Program;
use clap::Args;
use logs::say;
use report::Reporter;
use signals::SignalEvents;
use std::path::Path;
use supervisor::{Instance, Outcome, Supervisor};

/// Start this machine's roles of a manifest and keep them running
#[derive(Debug, Args)]
pub struct Command {
    #[command(flatten)]
    selection: Selection,
}

pub fn run(command: Command) -> Result<(), String> {
    let manifest = command.selection.load()?;
    let roles = command.selection.roles_checked(&manifest)?;
    let instances = instances(&manifest, &roles)?;
    // Listening before the first child starts, so no exit is missed.
    let signals = SignalEvents::start().map_err(|e| format!("cannot handle signals: {e}"))?;
    let reporter = manifest.app.control.as_deref().and_then(|control| {
        Reporter::connect(control, &manifest.app.name)
            .inspect_err(|e| say(&format!("cannot report to {control} ({e}): not reporting")))
            .ok()
    });
    say(&format!(
        "app {}, roles {}: {}; reports to {}",
        manifest.app.name,
        roles.join(", "),
        logs::processes(instances.len()),
        reporter
            .as_ref()
            .map_or("no control server", |r| r.endpoint())
    ));
    match Supervisor::new(instances, reporter, signals).run() {
        Outcome::Stopped { killed } if killed.is_empty() => Ok(()),
        Outcome::Stopped { killed } => Err(format!(
            "launch: stopped, but {} had to be killed (SIGKILL) after their stop grace",
            killed.join(", ")
        )),
        Outcome::Finished { failed, flapping } if failed.is_empty() && flapping.is_empty() => {
            say("every process ended and none is to be restarted");
            Ok(())
        }
        Outcome::Finished { failed, flapping } => {
            let mut why = Vec::new();
            if !flapping.is_empty() {
                why.push(format!("{} flapping (given up)", flapping.join(", ")));
            }
            if !failed.is_empty() {
                why.push(format!("{} failed", failed.join(", ")));
            }
            Err(format!("launch: every process ended: {}", why.join("; ")))
        }
    }
}

/// Every instance of the nodes of `roles`, in the manifest's order of roles and nodes.
fn instances(manifest: &Manifest, roles: &[String]) -> Result<Vec<Instance>, String> {
    let directory = match manifest.path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let cwd =
        std::path::absolute(directory).map_err(|e| format!("{}: {e}", directory.display()))?;
    let mut instances = Vec::new();
    for (node, role) in manifest.nodes_of(roles) {
        let program = manifest
            .program(node)
            .ok_or_else(|| format!("no program {:?}", node.argv[0]))?;
        // Absolute, so that starting it in `cwd` cannot change which file it is.
        let path =
            std::path::absolute(&program).map_err(|e| format!("{}: {e}", program.display()))?;
        for instance in 1..=node.replicas {
            let env = manifest.environment(node, instance, role);
            let unset = RESERVED
                .iter()
                .filter(|name| env.iter().all(|(key, _)| key != *name))
                .map(|name| (*name).to_owned())
                .collect();
            let program = Program {
                name: format!("{}.{instance}", node.name),
                node: node.name.clone(),
                instance,
                role: role.to_owned(),
                path: path.clone(),
                arg0: node.argv[0].clone(),
                args: node.argv[1..].to_vec(),
                env,
                unset,
                cwd: cwd.clone(),
            };
            instances.push(Instance::new(program, node.restart, node.stop_grace));
        }
    }
    Ok(instances)
}
