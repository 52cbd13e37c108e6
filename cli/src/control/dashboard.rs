//! The dashboard's files and `/api/live` (docs/control.md, "Dashboard"). The page, its
//! script and the browser client are compiled in, so the server is one file to deploy and
//! the client served is the repository's one copy, `bindings/js/dripdrop.js`.

use super::api::Answer;
use super::Server;
use dripdrop::{Message, Value};
use serde_json::json;

const PAGE: &str = include_str!("dashboard/index.html");
const SCRIPT: &str = include_str!("dashboard/dashboard.js");
const CLIENT: &str = include_str!("../../../bindings/js/dripdrop.js");

const HTML: &str = "text/html; charset=utf-8";
/// ES modules load only with a JavaScript type.
const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// The answer to a request for one of the dashboard's paths; `None` for any other request
/// (the API's to answer).
pub fn answer(server: &Server, request: &Message) -> Option<Answer> {
    let text = |key: &str| request.head_get(key).and_then(Value::as_str);
    if !matches!(text("http_method"), Some("GET" | "HEAD")) {
        return None;
    }
    let (content_type, body) = match text("http_path")? {
        "/" | "/index.html" => (HTML, PAGE.as_bytes().to_vec()),
        "/dashboard.js" => (JAVASCRIPT, SCRIPT.as_bytes().to_vec()),
        "/dripdrop.js" => (JAVASCRIPT, CLIENT.as_bytes().to_vec()),
        "/api/live" => {
            let host = request
                .head_get("http_headers")
                .and_then(|headers| headers.get("host"))
                .and_then(Value::as_str)
                .map(hostname)
                .unwrap_or("127.0.0.1");
            let (port, path) = (server.live.port, &server.live.path);
            let body = json!({
                "websocket": format!("ws://{host}:{port}{path}"),
                "port": port,
                "path": path,
            });
            ("application/json", body.to_string().into_bytes())
        }
        _ => return None,
    };
    Some(Answer {
        status: 200,
        content_type,
        body,
    })
}

/// The host of a `Host` header, without its port: the feed listens on the host the client
/// reached the API on (which works for a server bound to 0.0.0.0).
fn hostname(header: &str) -> &str {
    match header.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map_or(header, |(inside, _)| {
            &header[..inside.len() + 2] // with its brackets
        }),
        None => header.split(':').next().unwrap_or(header),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_header_loses_its_port() {
        assert_eq!(hostname("127.0.0.1:7680"), "127.0.0.1");
        assert_eq!(hostname("example.org"), "example.org");
        assert_eq!(hostname("[::1]:7680"), "[::1]");
        assert_eq!(hostname("[::1]"), "[::1]");
    }

    #[test]
    fn the_page_loads_the_client_and_its_script() {
        assert!(PAGE.contains("/dashboard.js"));
        assert!(SCRIPT.contains("from \"/dripdrop.js\""));
        assert!(CLIENT.contains("export class DripDropWebSocket"));
    }
}
