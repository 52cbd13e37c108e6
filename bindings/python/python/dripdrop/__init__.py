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

from concurrent.futures import Future, ThreadPoolExecutor
import atexit
import inspect
import os
import threading

from . import _native
from ._native import Message, NodeHandle, Response
from ._types import Atom
from .errors import (
    Backpressure,
    CallbackError,
    Cancelled,
    DecodeError,
    EncodeError,
    Error,
    InvalidArgument,
    MessageError,
    NoSuchRoute,
    NoWorkerForTask,
    RemoteError,
    RouteError,
    Stopped,
    TimeoutError,
    WorkerLost,
    ZmqError,
)

__version__ = _native.__version__

__all__ = [
    "Atom",
    "Backpressure",
    "CallbackError",
    "Cancelled",
    "DecodeError",
    "EncodeError",
    "Error",
    "InvalidArgument",
    "Message",
    "MessageError",
    "Node",
    "NodeHandle",
    "Pool",
    "NoSuchRoute",
    "NoWorkerForTask",
    "RemoteError",
    "Response",
    "Route",
    "RouteError",
    "Stopped",
    "TimeoutError",
    "Worker",
    "WorkerLost",
    "ZmqError",
]


class Route:
    """A named route of a node: `kind` (e.g. ``"zmq_push"``), `on_receive`, `send_message`,
    `endpoint`."""

    def __init__(self, node, name):
        self._node = node
        self.name = name
        # A route's kind never changes; send_message consults it on every send.
        self.kind = node._route_kind(name)

    @property
    def endpoint(self):
        """The first address bound or connected (with the port ZeroMQ picked for ``:*``)."""
        return self._node._endpoints(self.name)[0]

    @property
    def endpoints(self):
        return self._node._endpoints(self.name)

    def on_receive(self, handler):
        """Calls ``handler(message)`` for each message the route receives; on zmq_xrep and
        zmq_rep routes ``handler(message, response)``. Usable as a decorator."""
        self._node._on_receive(self.name, handler)
        return handler

    def send_message(self, message, callback=None):
        """Sends a `Message` (or a dict with name/head/body). Never blocks: a full route
        raises `Backpressure`. On zmq_xreq/zmq_req routes this is a request: ``callback(reply)``
        gets the reply, or, without a callback, the returned `Future` does."""
        if self.kind not in ("zmq_xreq", "zmq_req"):
            if callback is not None:
                raise InvalidArgument(f"route {self.name} ({self.kind}) gets no replies")
            self._node._send_message(self.name, message)
            return None
        future = Future() if callback is None else None

        def on_reply(reply, error):
            if future is not None:
                if error is not None:
                    future.set_exception(error)
                else:
                    future.set_result(reply)
            elif error is None:
                callback(reply)
            else:
                raise error

        self._node._send_request(self.name, message, on_reply)
        return future

    def __repr__(self):
        return f"<Route {self.name} {self.kind} {self.endpoints}>"


def _task_decorator(register, handlers, name_or_fn):
    """`@x.task` and `@x.task("name")`: registers a handler taking ``args`` (or ``args,
    task`` where ``task`` is a dict with id, attempt and name)."""

    def decorate(fn, name=None):
        name = name or fn.__name__
        try:
            takes_task = len(inspect.signature(fn).parameters) >= 2
        except (TypeError, ValueError):
            takes_task = False
        handlers[name] = _Handler(fn, takes_task)
        register(name)
        return fn

    if callable(name_or_fn):
        return decorate(name_or_fn)
    return lambda fn: decorate(fn, name_or_fn)


class _Handler:
    """A task function, and whether it wants the task's id and attempt."""

    def __init__(self, fn, takes_task):
        self._fn = fn
        self.__dripdrop_takes_task__ = takes_task

    def __call__(self, *args):
        return self._fn(*args)


# Every task queue Python threads serve, so they all end before the interpreter does (a
# daemon thread still waiting inside the native module when Python finalizes would abort).
_serving = []


@atexit.register
def _stop_serving():
    for queue, _ in _serving:
        queue.close()
    for _, threads in _serving:
        for thread in threads:
            thread.join(timeout=2.0)


