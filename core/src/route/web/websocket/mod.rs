//! The WebSocket side of websocket_server: each connection's socket ([`wire`]), its
//! handshake ([`handshake`]) and its life from handshake to close ([`connection`]), on
//! tungstenite over plain non-blocking sockets.

mod connection;
mod handshake;
mod wire;

pub(crate) use connection::{SendRefused, WsConnection, WsEvent, WsSettings};
