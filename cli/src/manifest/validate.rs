//! The checks a manifest passes before anything runs from it, each failing with the line and
//! the field: names the engines accept, every role's node known, every node in a role,
//! every host's role known, no port twice on one host, sane numbers.

use super::raw::{RawCommand, RawManifest, RawNode};
#[cfg(test)]
use super::Restart;
use super::{
    App, Manifest, ManifestError, NodeSpec, DEFAULT_HEARTBEAT_MS, DEFAULT_STOP_GRACE, MAX_NAME,
    MAX_REPLICAS,
};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;
use std::time::Duration;
use toml::Spanned;

/// The heartbeats a process may be given, in ms (as the control server accepts them).
const HEARTBEAT_MS: std::ops::RangeInclusive<u64> = 100..=600_000;
/// Variables the launcher sets for each process; a node may not set them itself, and the
/// launcher does not pass on its own (a launcher started by another must not hand its
/// DRIPDROP_RUN_LIST to a node that has none).
pub(crate) const RESERVED: [&str; 7] = [
    "DRIPDROP_APP",
    "DRIPDROP_NODE",
    "DRIPDROP_INSTANCE",
    "DRIPDROP_ROLE",
    "DRIPDROP_CONTROL",
    "DRIPDROP_HEARTBEAT_MS",
    "DRIPDROP_RUN_LIST",
];

/// Where errors point: the file's name and text.
struct Source<'a> {
    file: String,
    text: &'a str,
}

impl Source<'_> {
    fn line(&self, span: Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn error(&self, span: Range<usize>, field: String, message: String) -> ManifestError {
        ManifestError {
            file: self.file.clone(),
            line: Some(self.line(span)),
            field,
            message,
        }
    }
}

pub fn manifest(text: &str, path: &Path) -> Result<Manifest, ManifestError> {
    let source = Source {
        file: path.display().to_string(),
        text,
    };
    let raw: RawManifest = toml::from_str(text).map_err(|e| ManifestError {
        file: source.file.clone(),
        line: e.span().map(|span| source.line(span)),
        field: String::new(),
        message: e.message().trim_end().to_owned(),
    })?;
    let app = app(&source, &raw)?;
    if raw.nodes.is_empty() {
        return Err(source.error(
            raw.app.span(),
            "nodes".into(),
            "no [nodes.NAME] table: the app has nothing to run".into(),
        ));
    }
    let mut nodes = BTreeMap::new();
    for (name, spec) in &raw.nodes {
        check_name(&source, name, "nodes")?;
        let node = node(&source, &app, name, spec)?;
        nodes.insert(name.get_ref().clone(), node);
    }
    let roles = roles(&source, &raw, &nodes)?;
    let hosts = hosts(&source, &raw, &roles)?;
    ports(&source, &raw, &roles, &hosts)?;
    Ok(Manifest {
        path: path.to_owned(),
        app,
        nodes,
        roles,
        hosts,
    })
}

fn app(source: &Source, raw: &RawManifest) -> Result<App, ManifestError> {
    let app = raw.app.get_ref();
    check_name(source, &app.name, "app.name")?;
    if let Some(control) = &app.control {
        if !control.get_ref().contains("://") {
            return Err(source.error(
                control.span(),
                "app.control".into(),
                format!(
                    "{:?} is not a ZeroMQ address (tcp://host:port)",
                    control.get_ref()
                ),
            ));
        }
    }
    let heartbeat_ms = match &app.heartbeat_ms {
        Some(ms) if !HEARTBEAT_MS.contains(ms.get_ref()) => {
            return Err(source.error(
                ms.span(),
                "app.heartbeat_ms".into(),
                format!(
                    "{} is outside {}..={}",
                    ms.get_ref(),
                    HEARTBEAT_MS.start(),
                    HEARTBEAT_MS.end()
                ),
            ))
        }
        Some(ms) => *ms.get_ref(),
        None => DEFAULT_HEARTBEAT_MS,
    };
    Ok(App {
        image: app.image.as_ref().map(|i| i.get_ref().clone()),
        name: app.name.get_ref().clone(),
        control: app.control.as_ref().map(|c| c.get_ref().clone()),
        heartbeat_ms,
    })
}