def _serve(queue, handlers, count, name):
    """Starts `count` Python threads that run the tasks handed to `queue`."""
    threads = []
    for i in range(count):
        thread = threading.Thread(
            target=queue.serve, args=(handlers,), name=f"{name}-{i}", daemon=True
        )
        thread.start()
        threads.append(thread)
    _serving.append((queue, threads))
    return threads


class Pool:
    """A worker pool of a node: ``defer`` and ``map`` named tasks on its local threads or
    remote workers."""

    def __init__(self, node, name, endpoints):
        self._node = node
        self.name = name
        self.endpoints = endpoints

    @property
    def endpoint(self):
        """The address remote workers connect to (None for a local-only pool)."""
        return self.endpoints[0] if self.endpoints else None

    def defer(self, task, args=None, callback=None, errback=None, timeout=None):
        """Runs ``task(args)`` on the pool; ``callback(result)`` or ``errback(exception)``
        run on the node's thread. Without them, returns a `Future`. A task's exception
        arrives as `RemoteError` (its class, message and traceback). Past the pool's
        ``max_pending`` raises `Backpressure`."""
        future = Future() if callback is None and errback is None else None

        def done(result, error):
            if future is not None:
                if error is not None:
                    future.set_exception(error)
                else:
                    future.set_result(result)
            elif error is not None:
                if errback is not None:
                    errback(error)
            elif callback is not None:
                callback(result)

        self.last_id = self._node._pool_defer(self.name, task, args, done, timeout)
        return future

    def map(self, task, items, callback=None):
        """Runs ``task`` once per item, submitting items only as results free room (so a
        producer goes as fast as the workers and memory stays flat). ``callback(index,
        result, error)`` runs for each as it comes; returns a `Future` that resolves (to
        None) after the last."""
        finished = Future()
        on_result = callback if callback is not None else (lambda index, result, error: None)
        self._node._pool_map(self.name, task, iter(items), on_result, lambda: finished.set_result(None))
        return finished

    def cancel(self, task_id):
        """Gives up on a task (its callback gets `Cancelled`); False if it finished."""
        return self._node._pool_cancel(self.name, task_id)

    def stats(self):
        return self._node.stats()["pools"][self.name]


class Worker(_native.Worker):
    """A worker process for a pool on any machine::

        worker = dripdrop.Worker("tcp://control-host:2100", concurrency=4)

        @worker.task
        def fetch(url):
            return urllib.request.urlopen(url).status

        worker.run()   # until Ctrl-C or stop(); reconnects if the pool goes away

    Tasks run on Python threads (``concurrency`` of them); heartbeats run on a Rust thread,
    so a long task never makes the worker look dead.
    """

    def __new__(cls, address, concurrency=None, heartbeat=1.0, liveness=3, name=None):
        return super().__new__(cls, address, concurrency, heartbeat, liveness, name)

    def __init__(self, address, concurrency=None, heartbeat=1.0, liveness=3, name=None):
        self._handlers = {}
        self._concurrency = concurrency or os.cpu_count() or 2

    def task(self, name_or_fn=None):
        """Registers a task (a decorator): ``@worker.task`` or ``@worker.task("name")``."""
        return _task_decorator(self._task, self._handlers, name_or_fn)

    def run(self):
        """Serves the pool until `stop` or Ctrl-C (KeyboardInterrupt is raised here)."""
        queue = self._queue()
        _serve(queue, self._handlers, self._concurrency, "dripdrop-task")
        self._start()
        try:
            while not self._wait(0.1):
                pass
        except BaseException:
            self.stop()
            self._wait(5.0)
            raise
        finally:
            queue.close()


