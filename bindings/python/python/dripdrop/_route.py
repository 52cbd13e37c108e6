"""`Route`: one named route of a node."""

from . import _native
from ._futures import Future, resolve


class Route(_native.Route):
    """A named route of a node: ``kind`` (e.g. ``"zmq_push"``), ``endpoint``,
    ``on_receive``/``send_message`` for messages, ``on_frames``/``send_frames`` on a raw
    route (``raw=True``). A websocket_server route also has ``on_open``, ``on_close``,
    ``on_error`` and ``broadcast``; its handlers get the `Connection` too."""

    # ``name``, ``kind`` and ``send_message`` are native (``_native.Route``): a send that is no
    # request goes from the app to the engine without a Python frame.

    @property
    def endpoint(self):
        """The first address bound or connected (with the port ZeroMQ picked for ``:*``)."""
        return self._node._endpoints(self.name)[0]

    @property
    def endpoints(self):
        """Every address bound or connected."""
        return self._node._endpoints(self.name)

    def on_receive(self, handler):
        """Calls ``handler(message)`` for each message the route receives; on zmq_xrep,
        zmq_rep and http_server routes ``handler(message, response)``, where
        ``response.send_message(reply)`` answers (now or later); on a websocket_server route
        ``handler(message, connection)``. Usable as a decorator."""
        self._node._on_receive(self.name, handler)
        return handler

    def on_frames(self, handler):
        """Calls ``handler(frames)`` (a list of bytes) for what a raw route receives. On a
        raw xrep or rep route the frames start with the asker's envelope; answer with
        `send_frames` on this route, envelope first. Usable as a decorator."""
        self._node._on_frames(self.name, handler)
        return handler

    def on_open(self, handler):
        """Calls ``handler(connection)`` for each connection a websocket_server route opens.
        Usable as a decorator."""
        self._node._on_open(self.name, handler)
        return handler

    def on_close(self, handler):
        """Calls ``handler(connection)`` for each connection that closes, whichever side
        closed it. Usable as a decorator."""
        self._node._on_close(self.name, handler)
        return handler

    def on_error(self, handler):
        """Calls ``handler(reason, connection)`` when something goes wrong on a connection (a
        frame over the route's bound, text that is not a JSON message...). Usable as a
        decorator."""
        self._node._on_connection_error(self.name, handler)
        return handler

    def broadcast(self, message):
        """Sends a message to every open connection of a websocket_server route; returns how
        many it went to (a connection whose queue is full misses it)."""
        return self._node._broadcast(self.name, message)

    def broadcast_frame(self, frame):
        """Sends one frame untouched to every open connection of a raw websocket_server
        route; returns how many it went to."""
        return self._node._broadcast_frame(self.name, frame)

    def send_frames(self, frames):
        """Sends ``frames`` (bytes, or str as UTF-8) untouched on a raw route."""
        self._node._send_frames(self.name, frames)

    def _request(self, message, callback):
        """``send_message`` on a route whose sends are requests (xreq, req, http_client):
        returns a `Future` of the reply; ``callback(reply)`` also gets it (an error then goes
        to the node's ``on_error``)."""
        future = Future()

        def on_reply(reply, error):
            resolve(future, reply, error)
            if callback is not None:
                if error is not None:
                    raise error
                callback(reply)

        self._node._send_request(self.name, message, on_reply)
        return future

    def __repr__(self):
        return f"<Route {self.name} {self.kind} {self.endpoints}>"