fn node(
    source: &Source,
    app: &App,
    name: &Spanned<String>,
    spec: &Spanned<RawNode>,
) -> Result<NodeSpec, ManifestError> {
    let raw = spec.get_ref();
    let field = |key: &str| format!("nodes.{}.{key}", name.get_ref());
    let command_span = raw.command.span();
    let argv = match raw.command.get_ref() {
        RawCommand::Line(line) => shlex::split(line).ok_or_else(|| {
            source.error(
                command_span.clone(),
                field("command"),
                "unbalanced quotes or a trailing backslash".into(),
            )
        })?,
        RawCommand::Arguments(argv) => argv.clone(),
    };
    if argv.first().is_none_or(|program| program.is_empty()) {
        return Err(source.error(
            command_span,
            field("command"),
            "empty: name a program to run".into(),
        ));
    }
    let replicas = match &raw.replicas {
        Some(n) if !(1..=MAX_REPLICAS).contains(n.get_ref()) => {
            return Err(source.error(
                n.span(),
                field("replicas"),
                format!("{} is outside 1..={MAX_REPLICAS}", n.get_ref()),
            ))
        }
        Some(n) => *n.get_ref(),
        None => 1,
    };
    for key in raw.env.keys() {
        let text = key.get_ref();
        let why = if RESERVED.contains(&text.as_str()) {
            Some("set by the launcher for each process; not settable here")
        } else if text.is_empty() || text.contains('=') || text.contains('\0') {
            Some("not a variable name")
        } else {
            None
        };
        if let Some(why) = why {
            return Err(source.error(key.span(), field(&format!("env.{text}")), why.into()));
        }
    }
    let image = raw
        .image
        .as_ref()
        .map(|i| i.get_ref().clone())
        .or_else(|| app.image.clone())
        .unwrap_or_else(|| format!("{}:latest", app.name));
    Ok(NodeSpec {
        name: name.get_ref().clone(),
        argv,
        replicas,
        env: raw
            .env
            .iter()
            .map(|(k, v)| (k.get_ref().clone(), v.clone()))
            .collect(),
        run_list: raw.run_list.clone(),
        ports: raw.ports.iter().map(|p| *p.get_ref()).collect(),
        image,
        stop_grace: raw.stop_grace_ms.as_ref().map_or(DEFAULT_STOP_GRACE, |ms| {
            Duration::from_millis(*ms.get_ref())
        }),
        restart: raw.restart.unwrap_or_default(),
        command_line: source.line(raw.command.span()),
    })
}