class Node(_native.Node):
    """A DripDrop node: one reactor loop, run by the thread that calls `run`.

    Use it as is (``node = Node(); node.route(...); node.run()``) or subclass it with an
    ``action(self)`` method that sets the node up; `run` calls it first. Routes are reachable
    as attributes (``node.out``).
    """

    def __new__(cls, *args, defer_threads=None, run_list=None, **kwargs):
        return super().__new__(cls, defer_threads=defer_threads, run_list=run_list)

    def __init__(self, defer_threads=None, run_list=None):
        self._routes = {}
        self._pools = {}
        self._executor = None
        self._defer_threads = defer_threads or os.cpu_count() or 2
        self._acted = False

    def route(self, name, kind, addresses, mode="bind", **options):
        """Creates route ``name`` of ``kind`` (``"zmq_push"``, ``"zmq_pull"``,
        ``"zmq_publish"``, ``"zmq_subscribe"``, ``"zmq_xreq"``, ``"zmq_xrep"``,
        ``"zmq_req"``, ``"zmq_rep"``, ``"zmq_pair"``), bound or connected to one address or a
        list. Options: send_hwm, recv_hwm, linger (s), identity, reconnect_ivl (s),
        reconnect_ivl_max (s), topic (a prefix str or an ``re.Pattern``), send_queue,
        request_timeout (s)."""
        if isinstance(addresses, str):
            addresses = [addresses]
        self._route(name, kind, list(addresses), mode, options or None)
        route = Route(self, name)
        self._routes[name] = route
        return route

    def __getattr__(self, name):
        routes = self.__dict__.get("_routes", {})
        if name in routes:
            return routes[name]
        raise AttributeError(f"{type(self).__name__} has no route or attribute {name!r}")

    def send_message(self, route, message, callback=None):
        """Sends on route ``route`` (a name); see `Route.send_message`."""
        return self._route_named(route).send_message(message, callback)

    def _route_named(self, name):
        try:
            return self._routes[name]
        except KeyError:
            raise NoSuchRoute(f'no route named "{name}"') from None

    def task(self, name_or_fn=None):
        """Registers a task this node's pools run on their local threads (a decorator):
        ``@node.task`` or ``@node.task("name")``. The function gets the task's arguments (and,
        if it takes two parameters, a dict with the task's id and attempt)."""
        return _task_decorator(self._task, self._task_handlers(), name_or_fn)

    def _task_handlers(self):
        if "_handlers" not in self.__dict__:
            self._handlers = {}
        return self._handlers

    def worker_pool(self, name, bind=None, local=0, **options):
        """Starts a worker pool: ``bind`` an address for remote workers
        (``"tcp://0.0.0.0:2100"``), ``local`` threads running this node's tasks, or both
        (local first, spilling over). Options: placement ("local", "remote",
        "local_first"), max_pending, heartbeat (s), liveness, max_attempts,
        no_worker_timeout (s, None for ever), prefetch."""
        endpoints = self._worker_pool(name, bind, local, **options)
        if local:
            _serve(self._task_queue(), self._task_handlers(), local, f"dripdrop-{name}")
        pool = Pool(self, name, endpoints)
        self._pools[name] = pool
        return pool

    def pool(self, name):
        """The pool named ``name``."""
        try:
            return self._pools[name]
        except KeyError:
            raise NoSuchRoute(f'no worker pool named "{name}"') from None

    def nodelet(self, name, setup=None):
        """Runs ``setup(node)`` as nodelet ``name`` when the run list allows it (all do
        without one). Usable as a decorator."""
        def register(setup):
            self._nodelet(name, setup)
            return setup

        return register if setup is None else register(setup)

    def defer(self, fn, callback=None, errback=None):
        """`EM.defer`: runs ``fn()`` on a pool of Python threads, then ``callback(result)``
        (or ``errback(exception)``) on the node's thread. Without callbacks, returns a
        `Future`."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self._defer_threads, thread_name_prefix="dripdrop-defer"
            )
        handle = self.handle()
        outer = Future() if callback is None and errback is None else None

        def finished(inner):
            error = inner.exception()

            def deliver():
                if outer is not None:
                    if error is not None:
                        outer.set_exception(error)
                    else:
                        outer.set_result(inner.result())
                elif error is not None:
                    if errback is not None:
                        errback(error)
                elif callback is not None:
                    callback(inner.result())

            handle.post(deliver)

        self._executor.submit(fn).add_done_callback(finished)
        return outer

    def run(self):
        """Runs the loop until `stop` (first calling ``action()`` if the class has one). The
        GIL is released while it waits; Ctrl-C raises KeyboardInterrupt here."""
        if not self._acted and hasattr(self, "action"):
            self._acted = True
            self.action()
        super().run()

    def close(self):
        """Stops the defer and task threads (the node's sockets close when it is
        collected)."""
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None
        if "_handlers" in self.__dict__:
            self._task_queue().close()
