//! The systemd export: `APP.target` for the whole app, `APP-ROLE.target` per role (wanting
//! each process of its nodes), and a template unit `APP-NODE@.service` per node whose
//! instance (`%i`) is the process's number. Every process is `Type=notify`: the core's loop
//! tells systemd READY=1 when it runs and WATCHDOG=1 as it turns, so a stuck loop is killed
//! and restarted by systemd itself.

use super::{duration_text, first_role, object_name, stale_after_ms, File};
use crate::manifest::{Manifest, NodeSpec, Restart};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

pub fn files(manifest: &Manifest) -> Result<Vec<File>, String> {
    let app = &manifest.app.name;
    let header = format!(
        "# Made by `dripdrop export systemd` from {:?}: change that file and export again.\n",
        manifest.path.display().to_string()
    );
    let mut files = vec![(
        format!("{app}.target"),
        format!(
            "{header}# Enable it with the role targets this machine runs; it starts and stops them.\n\
             [Unit]\n\
             Description=DripDrop app {app}\n\
             \n\
             [Install]\n\
             WantedBy=multi-user.target\n"
        ),
    )];
    for (role, nodes) in &manifest.roles {
        let mut unit = format!(
            "{header}[Unit]\n\
             Description=DripDrop app {app}: role {role}\n\
             PartOf={app}.target\n"
        );
        for name in nodes {
            let node = &manifest.nodes[name];
            let instances: Vec<String> = (1..=node.replicas)
                .map(|i| format!("{}@{i}.service", object_name(manifest, node)))
                .collect();
            unit.push_str(&format!("Wants={}\n", instances.join(" ")));
        }
        unit.push_str(&format!("\n[Install]\nWantedBy={app}.target\n"));
        files.push((format!("{app}-{role}.target"), unit));
    }
    let dir = manifest_dir(manifest)?;
    for node in manifest.nodes.values() {
        files.push((
            format!("{}@.service", object_name(manifest, node)),
            service(manifest, node, &dir, &header)?,
        ));
    }
    Ok(files)
}

/// The template unit of `node`: one process per instance.
fn service(
    manifest: &Manifest,
    node: &NodeSpec,
    dir: &Path,
    header: &str,
) -> Result<String, String> {
    let app = &manifest.app.name;
    let roles = manifest.roles_of(&node.name);
    let role_targets: Vec<String> = roles.iter().map(|r| format!("{app}-{r}.target")).collect();
    let mut unit = format!(
        "{header}[Unit]\n\
         Description=DripDrop app {app}: node {node}, process %i\n\
         PartOf={app}.target {parts}\n\
         \n\
         [Service]\n\
         Type=notify\n\
         NotifyAccess=main\n\
         WatchdogSec={watchdog}s\n\
         Restart={restart}\n\
         KillSignal=SIGTERM\n\
         TimeoutStopSec={stop}\n\
         WorkingDirectory=-{dir}\n",
        node = node.name,
        parts = role_targets.join(" "),
        watchdog = watchdog_seconds(manifest),
        restart = restart(node.restart),
        // 0 would turn the timeout off, where the manifest means "SIGKILL at once".
        stop = duration_text(node.stop_grace.max(Duration::from_millis(1))),
        dir = setting_path(dir)?,
    );
    for (key, value) in manifest.environment(node, 1, first_role(manifest, node)) {
        if !name_ok(&key) {
            return Err(format!(
                "nodes.{}.env.{key}: systemd takes only variable names of letters, digits and \
                 _ that do not start with a digit",
                node.name
            ));
        }
        let line = match key.as_str() {
            // The instance's number, which systemd puts in for %i.
            "DRIPDROP_INSTANCE" => format!("Environment={key}=%i\n"),
            _ => format!("Environment={}\n", word(&format!("{key}={value}"), false)),
        };
        unit.push_str(&line);
    }
    let argv = exec_argv(node, dir)?;
    let words: Vec<String> = argv
        .iter()
        .enumerate()
        // The program is taken literally (no $ substitution); its arguments are not.
        .map(|(i, arg)| word(arg, i > 0))
        .collect();
    unit.push_str(&format!("ExecStart={}\n", words.join(" ")));
    unit.push_str(&format!(
        "\n[Install]\nWantedBy={}\n",
        role_targets.join(" ")
    ));
    Ok(unit)
}

/// A path as `WorkingDirectory=` reads it: the rest of the line, unquoted, with specifiers
/// (`%%` is a `%`); a line cannot hold a control character, nor end in a space it keeps.
fn setting_path(path: &Path) -> Result<String, String> {
    let text = path.display().to_string();
    if text.chars().any(|c| c.is_control()) || text.ends_with(char::is_whitespace) {
        return Err(format!(
            "the manifest's directory {text:?} cannot be written in a unit file"
        ));
    }
    Ok(text.replace('%', "%%"))
}

/// systemd's `Restart=` for the manifest's restart.
fn restart(restart: Restart) -> &'static str {
    match restart {
        Restart::Always => "always",
        Restart::OnFailure => "on-failure",
        Restart::Never => "no",
    }
}

