"""DripDrop's exceptions: every error the engine reports is a ``dripdrop.Error``.

Each also derives from the matching builtin where there is one, so ``except ValueError``
catches a frame that does not decode and ``except TimeoutError`` a request that timed out.
"""

import builtins


class Error(Exception):
    """Any DripDrop error."""


class DecodeError(Error, ValueError):
    """Bytes that are not a valid BERT frame or message."""


class EncodeError(Error, ValueError):
    """A value BERT cannot carry (a NaN, an atom outside Latin-1...)."""


class MessageError(Error, ValueError):
    """A value that is not a valid message (an empty name, a head that is not a dict...)."""


class InvalidArgument(Error, ValueError):
    """A bad argument: an unknown route kind, a bad option..."""


class ZmqError(Error, OSError):
    """ZeroMQ refused: a bad address, an address in use..."""


class Backpressure(Error):
    """A route's send queue or a pool's pending queue is full; retry later."""


class NoSuchRoute(Error, LookupError):
    """No route (or pool) has this name."""


class NoSuchPool(NoSuchRoute):
    """No worker pool has that name (a `NoSuchRoute` too, as it used to be raised)."""


class WrongThread(Error, RuntimeError):
    """The node runs on another thread, or its loop lends it to no callback now: only its
    handle (``post``, ``stop``) reaches it."""


class RouteError(Error):
    """The route's kind does not do that, or a route of that name exists already."""


class TimeoutError(Error, builtins.TimeoutError):
    """A request or task did not finish in time."""


class RemoteError(Error):
    """The peer, or a task on a worker, failed.

    ``remote_class``, ``remote_message`` and ``remote_backtrace`` (a list of lines; also
    readable as ``remote_traceback``) say how.
    """

    def __init__(self, message, remote_class="", remote_message="", remote_backtrace=()):
        super().__init__(message)
        self.remote_class = remote_class
        self.remote_message = remote_message
        self.remote_backtrace = list(remote_backtrace)

    @property
    def remote_traceback(self):
        """The older name of ``remote_backtrace``."""
        return self.remote_backtrace


class ConnectionError(Error, builtins.ConnectionError):
    """A connection could not be made, was lost, or is closed: an http_client's refused or
    reset connection, a websocket_server connection sent to after it closed."""


class CertificateError(Error):
    """A CURVE certificate or key that cannot be used (a file that cannot be read or is not a
    certificate, a public certificate where the secret one is needed, no server key for a
    connecting socket); the message names the file or option at fault."""


class CallbackError(Error):
    """A callback failed; the loop went on."""


class Stopped(Error):
    """The node or pool stopped first."""


class Cancelled(Error):
    """The task was cancelled."""


class WorkerLost(Error):
    """The task's worker died under it too many times: it is quarantined as poison."""


class NoWorkerForTask(Error):
    """No connected worker can run the task."""


__all__ = [
    "Backpressure",
    "CallbackError",
    "Cancelled",
    "CertificateError",
    "ConnectionError",
    "DecodeError",
    "EncodeError",
    "Error",
    "InvalidArgument",
    "MessageError",
    "NoSuchPool",
    "NoSuchRoute",
    "NoWorkerForTask",
    "RemoteError",
    "RouteError",
    "Stopped",
    "TimeoutError",
    "WorkerLost",
    "WrongThread",
    "ZmqError",
]
