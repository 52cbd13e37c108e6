//! Reading a request head on the server side: the request line and headers (with
//! `httparse`), and from them how the body is framed and whether the connection is kept.

use super::body::Framing;
use super::MAX_HEADERS;

/// A request head, read.
#[derive(Debug)]
pub(crate) struct RequestHead {
    pub(crate) method: String,
    /// The path, without the query.
    pub(crate) path: String,
    /// The raw query string ("" if none).
    pub(crate) query: String,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub(crate) minor_version: u8,
    /// Header names lower-cased, values as sent (not UTF-8: replaced lossily).
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) framing: Framing,
    /// Whether the connection stays open after the response.
    pub(crate) keep_alive: bool,
    /// The client waits for `100 Continue` before sending its body.
    pub(crate) expects_continue: bool,
}

/// Why a head is refused, and the status it is refused with.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum HeadError {
    /// 431: the head is over the route's bound, or has too many headers.
    TooLarge,
    /// 400: not a request head, or framing that cannot be trusted.
    Malformed(String),
}

impl RequestHead {
    /// Whether this is a HEAD request (its response has no body).
    pub(crate) fn is_head(&self) -> bool {
        self.method == "HEAD"
    }
}

/// Reads a request head from the start of `input`: `Ok(None)` while it is incomplete (and
/// within `max_bytes`), else the head and how many bytes it took.
pub(crate) fn read_head(
    input: &[u8],
    max_bytes: usize,
) -> Result<Option<(RequestHead, usize)>, HeadError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let used = match request.parse(input) {
        Ok(httparse::Status::Complete(used)) if used > max_bytes => {
            return Err(HeadError::TooLarge)
        }
        Ok(httparse::Status::Complete(used)) => used,
        Ok(httparse::Status::Partial) if input.len() > max_bytes => {
            return Err(HeadError::TooLarge)
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(HeadError::TooLarge),
        Err(e) => return Err(HeadError::Malformed(format!("bad request head: {e}"))),
    };
    let method = request.method.unwrap_or_default().to_owned();
    let target = request.path.unwrap_or_default();
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, query),
        None => (target, ""),
    };
    if !path.starts_with('/') && target != "*" {
        return Err(HeadError::Malformed(format!(
            "request target {target:?} is not a path"
        )));
    }
    let minor_version = request.version.unwrap_or(1);
    let headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_ascii_lowercase(),
                String::from_utf8_lossy(h.value).trim().to_owned(),
            )
        })
        .collect();
    let framing = framing(&headers)?;
    let connection = header_tokens(&headers, "connection");
    let keep_alive = if minor_version == 0 {
        connection.iter().any(|t| t == "keep-alive")
    } else {
        !connection.iter().any(|t| t == "close")
    };
    let expects_continue = headers
        .iter()
        .any(|(n, v)| n == "expect" && v.eq_ignore_ascii_case("100-continue"));
    let head = RequestHead {
        method,
        path: path.to_owned(),
        query: query.to_owned(),
        minor_version,
        headers,
        framing,
        keep_alive,
        expects_continue,
    };
    Ok(Some((head, used)))
}

/// The comma-separated tokens of every header `name`, lower-cased.
fn header_tokens(headers: &[(String, String)], name: &str) -> Vec<String> {
    headers
        .iter()
        .filter(|(n, _)| n == name)
        .flat_map(|(_, v)| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect()
}

/// How the request's body is framed. Both Content-Length and Transfer-Encoding, Content-
/// Lengths that disagree, or a coding other than chunked are refused: a server and a proxy
/// in front of it that read such a request differently could be made to see two requests
/// where the other sees one (request smuggling).
fn framing(headers: &[(String, String)]) -> Result<Framing, HeadError> {
    let bad = |why: &str| Err(HeadError::Malformed(why.to_owned()));
    let codings = header_tokens(headers, "transfer-encoding");
    let lengths: Vec<&str> = headers
        .iter()
        .filter(|(n, _)| n == "content-length")
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .collect();
    if !codings.is_empty() {
        if !lengths.is_empty() {
            return bad("both Content-Length and Transfer-Encoding");
        }
        if codings != ["chunked"] {
            return bad("only Transfer-Encoding: chunked is understood");
        }
        return Ok(Framing::Chunked);
    }
    let Some(first) = lengths.first() else {
        return Ok(Framing::Empty);
    };
    if lengths.iter().any(|l| l != first) {
        return bad("Content-Length headers that disagree");
    }
    if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
        return bad("Content-Length is not a number");
    }
    match first.parse::<usize>() {
        Ok(0) => Ok(Framing::Empty),
        Ok(n) => Ok(Framing::Length(n)),
        // More digits than any size: over any bound.
        Err(_) => Ok(Framing::Length(usize::MAX)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Result<Option<(RequestHead, usize)>, HeadError> {
        read_head(text.as_bytes(), 1024)
    }

    #[test]
    fn a_head_is_read_with_its_query_headers_and_framing() {
        let (h, used) = head("GET /a/b?x=1&y HTTP/1.1\r\nHost: h\r\nX-Thing:  v \r\n\r\nrest")
            .unwrap()
            .unwrap();
        assert_eq!(
            used,
            "GET /a/b?x=1&y HTTP/1.1\r\nHost: h\r\nX-Thing:  v \r\n\r\n".len()
        );
        assert_eq!(
            (h.method.as_str(), h.path.as_str(), h.query.as_str()),
            ("GET", "/a/b", "x=1&y")
        );
        assert!(h.headers.contains(&("x-thing".to_owned(), "v".to_owned())));
        assert!(h.keep_alive && h.framing == Framing::Empty);
        let (h, _) = head("POST / HTTP/1.0\r\nContent-Length: 5\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(!h.keep_alive && h.framing == Framing::Length(5));
        let (h, _) =
            head("POST / HTTP/1.0\r\nConnection: Keep-Alive\r\nTransfer-Encoding: chunked\r\n\r\n")
                .unwrap()
                .unwrap();
        assert!(h.keep_alive && h.framing == Framing::Chunked);
        assert!(head("GET / HTTP/1.1\r\nHost: h\r\n").unwrap().is_none());
    }

    #[test]
    fn ambiguous_framing_and_large_heads_are_refused() {
        for bad in [
            "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: -3\r\n\r\n",
            "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            "GARBAGE\r\n\r\n",
        ] {
            assert!(matches!(head(bad), Err(HeadError::Malformed(_))), "{bad}");
        }
        let (h, _) = head("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(h.framing, Framing::Length(3));
        let long = format!("GET / HTTP/1.1\r\nX: {}\r\n", "a".repeat(2000));
        assert_eq!(head(&long).unwrap_err(), HeadError::TooLarge);
    }
}
