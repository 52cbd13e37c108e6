//! `dripdrop top`: the control server's picture of the processes in a terminal, refreshed
//! every `--interval`, or printed once (`--once`, scriptable; `--json` for the API's own
//! answer).

use serde_json::Value as Json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Show the processes a control server knows, with their states and routes
#[derive(Debug, clap::Args)]
pub struct Command {
    /// The control server's HTTP address (its --http)
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:7680")]
    control: String,
    /// Print one snapshot and exit
    #[arg(long)]
    once: bool,
    /// Print the API's JSON instead of a table (implies --once)
    #[arg(long)]
    json: bool,
    /// Seconds between refreshes
    #[arg(long, value_name = "S", default_value_t = 1.0)]
    interval: f64,
}

/// The longest answer read from the server: far more than 10,000 processes' rows need.
const MAX_ANSWER_BYTES: u64 = 64 << 20;

pub fn run(command: Command) -> Result<(), String> {
    let interval = Duration::try_from_secs_f64(command.interval)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or("--interval must be a positive number of seconds")?;
    loop {
        let body = get(&command.control, "/api/processes")?;
        if command.json {
            println!("{body}");
            return Ok(());
        }
        let processes: Json =
            serde_json::from_str(&body).map_err(|e| format!("the answer is not JSON: {e}"))?;
        let table = render(&processes);
        if command.once {
            print!("{table}");
            return Ok(());
        }
        // Clear the screen and draw again, as top does.
        print!("\x1b[H\x1b[2J{table}");
        std::io::stdout().flush().map_err(|e| e.to_string())?;
        std::thread::sleep(interval);
    }
}

/// `GET path` from `base` (`http://host:port`); the body of a 200 answer. A plain HTTP/1.0
/// request, written by hand rather than with a client crate: one request to a server of our
/// own, which answers with a length and closes.
fn get(base: &str, path: &str) -> Result<String, String> {
    let host = base
        .strip_prefix("http://")
        .map(|rest| rest.trim_end_matches('/'))
        .filter(|host| !host.is_empty() && !host.contains('/'))
        .ok_or_else(|| format!("--control {base:?} is not http://host:port"))?;
    let fail = |e: std::io::Error| format!("cannot reach the control server at {base}: {e}");
    let mut stream = TcpStream::connect(host).map_err(fail)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(fail)?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").map_err(fail)?;
    let mut answer = Vec::new();
    stream
        .take(MAX_ANSWER_BYTES)
        .read_to_end(&mut answer)
        .map_err(fail)?;
    let text = String::from_utf8(answer).map_err(|_| "the answer is not UTF-8".to_owned())?;
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or("the answer has no end of headers")?;
    let status = head.lines().next().unwrap_or_default();
    if status.split_whitespace().nth(1) != Some("200") {
        return Err(format!("{base}{path} answered {status:?}"));
    }
    Ok(body.to_owned())
}

/// The processes as a table: one line each, then one indented line per route.
fn render(processes: &Json) -> String {
    let rows = processes["processes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut out = format!(
        "{:<40} {:<16} {:<12} {:<8} {:>10}\n",
        "PROCESS", "ROLE", "STATE", "LANG", "LAST BEAT"
    );
    for process in &rows {
        let text = |key: &str| process[key].as_str().unwrap_or("-").to_owned();
        let ago = process["last_beat_ms_ago"]
            .as_u64()
            .map_or("-".to_owned(), |ms| format!("{:.1} s", ms as f64 / 1000.0));
        out.push_str(&format!(
            "{:<40} {:<16} {:<12} {:<8} {:>10}\n",
            text("id"),
            text("role"),
            text("state"),
            text("language"),
            ago
        ));
        for route in process["routes"].as_array().into_iter().flatten() {
            let count = |key: &str| route[key].as_u64().unwrap_or(0);
            let rate = |key: &str| route[key].as_f64().unwrap_or(0.0);
            out.push_str(&format!(
                "    {:<24} {:<18} in {:>10} ({:>8.1}/s)  out {:>10} ({:>8.1}/s)\n",
                route["name"].as_str().unwrap_or("-"),
                route["kind"].as_str().unwrap_or("-"),
                count("msgs_in"),
                rate("rate_in"),
                count("msgs_out"),
                rate("rate_out"),
            ));
        }
    }
    out.push_str(&format!("{} processes\n", rows.len()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_row_per_process_and_route() {
        let answer = serde_json::json!({"processes": [{
            "id": "h:1:ab", "role": "workers", "state": "up", "language": "ruby",
            "last_beat_ms_ago": 300,
            "routes": [{"name": "out", "kind": "zmq_push", "msgs_in": 0, "msgs_out": 10000,
                        "rate_in": 0.0, "rate_out": 512.5}]
        }]});
        let table = render(&answer);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 4, "{table}");
        assert!(lines[1].starts_with("h:1:ab") && lines[1].contains("workers"));
        assert!(lines[1].contains("up") && lines[1].contains("0.3 s"));
        assert!(
            lines[2].contains("out") && lines[2].contains("10000") && lines[2].contains("512.5/s")
        );
        assert_eq!(lines[3], "1 processes");
    }
}
