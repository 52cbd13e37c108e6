//! The client side of HTTP/1.1: writing a request, and reading its response as it arrives
//! (framed by Content-Length, chunks, or the server closing), within the route's bounds.

use super::body::{BodyError, BodyReader, Framing};
use super::MAX_HEADERS;

/// The bytes of a POST of `body` (JSON) to `path` on `host`.
pub(crate) fn write_request(host: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Accept: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut bytes = Vec::with_capacity(head.len() + body.len());
    bytes.extend_from_slice(head.as_bytes());
    bytes.extend_from_slice(body);
    bytes
}

/// A whole response.
#[derive(Debug)]
pub(crate) struct HttpResponse {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
    /// Whether the connection may carry the next request.
    pub(crate) reusable: bool,
}

/// Why a response could not be read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ResponseError {
    /// Over `max_header_bytes` or `max_frame_bytes`.
    TooLarge(&'static str),
    /// Not an HTTP response.
    Malformed(String),
    /// The server closed before the response was whole.
    Cut,
}

/// Where the reading of a response is.
#[derive(Debug)]
enum Reading {
    Head,
    Body {
        status: u16,
        body: BodyReader,
        reusable: bool,
    },
}

/// A response being read.
#[derive(Debug)]
pub(crate) struct ResponseReader {
    reading: Reading,
    max_header_bytes: usize,
    max_body_bytes: usize,
}

impl ResponseReader {
    pub(crate) fn new(max_header_bytes: usize, max_body_bytes: usize) -> Self {
        ResponseReader {
            reading: Reading::Head,
            max_header_bytes,
            max_body_bytes,
        }
    }

    /// Takes what it can of `input` (removing it); the response once it is whole.
    pub(crate) fn feed(
        &mut self,
        input: &mut Vec<u8>,
    ) -> Result<Option<HttpResponse>, ResponseError> {
        loop {
            match &mut self.reading {
                Reading::Head => {
                    let Some((head, used)) = read_head(input, self.max_header_bytes)? else {
                        return Ok(None);
                    };
                    input.drain(..used);
                    // An interim response (100 Continue...) comes before the real one.
                    if (100..200).contains(&head.status) {
                        continue;
                    }
                    let body = BodyReader::new(head.framing, self.max_body_bytes)
                        .map_err(|_| ResponseError::TooLarge("the response body"))?;
                    self.reading = Reading::Body {
                        status: head.status,
                        body,
                        reusable: head.reusable,
                    };
                }
                Reading::Body { body, .. } => {
                    let (used, done) = body.feed(input).map_err(body_error)?;
                    input.drain(..used);
                    if !done {
                        return Ok(None);
                    }
                    return Ok(Some(self.finish()));
                }
            }
        }
    }

    /// The server closed: a body read until then is whole; anything else was cut short.
    pub(crate) fn at_close(&mut self) -> Result<HttpResponse, ResponseError> {
        match &self.reading {
            Reading::Body { body, .. } if body.ends_at_close() => Ok(self.finish()),
            _ => Err(ResponseError::Cut),
        }
    }

    /// Whether any of a response was read.
    pub(crate) fn started(&self) -> bool {
        matches!(self.reading, Reading::Body { .. })
    }

    fn finish(&mut self) -> HttpResponse {
        let Reading::Body {
            status,
            body,
            reusable,
        } = std::mem::replace(&mut self.reading, Reading::Head)
        else {
            unreachable!("finishing a body")
        };
        HttpResponse {
            status,
            reusable: reusable && !body.ends_at_close(),
            body: body.into_body(),
        }
    }
}

fn body_error(error: BodyError) -> ResponseError {
    match error {
        BodyError::TooLarge => ResponseError::TooLarge("the response body"),
        BodyError::Malformed(why) => ResponseError::Malformed(why.to_owned()),
    }
}

struct ResponseHead {
    status: u16,
    framing: Framing,
    reusable: bool,
}

