//! Writing a server's responses: status line, the few headers this server sends, body.

/// Whether the connection stays open after a response, and how the client is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Reuse {
    /// The connection stays open.
    pub(crate) keep_alive: bool,
    /// The request was HTTP/1.0 (keep-alive must then be said, close need not).
    pub(crate) http10: bool,
}

/// The reason phrase of the statuses this server sends (others get a generic one).
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ if status < 400 => "Other",
        _ => "Error",
    }
}

/// Appends a whole response to `out`; `head_only` (a HEAD request) leaves the body out
/// but keeps its length.
pub(crate) fn write_response(
    out: &mut Vec<u8>,
    status: u16,
    content_type: &str,
    body: &[u8],
    reuse: Reuse,
    head_only: bool,
) {
    let version = if reuse.http10 { "1.0" } else { "1.1" };
    let connection = match (reuse.keep_alive, reuse.http10) {
        (true, true) => "Connection: keep-alive\r\n",
        (true, false) => "",
        (false, _) => "Connection: close\r\n",
    };
    let head = format!(
        "HTTP/{version} {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         {connection}Cache-Control: no-store\r\n\r\n",
        reason(status),
        body.len(),
    );
    out.extend_from_slice(head.as_bytes());
    if !head_only {
        out.extend_from_slice(body);
    }
}

/// The interim answer to a client that waits before it sends its body.
pub(crate) const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_says_its_length_and_whether_the_connection_stays() {
        let mut out = Vec::new();
        let reuse = Reuse {
            keep_alive: true,
            http10: true,
        };
        write_response(&mut out, 404, "text/plain", b"gone", reuse, false);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.0 404 Not Found\r\n"), "{text}");
        assert!(text.contains("Content-Length: 4\r\n") && text.contains("keep-alive"));
        assert!(text.ends_with("\r\n\r\ngone"));
        let mut out = Vec::new();
        let close = Reuse {
            keep_alive: false,
            http10: false,
        };
        write_response(&mut out, 200, "a/b", b"body", close, true);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("Connection: close") && text.ends_with("\r\n\r\n"));
    }
}