fn roles(
    source: &Source,
    raw: &RawManifest,
    nodes: &BTreeMap<String, NodeSpec>,
) -> Result<BTreeMap<String, Vec<String>>, ManifestError> {
    let mut roles = BTreeMap::new();
    for (role, members) in &raw.roles {
        check_name(source, role, "roles")?;
        for member in members {
            if !nodes.contains_key(member.get_ref()) {
                return Err(source.error(
                    member.span(),
                    format!("roles.{}", role.get_ref()),
                    format!(
                        "no node {:?} (nodes: {})",
                        member.get_ref(),
                        nodes.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
        let names: Vec<String> = members.iter().map(|m| m.get_ref().clone()).collect();
        roles.insert(role.get_ref().clone(), names);
    }
    for (name, spec) in &raw.nodes {
        let in_a_role = roles
            .values()
            .any(|members: &Vec<String>| members.contains(name.get_ref()));
        if !in_a_role {
            return Err(source.error(
                spec.span(),
                format!("nodes.{}", name.get_ref()),
                "in no role: no launcher would run it (add it to a role in [roles])".into(),
            ));
        }
    }
    Ok(roles)
}

fn hosts(
    source: &Source,
    raw: &RawManifest,
    roles: &BTreeMap<String, Vec<String>>,
) -> Result<BTreeMap<String, Vec<String>>, ManifestError> {
    let mut hosts = BTreeMap::new();
    for (host, host_roles) in &raw.hosts {
        for role in host_roles {
            if !roles.contains_key(role.get_ref()) {
                return Err(source.error(
                    role.span(),
                    format!("hosts.{}", host.get_ref()),
                    format!(
                        "no role {:?} (roles: {})",
                        role.get_ref(),
                        roles.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
        let names = host_roles.iter().map(|r| r.get_ref().clone()).collect();
        hosts.insert(host.get_ref().clone(), names);
    }
    if !hosts.is_empty() {
        for role in raw.roles.keys() {
            if !hosts
                .values()
                .any(|roles: &Vec<String>| roles.contains(role.get_ref()))
            {
                return Err(source.error(
                    role.span(),
                    format!("roles.{}", role.get_ref()),
                    "on no host in [hosts]: no launcher given --host would run it".into(),
                ));
            }
        }
    }
    Ok(hosts)
}

/// No port twice on one host: two nodes with the same port, or one fixed port with more
/// than one replica, on the roles of one host. Without `[hosts]`, any roles may share a
/// machine, so the check covers them all.
fn ports(
    source: &Source,
    raw: &RawManifest,
    roles: &BTreeMap<String, Vec<String>>,
    hosts: &BTreeMap<String, Vec<String>>,
) -> Result<(), ManifestError> {
    let every_role: Vec<String> = roles.keys().cloned().collect();
    let groups: Vec<(&str, &[String])> = match hosts.is_empty() {
        true => vec![("one machine", every_role.as_slice())],
        false => hosts
            .iter()
            .map(|(host, roles)| (host.as_str(), roles.as_slice()))
            .collect(),
    };
    for (host, host_roles) in groups {
        let nodes: BTreeSet<&String> = host_roles.iter().flat_map(|r| &roles[r]).collect();
        let mut taken: BTreeMap<u16, &str> = BTreeMap::new();
        for (name, spec) in &raw.nodes {
            if !nodes.contains(name.get_ref()) {
                continue;
            }
            let replicas = spec.get_ref().replicas.as_ref().map_or(1, |r| *r.get_ref());
            for port in &spec.get_ref().ports {
                let field = format!("nodes.{}.ports", name.get_ref());
                let number = *port.get_ref();
                if number == 0 {
                    continue; // picked by the system: never a clash
                }
                if replicas > 1 {
                    return Err(source.error(
                        port.span(),
                        field,
                        format!(
                            "port {number} with {replicas} replicas on {host}: each replica \
                             would listen on it"
                        ),
                    ));
                }
                if let Some(other) = taken.insert(number, name.get_ref()) {
                    return Err(source.error(
                        port.span(),
                        field,
                        format!("port {number} is node {other}'s too, on {host}"),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A name the engines accept as a unit, service and object name.
fn check_name(source: &Source, name: &Spanned<String>, field: &str) -> Result<(), ManifestError> {
    let text = name.get_ref();
    let fine = !text.is_empty()
        && text.len() <= MAX_NAME
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-');
    if fine {
        return Ok(());
    }
    Err(source.error(
        name.span(),
        field.to_owned(),
        format!(
            "{text:?} is not a name systemd, Compose and Kubernetes all accept: lowercase \
             letters, digits and inner dashes, at most {MAX_NAME}"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[app]
name = "loadtest"
control = "tcp://control-host:7600"

[nodes.workers]
command = "http_load worker --connect 'tcp://control-host:2100'"
replicas = 4
env = { RUST_LOG = "info" }

[nodes.control]
command = ["http_load", "control", "--url", "http://app:8080/"]
run_list = ["control"]
ports = [2100]
restart = "on-failure"

[roles]
load = ["workers"]
coordinator = ["control"]

[hosts]
"load-1" = ["load"]
"coord-1" = ["coordinator"]
"#;

    fn parse(text: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse(text, Path::new("dripdrop.toml"))
    }

    fn error(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn a_good_manifest_reads_whole() {
        let m = parse(GOOD).unwrap();
        assert_eq!(m.app.name, "loadtest");
        assert_eq!(m.app.heartbeat_ms, 1000);
        let workers = &m.nodes["workers"];
        assert_eq!(
            workers.argv,
            [
                "http_load",
                "worker",
                "--connect",
                "tcp://control-host:2100"
            ]
        );
        assert_eq!(workers.replicas, 4);
        assert_eq!(workers.image, "loadtest:latest");
        assert_eq!(workers.command_line, 7);
        assert_eq!(m.nodes["control"].run_list, ["control"]);
        assert_eq!(m.nodes["control"].restart, Restart::OnFailure);
        assert_eq!(workers.restart, Restart::Always);
        assert_eq!(m.roles_of("control"), ["coordinator"]);
        assert_eq!(m.hosts["load-1"], ["load"]);
        let roles = m.pick_roles(&[], Some("load-1")).unwrap();
        assert_eq!(roles, ["load"]);
        let env = m.environment(workers, 2, "load");
        let get = |k: &str| {
            env.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("DRIPDROP_INSTANCE"), Some("2"));
        assert_eq!(get("DRIPDROP_CONTROL"), Some("tcp://control-host:7600"));
        assert_eq!(get("RUST_LOG"), Some("info"));
        assert_eq!(get("DRIPDROP_RUN_LIST"), None);
    }

    #[test]
    fn errors_name_the_line_and_the_field() {
        let unknown_node = GOOD.replace(r#"load = ["workers"]"#, r#"load = ["workerz"]"#);
        assert_eq!(
            error(&unknown_node),
            "dripdrop.toml:18: roles.load: no node \"workerz\" (nodes: control, workers)"
        );
        let no_role = GOOD.replace(r#"coordinator = ["control"]"#, "");
        assert_eq!(
            error(&no_role),
            "dripdrop.toml:11: nodes.control: in no role: no launcher would run it (add it to \
             a role in [roles])"
        );
        let unknown_role = GOOD.replace(r#""load-1" = ["load"]"#, r#""load-1" = ["lode"]"#);
        assert!(error(&unknown_role)
            .starts_with("dripdrop.toml:22: hosts.load-1: no role \"lode\" (roles: "));
        let replicated_port = GOOD.replace("ports = [2100]", "ports = [2100]\nreplicas = 2");
        assert!(error(&replicated_port)
            .starts_with("dripdrop.toml:14: nodes.control.ports: port 2100 with 2 replicas"));
        let shared_port = GOOD
            .replace("replicas = 4", "replicas = 1\nports = [2100]")
            .replace(
                r#""load-1" = ["load"]"#,
                r#""load-1" = ["load", "coordinator"]"#,
            );
        assert_eq!(
            error(&shared_port),
            "dripdrop.toml:9: nodes.workers.ports: port 2100 is node control's too, on load-1"
        );
        let hostless = GOOD.replace("\"coord-1\" = [\"coordinator\"]\n", "");
        assert_eq!(
            error(&hostless),
            "dripdrop.toml:19: roles.coordinator: on no host in [hosts]: no launcher given \
             --host would run it"
        );
        let typo = GOOD.replace("replicas = 4", "replica = 4");
        assert!(
            error(&typo).starts_with("dripdrop.toml:8: unknown field `replica`"),
            "{}",
            error(&typo)
        );
        let bad_name = GOOD.replace("[nodes.workers]", "[nodes.Workers]");
        assert!(error(&bad_name).starts_with("dripdrop.toml:6: nodes: \"Workers\" is not a name"));
        let reserved = GOOD.replace("RUST_LOG", "DRIPDROP_ROLE");
        assert!(error(&reserved)
            .starts_with("dripdrop.toml:9: nodes.workers.env.DRIPDROP_ROLE: set by the launcher"));
        let quotes = GOOD.replace("'tcp://control-host:2100'", "'tcp://control-host:2100");
        assert!(error(&quotes).starts_with("dripdrop.toml:7: nodes.workers.command: unbalanced"));
    }

    #[test]
    fn ports_clash_only_on_one_host() {
        // The two nodes share a port but, with [hosts], run on different machines; without
        // [hosts] they may share one.
        let apart = GOOD.replace("replicas = 4", "ports = [2100]");
        parse(&apart).unwrap();
        let anywhere = &apart[..apart.find("[hosts]").unwrap()];
        assert!(error(anywhere).contains("port 2100 is node control's too, on one machine"));
    }

    #[test]
    fn a_missing_program_is_named_with_its_line() {
        let m = parse(&GOOD.replace("http_load worker", "no-such-program-here worker")).unwrap();
        let err = m
            .check_commands([&m.nodes["workers"]])
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "dripdrop.toml:7: nodes.workers.command: no program \"no-such-program-here\" (not a \
             file here, nor on PATH)"
        );
        let sh = parse(&GOOD.replace("http_load worker", "sh -c")).unwrap();
        assert!(sh.program(&sh.nodes["workers"]).is_some());
    }
}