fn read_head(
    input: &[u8],
    max_bytes: usize,
) -> Result<Option<(ResponseHead, usize)>, ResponseError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let used = match response.parse(input) {
        Ok(httparse::Status::Complete(used)) if used <= max_bytes => used,
        Ok(httparse::Status::Partial) if input.len() <= max_bytes => return Ok(None),
        Ok(_) | Err(httparse::Error::TooManyHeaders) => {
            return Err(ResponseError::TooLarge("the response head"))
        }
        Err(e) => return Err(ResponseError::Malformed(format!("bad response head: {e}"))),
    };
    let status = response.code.unwrap_or_default();
    let tokens = |name: &str| -> Vec<String> {
        response
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .flat_map(|h| {
                String::from_utf8_lossy(h.value)
                    .split(',')
                    .map(|t| t.trim().to_ascii_lowercase())
                    .collect::<Vec<_>>()
            })
            .filter(|t| !t.is_empty())
            .collect()
    };
    let connection = tokens("connection");
    let reusable = match response.version {
        Some(0) => connection.iter().any(|t| t == "keep-alive"),
        _ => !connection.iter().any(|t| t == "close"),
    };
    let codings = tokens("transfer-encoding");
    let lengths = tokens("content-length");
    let framing = if status == 204 || status == 304 || (100..200).contains(&status) {
        Framing::Empty
    } else if !codings.is_empty() {
        if codings.last().map(String::as_str) != Some("chunked") {
            return Err(ResponseError::Malformed(
                "a body coding other than chunked".into(),
            ));
        }
        Framing::Chunked
    } else if let Some(first) = lengths.first() {
        if lengths.iter().any(|l| l != first) {
            return Err(ResponseError::Malformed(
                "Content-Length headers that disagree".into(),
            ));
        }
        match first.parse::<usize>() {
            Ok(0) => Framing::Empty,
            Ok(n) => Framing::Length(n),
            Err(_) if first.bytes().all(|b| b.is_ascii_digit()) => Framing::Length(usize::MAX),
            Err(_) => {
                return Err(ResponseError::Malformed(
                    "Content-Length is not a number".into(),
                ))
            }
        }
    } else {
        Framing::UntilClose
    };
    Ok(Some((
        ResponseHead {
            status,
            framing,
            reusable,
        },
        used,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(wire: &[u8], piece: usize) -> Result<HttpResponse, ResponseError> {
        let mut reader = ResponseReader::new(1024, 1024);
        let mut input = Vec::new();
        for bytes in wire.chunks(piece) {
            input.extend_from_slice(bytes);
            if let Some(response) = reader.feed(&mut input)? {
                return Ok(response);
            }
        }
        reader.at_close()
    }

    #[test]
    fn responses_are_read_however_they_are_framed() {
        for piece in [1, 5, 1000] {
            let r = read_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", piece).unwrap();
            assert_eq!(
                (r.status, r.body.as_slice(), r.reusable),
                (200, &b"hi"[..], true)
            );
            let r = read_all(
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                piece,
            )
            .unwrap();
            assert_eq!((r.status, r.body.as_slice()), (404, &b"abc"[..]));
            let r = read_all(b"HTTP/1.0 200 OK\r\n\r\nuntil close", piece).unwrap();
            assert_eq!(
                (r.body.as_slice(), r.reusable),
                (&b"until close"[..], false)
            );
        }
    }

    #[test]
    fn responses_are_bounded_and_cut_ones_noticed() {
        assert_eq!(
            read_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n", 100).unwrap_err(),
            ResponseError::TooLarge("the response body")
        );
        assert_eq!(
            read_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", 100).unwrap_err(),
            ResponseError::Cut
        );
        let long = format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\n", "a".repeat(2000));
        assert!(matches!(
            read_all(long.as_bytes(), 100),
            Err(ResponseError::TooLarge(_))
        ));
        assert!(matches!(
            read_all(b"SSH-2.0-OpenSSH\r\n\r\n", 100),
            Err(ResponseError::Malformed(_))
        ));
    }
}