/// `WatchdogSec=`: three heartbeats, in whole seconds rounded up, at least 1. The loop sends
/// WATCHDOG=1 every half of it.
fn watchdog_seconds(manifest: &Manifest) -> u64 {
    stale_after_ms(manifest).div_ceil(1000).max(1)
}

/// The manifest's directory, absolute: relative programs are found from it, and processes
/// run in it (as the launcher finds them), so the units expect the app at the same path on
/// the machine that runs them.
fn manifest_dir(manifest: &Manifest) -> Result<PathBuf, String> {
    let dir = match manifest.path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::canonicalize(dir).map_err(|e| format!("cannot resolve {}: {e}", dir.display()))
}

/// The command systemd runs. systemd wants the program as an absolute path (older versions
/// take nothing else): a path with a `/` is made absolute from the manifest's directory; a
/// bare name is run through `/usr/bin/env`, which looks it up on the service's PATH on the
/// machine that runs it (systemd's default, or a PATH the node's env sets) rather than on
/// this one's.
fn exec_argv(node: &NodeSpec, dir: &Path) -> Result<Vec<String>, String> {
    let program = &node.argv[0];
    let mut argv = Vec::with_capacity(node.argv.len() + 1);
    if program.starts_with('/') {
        argv.push(program.clone());
    } else if program.contains('/') {
        argv.push(normalized(&dir.join(program)).display().to_string());
    } else if program.starts_with('-') || program.contains('=') {
        // env would read it as an option or a variable to set.
        return Err(format!(
            "nodes.{}.command: program {program:?} cannot be run through /usr/bin/env; name it \
             with a path (./{program})",
            node.name
        ));
    } else {
        argv.push("/usr/bin/env".into());
        argv.push(program.clone());
    }
    argv.extend(node.argv[1..].iter().cloned());
    Ok(argv)
}

/// `path` without `.` and `..` components, which systemd refuses in an executable's path
/// (`..` taken lexically: the manifest's directory is already free of symbolic links).
fn normalized(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            part => out.push(part),
        }
    }
    out
}

/// A variable name systemd accepts (env_name_is_valid): letters, digits and `_`, not first
/// a digit; others it ignores with a warning.
fn name_ok(name: &str) -> bool {
    !name.starts_with(|c: char| c.is_ascii_digit())
        && !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `text` as one word of a unit-file setting (`ExecStart=`, `Environment=`), following
/// systemd.service's "Command lines" and systemd.exec's `Environment=`: words split at
/// whitespace unless double-quoted; inside quotes C-style escapes are read (`\"`, `\\`,
/// `\n`, `\xNN`); `%` starts a specifier everywhere (`%%` is a `%`); and on a command line,
/// `$` starts a variable (`$$` is a `$`), which `Environment=` does not read. Text of only
/// letters, digits and `_./:,=@+-` is written as it is; anything else is quoted and escaped.
pub fn word(text: &str, command_argument: bool) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:,=@+-".contains(c));
    if plain {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '%' => out.push_str("%%"),
            '$' if command_argument => out.push_str("$$"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            // Other control characters: a unit file is read line by line, as text.
            c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_stay_plain() {
        assert_eq!(word("http_load", true), "http_load");
        assert_eq!(word("--connect", true), "--connect");
        assert_eq!(word("tcp://10.0.0.1:2100", true), "tcp://10.0.0.1:2100");
        assert_eq!(word("KEY=a,b@c+d", false), "KEY=a,b@c+d");
    }

    #[test]
    fn quoted_per_systemd_rules() {
        assert_eq!(word("", true), r#""""#);
        assert_eq!(word("a b", true), r#""a b""#);
        assert_eq!(word(r#"say "hi""#, true), r#""say \"hi\"""#);
        assert_eq!(word(r"back\slash", true), r#""back\\slash""#);
        // Specifiers everywhere, variables only on command lines.
        assert_eq!(word("100%", false), r#""100%%""#);
        assert_eq!(word("%i", true), r#""%%i""#);
        assert_eq!(word("$HOME", true), r#""$$HOME""#);
        assert_eq!(word("A=$HOME", false), r#""A=$HOME""#);
        // A lone semicolon separates commands unless quoted.
        assert_eq!(word(";", true), r#"";""#);
        assert_eq!(word("'single'", true), r#""'single'""#);
        assert_eq!(word("l1\nl2\tt\r", true), r#""l1\nl2\tt\r""#);
        assert_eq!(word("\u{1}\u{7f}", true), r#""\x01\x7f""#);
        assert_eq!(word("ünï ✓", true), "\"ünï ✓\"");
    }

    #[test]
    fn paths_normalized() {
        let dir = Path::new("/srv/app");
        assert_eq!(
            normalized(&dir.join("./bin/x")),
            Path::new("/srv/app/bin/x")
        );
        assert_eq!(normalized(&dir.join("../lib/./y")), Path::new("/srv/lib/y"));
    }

    #[test]
    fn names() {
        assert!(name_ok("RUST_LOG"));
        assert!(name_ok("_x1"));
        assert!(!name_ok("1x"));
        assert!(!name_ok("my-var"));
        assert!(!name_ok("a.b"));
        assert!(!name_ok(""));
    }
}
