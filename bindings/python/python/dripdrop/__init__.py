"""DripDrop: message-passing apps on ZeroMQ, from Python.

Named routes over ZeroMQ sockets, one message format (BERT), one reactor loop per node; the
same engine (Rust) as the Ruby gem and the C library, so nodes in any of them talk to each
other.

>>> import dripdrop
>>> node = dripdrop.Node()
>>> out = node.route("out", "zmq_push", "tcp://127.0.0.1:*", "bind")
>>> inbox = node.route("inbox", "zmq_pull", out.endpoint, "connect")
>>> @inbox.on_receive
... def got(msg):
...     print(msg.name, msg.body)
...     node.stop()
>>> out.send_message({"name": "hello", "body": [1, 2]})
>>> node.run()
hello [1, 2]
"""

from . import _native
from ._futures import Future, TaskFuture
from ._native import Certificate, Connection, Message, NodeHandle, Response, Task
from ._node import Node
from ._pool import Pool
from ._route import Route
from ._types import Atom
from ._worker import Worker
from .errors import (
    Backpressure,
    CallbackError,
    Cancelled,
    CertificateError,
    ConnectionError,
    DecodeError,
    EncodeError,
    Error,
    InvalidArgument,
    MessageError,
    NoSuchPool,
    NoSuchRoute,
    NoWorkerForTask,
    RemoteError,
    RouteError,
    Stopped,
    TimeoutError,
    WorkerLost,
    WrongThread,
    ZmqError,
)

__version__ = _native.__version__

__all__ = [
    "Atom",
    "Backpressure",
    "CallbackError",
    "Cancelled",
    "Certificate",
    "CertificateError",
    "Connection",
    "ConnectionError",
    "DecodeError",
    "EncodeError",
    "Error",
    "Future",
    "InvalidArgument",
    "Message",
    "MessageError",
    "Node",
    "NodeHandle",
    "NoSuchPool",
    "NoSuchRoute",
    "NoWorkerForTask",
    "Pool",
    "RemoteError",
    "Response",
    "Route",
    "RouteError",
    "Stopped",
    "Task",
    "TaskFuture",
    "TimeoutError",
    "Worker",
    "WorkerLost",
    "WrongThread",
    "ZmqError",
]
