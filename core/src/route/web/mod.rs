//! What the routes that are not ZeroMQ share (http_server, websocket_server, http_client):
//! their addresses, a listening socket in the node's reactor, the table of open
//! connections, and the JSON form of messages. Each runs on plain non-blocking sockets in
//! the node's own loop: no thread per connection, no async runtime.

pub(crate) mod address;
pub(crate) mod connections;
pub(crate) mod http;
pub(crate) mod json;
pub(crate) mod listener;
pub(crate) mod websocket;
