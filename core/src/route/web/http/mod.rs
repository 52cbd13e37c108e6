//! HTTP/1.x on plain non-blocking sockets, for the http_server and http_client kinds: the
//! request heads a server reads, the responses it writes, the requests a client writes and
//! the responses it reads, message bodies (by length or chunked), and file types.
//! `httparse` reads heads; the rest is small enough to keep here, in the node's own loop.

pub(crate) mod body;
pub(crate) mod chunked;
pub(crate) mod client;
pub(crate) mod client_connection;
pub(crate) mod mapping;
pub(crate) mod mime;
pub(crate) mod request;
pub(crate) mod response;
pub(crate) mod server_connection;
pub(crate) mod static_files;

/// Most headers a request or response head may have: more is refused (431 on a server).
pub(crate) const MAX_HEADERS: usize = 100;
