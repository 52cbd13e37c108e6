//! Route kinds, with the original DripDrop names: one file each in this folder, and the list
//! below, the one place that names them all. Adding a kind is one file and one line in the
//! list. A ZeroMQ kind's file is a `Pattern` (how it differs from the plain push/pull/pair
//! behaviour) and the `KIND` the list points to.

use super::io::{Abilities, Kind, OpenRoute, RouteIo};
use super::options::Mode;
use crate::error::Error;

/// Declares [`RouteKind`] from the list of kinds: each entry's variant, its DripDrop name and
/// the file (a module of this folder) whose `KIND` implements it.
macro_rules! route_kinds {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal => $file:ident, )*) => {
        $( mod $file; )*

        /// The kind of a route, named as the original DripDrop named them.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum RouteKind {
            $( $(#[$doc])* $variant, )*
        }

        impl RouteKind {
            /// Every kind, in the order of the list.
            pub const ALL: [RouteKind; [$( RouteKind::$variant, )*].len()] =
                [$( RouteKind::$variant, )*];

            /// The original DripDrop name, e.g. `zmq_publish`.
            pub fn name(self) -> &'static str {
                match self {
                    $( RouteKind::$variant => $name, )*
                }
            }

            fn behaviour(self) -> &'static dyn Kind {
                match self {
                    $( RouteKind::$variant => $file::KIND, )*
                }
            }
        }
    };
}

route_kinds! {
    /// PUB: sends `[name, message]`, so subscribers filter on the name.
    Publish = "zmq_publish" => publish,
    /// SUB: receives what publishers send, filtered by a topic prefix or regex.
    Subscribe = "zmq_subscribe" => subscribe,
    /// PUSH: sends to pullers, round-robin.
    Push = "zmq_push" => push,
    /// PULL: receives from pushers, fair-queued.
    Pull = "zmq_pull" => pull,
    /// ROUTER: receives requests and answers each through its `Response`.
    Xrep = "zmq_xrep" => xrep,
    /// DEALER: sends requests whose replies come back to a callback, matched by request id.
    Xreq = "zmq_xreq" => xreq,
    /// REQ: one request at a time, strictly alternating with its reply.
    Req = "zmq_req" => req,
    /// REP: answers one request at a time.
    Rep = "zmq_rep" => rep,
    /// PAIR: one peer, both directions.
    Pair = "zmq_pair" => pair,

    // Web kinds: their routes run on plain sockets in the node's loop.

    /// WebSocket server: browsers connect; messages go both ways as JSON text frames.
    WebSocketServer = "websocket_server" => websocket_server,
    /// HTTP server: each request a message to answer through its `Response` (JSON bodies).
    HttpServer = "http_server" => http_server,
    /// HTTP client: each request a JSON POST whose response comes back to a callback.
    HttpClient = "http_client" => http_client,
}

/// Other names a kind is read by.
const ALIASES: &[(&str, RouteKind)] = &[("websocket", RouteKind::WebSocketServer)];

impl RouteKind {
    /// Reads a kind by its DripDrop name; ZeroMQ kinds also without their `zmq_` prefix,
    /// and a few kinds by an alias (`websocket`).
    pub fn from_name(name: &str) -> Result<Self, Error> {
        if let Some(&(_, kind)) = ALIASES.iter().find(|(alias, _)| *alias == name) {
            return Ok(kind);
        }
        RouteKind::ALL
            .into_iter()
            .find(|kind| {
                let full = kind.name();
                full == name || full.strip_prefix("zmq_") == Some(name)
            })
            .ok_or_else(|| {
                let known: Vec<&str> = RouteKind::ALL.iter().map(|k| k.name()).collect();
                Error::InvalidArgument(format!(
                    "unknown route kind {name:?} (expected one of {})",
                    known.join(", ")
                ))
            })
    }

    /// Whether routes of this kind are ZeroMQ sockets (the `zmq_` kinds), rather than the
    /// web kinds' plain sockets.
    pub fn is_zeromq(self) -> bool {
        self.name().starts_with("zmq_")
    }

    pub(crate) fn abilities(self) -> Abilities {
        self.behaviour().abilities()
    }

    pub(crate) fn open(self, route: OpenRoute<'_>) -> Result<Box<dyn RouteIo>, Error> {
        self.behaviour().open(route)
    }

    /// Whether `send_message` may be called on the route (xrep and rep answer through a
    /// `Response` instead).
    pub fn sends(self) -> bool {
        self.abilities().sends
    }

    /// Whether the route receives anything.
    pub fn receives(self) -> bool {
        self.abilities().receives
    }

    /// Whether what it sends expects a reply (`send_request`).
    pub fn requests(self) -> bool {
        self.abilities().requests
    }

    /// Whether what it receives is a request to answer (`on_request`).
    pub fn answers(self) -> bool {
        self.abilities().answers
    }

    /// The mode a route of this kind takes when none is given: `Connect` for http_client
    /// (the only mode it has), `Bind` for every other kind (the web servers' only mode, and
    /// the usual one of the ZeroMQ kinds).
    pub fn default_mode(self) -> Mode {
        match self {
            RouteKind::HttpClient => Mode::Connect,
            _ => Mode::Bind,
        }
    }

    /// Whether it holds connections: what it receives comes with the connection it came on
    /// (`on_receive_from`), and it sends to one connection or to all (`broadcast`).
    pub fn connections(self) -> bool {
        self.abilities().connections
    }
}

impl std::fmt::Display for RouteKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_read_by_their_names_with_or_without_the_prefix() {
        for kind in RouteKind::ALL {
            assert_eq!(RouteKind::from_name(kind.name()).unwrap(), kind);
            if let Some(bare) = kind.name().strip_prefix("zmq_") {
                assert_eq!(RouteKind::from_name(bare).unwrap(), kind);
            }
        }
        let zeromq = RouteKind::ALL
            .iter()
            .filter(|k| k.name().starts_with("zmq_"));
        assert_eq!(zeromq.count(), 9, "the nine ZeroMQ kinds keep their prefix");
        assert_eq!(
            RouteKind::from_name("websocket").unwrap(),
            RouteKind::WebSocketServer
        );
        assert!(RouteKind::from_name("server").is_err());
        let e = RouteKind::from_name("zmq_nonsense").unwrap_err();
        assert!(e.to_string().contains("zmq_pair"), "{e}");
    }

    #[test]
    fn what_each_kind_can_do() {
        use RouteKind::*;
        let senders: Vec<_> = RouteKind::ALL.iter().filter(|k| k.sends()).collect();
        assert_eq!(
            senders,
            [
                &Publish,
                &Push,
                &Xreq,
                &Req,
                &Pair,
                &WebSocketServer,
                &HttpClient
            ]
        );
        let holders: Vec<_> = RouteKind::ALL
            .iter()
            .filter(|k| k.abilities().connections)
            .collect();
        assert_eq!(holders, [&WebSocketServer]);
        assert!(WebSocketServer.receives() && !WebSocketServer.requests());
        assert!(!WebSocketServer.answers());
        assert!(!Publish.receives() && !Push.receives() && Pull.receives());
        assert!(Xreq.requests() && Req.requests() && !Pair.requests());
        assert!(Xrep.answers() && Rep.answers() && !Xreq.answers());
        assert!(HttpServer.answers() && !HttpServer.sends() && HttpServer.receives());
        assert!(HttpClient.requests() && !HttpClient.answers());
    }
}
