//! A web route's address: `http://host:port/path` or `ws://host:port/path`, or, as the
//! original DripDrop's programs wrote them, `tcp://host:port/path`. Hand-read rather than
//! with the `url` crate: only this one shape is taken, and every other is an error that
//! says what is expected.

use crate::error::Error;

/// The parts of a route's address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WebAddress {
    /// `http` or `ws`.
    pub(crate) scheme: &'static str,
    /// The host as written (a name, an IPv4 address, or an IPv6 address in brackets).
    pub(crate) host: String,
    /// The port; 0 (or `*`) on a bind picks a free one.
    pub(crate) port: u16,
    /// The path, starting with `/` (`/` when none is written).
    pub(crate) path: String,
}

impl WebAddress {
    /// Reads `address`, which must use `scheme` (`http` or `ws`) or `tcp`.
    pub(crate) fn parse(route: &str, scheme: &'static str, address: &str) -> Result<Self, Error> {
        let wrong = |why: &str| {
            Error::InvalidArgument(format!(
                "route {route}: address {address:?} {why} (expected {scheme}://host:port/path)"
            ))
        };
        let rest = [scheme, "tcp"]
            .iter()
            .find_map(|s| address.strip_prefix(s).and_then(|r| r.strip_prefix("://")))
            .ok_or_else(|| wrong("has the wrong scheme"))?;
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/"),
        };
        let at = authority.rfind(':').ok_or_else(|| wrong("has no port"))?;
        let (host, port) = (&authority[..at], &authority[at + 1..]);
        if host.is_empty() || (host.contains(':') && !host.starts_with('[')) {
            return Err(wrong("has no host"));
        }
        let port = match port {
            "*" => 0,
            digits => digits.parse().map_err(|_| wrong("has a bad port"))?,
        };
        Ok(WebAddress {
            scheme,
            host: host.to_owned(),
            port,
            path: path.to_owned(),
        })
    }

    /// `host:port` for the socket calls (brackets kept for IPv6, as they expect).
    pub(crate) fn socket_address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The address with another port (the one a bind to port 0 got).
    pub(crate) fn with_port(&self, port: u16) -> WebAddress {
        WebAddress {
            port,
            ..self.clone()
        }
    }
}

impl std::fmt::Display for WebAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}://{}:{}{}",
            self.scheme, self.host, self.port, self.path
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_read_into_its_parts() {
        let a = WebAddress::parse("r", "ws", "ws://127.0.0.1:8080/chat").unwrap();
        assert_eq!(
            (a.host.as_str(), a.port, a.path.as_str()),
            ("127.0.0.1", 8080, "/chat")
        );
        let b = WebAddress::parse("r", "http", "http://localhost:*").unwrap();
        assert_eq!((b.port, b.path.as_str()), (0, "/"));
        assert_eq!(b.with_port(5).to_string(), "http://localhost:5/");
        let c = WebAddress::parse("r", "http", "http://[::1]:80/x").unwrap();
        assert_eq!(c.socket_address(), "[::1]:80");
        // The original DripDrop's programs wrote web addresses with tcp://.
        let d = WebAddress::parse("r", "http", "tcp://127.0.0.1:3000/endpoint").unwrap();
        assert_eq!(d.to_string(), "http://127.0.0.1:3000/endpoint");
    }

    #[test]
    fn a_wrong_address_says_what_is_expected() {
        for bad in [
            "ws://1.2.3.4:5",
            "http://host",
            "http://:80",
            "http://h:port",
            "http://::1:80",
        ] {
            let e = WebAddress::parse("r", "http", bad).unwrap_err().to_string();
            assert!(e.contains("expected http://host:port/path"), "{bad}: {e}");
        }
    }
}
