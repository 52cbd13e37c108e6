"""`Node`: one reactor loop, its routes, timers, defer and pools."""

import atexit
import threading
from concurrent.futures import ThreadPoolExecutor

from . import _native
from ._futures import Future, resolve, settle
from ._pool import Pool
from ._route import Route
from ._tasks import serve, task_decorator
from .errors import NoSuchRoute, Stopped

# Nodes whose loop runs on a thread `start` made: stopped and joined at exit, before their
# daemon threads would be cut off inside the native module.
_started = set()
_started_lock = threading.Lock()


@atexit.register
def _stop_started():
    with _started_lock:
        nodes = list(_started)
    for node in nodes:
        node.stop()
    for node in nodes:
        thread = node._thread
        if thread is not None:
            thread.join(timeout=5.0)


class Node(_native.Node):
    """A DripDrop node: one reactor loop with routes, timers, ``defer`` and worker pools.

    Use it as is (``node = Node(); node.route(...); node.run()``) or subclass it with an
    ``action(self)`` method that sets the node up; `run` and `start` call it first. Routes
    are reachable as attributes (``node.out``).

    Options by name, read by the engine (its defaults unless given): ``run_list`` (the
    nodelets to set up; all without one), ``defer_threads`` (threads of `defer`),
    ``stop_linger`` (s), ``receive_batch``; ``control`` (a control server's address: the
    node reports to it; the environment's ``DRIPDROP_CONTROL`` does the same), ``role``
    (default: ``DRIPDROP_ROLE``, or the program's name), ``heartbeat`` (s, 1 by default),
    ``language`` ("python"), ``control_curve`` (CURVE on the backchannel to the control
    server: the forms of a route's ``curve``). See docs/control.md and docs/security.md.

    Threads: ``run()`` runs the loop on the calling thread, ``start()`` on a new one. The
    node may be used from any thread, one at a time: while its loop runs, only the loop's
    thread (its callbacks) may; other threads get `WrongThread` and reach it through
    ``node.handle().post(f)``. ``node.stop()`` works from anywhere.
    """

    # Defaults for subclasses whose __init__ does not call Node.__init__.
    _executor = None
    _acted = False
    _thread = None
    _thread_error = None

    # The engine's node options, by name; a subclass's own constructor arguments are not.
    _OPTIONS = (
        "run_list",
        "defer_threads",
        "stop_linger",
        "receive_batch",
        "control",
        "role",
        "heartbeat",
        "language",
        "control_curve",
    )

    def __new__(cls, *args, **kwargs):
        given = {
            name: kwargs[name]
            for name in cls._OPTIONS
            if kwargs.get(name) is not None
        }
        return super().__new__(cls, **given)

    def __init__(
        self,
        run_list=None,
        defer_threads=None,
        stop_linger=None,
        receive_batch=None,
        control=None,
        role=None,
        heartbeat=None,
        language=None,
        control_curve=None,
    ):
        self._routes = {}
        self._pools = {}

    # Routes.

    def route(self, name, kind, addresses, mode=None, **options):
        """Creates route ``name`` of ``kind`` (``"zmq_push"``, ``"zmq_pull"``,
        ``"zmq_publish"``, ``"zmq_subscribe"``, ``"zmq_xreq"``, ``"zmq_xrep"``,
        ``"zmq_req"``, ``"zmq_rep"``, ``"zmq_pair"``, ``"websocket_server"`` (or
        ``"websocket"``), ``"http_server"``, ``"http_client"``), bound or connected
        (``mode`` "bind" or "connect"; by default "connect" for http_client, "bind" for the
        rest) to one address or a list. Options by name, read by the engine: send_hwm,
        recv_hwm, linger (s),
        identity, reconnect_ivl (s), reconnect_ivl_max (s), topic (a prefix str or an
        ``re.Pattern``), raw (True: frames untouched, see `Route.on_frames`) or msg_format
        ("dripdrop", "raw"), send_queue, request_timeout (s), max_frame_bytes (the largest
        frame a peer may send, 64 MiB by default: libzmq disconnects a peer that sends a
        larger one, and messages are decoded within the same limit), curve (CURVE, the ZeroMQ
        kinds only: None takes the environment's ``DRIPDROP_CURVE_DIR``, False is plain
        text, a str is a directory of that layout, or a dict: ``certificate`` (this side's
        ``.key_secret`` file) or ``secret_key``, ``server_certificate`` (a file) or
        ``server_key`` on a connecting route, ``allowed`` (a directory of admitted client
        certificates) on a binding one; see docs/security.md); for the web kinds also
        max_connections, max_header_bytes, header_timeout (s), idle_timeout (s) and
        static_dir (http_server)."""
        if isinstance(addresses, str):
            addresses = [addresses]
        self._route(name, kind, list(addresses), mode, options or None)
        route = Route(self, name)
        self._route_table()[name] = route
        return route

    def _route_table(self):
        if "_routes" not in self.__dict__:
            self._routes = {}
        return self._routes

    def __getattr__(self, name):
        routes = self.__dict__.get("_routes", {})
        if name in routes:
            return routes[name]
        raise AttributeError(f"{type(self).__name__} has no route or attribute {name!r}")

    def send_message(self, route, message, callback=None):
        """Sends on route ``route`` (a name); see `Route.send_message`."""
        try:
            target = self._route_table()[route]
        except KeyError:
            raise NoSuchRoute(f'no route named "{route}"') from None
        return target.send_message(message, callback)

    # Worker pools.

    def task(self, name_or_fn=None):
        """Registers a task this node's pools run on their local threads (a decorator):
        ``@node.task`` or ``@node.task("name")``. The function gets the task's arguments (and,
        if it takes two parameters, the `Task`: id, name, attempt, is_cancelled(),
        time_left)."""
        return task_decorator(self._task, self._task_handlers(), name_or_fn)

    def _task_handlers(self):
        if "_handlers" not in self.__dict__:
            self._handlers = {}
        return self._handlers

    def worker_pool(self, name, bind=None, local=None, **options):
        """Starts a worker pool: ``bind`` an address (or a list) for remote workers
        (``"tcp://0.0.0.0:2100"``), ``local`` threads running this node's tasks, or both.
        Options by name, read by the engine (its defaults unless given): placement ("local",
        "remote", "local_first"; inferred from bind and local), max_pending, heartbeat (s),
        liveness, max_attempts, no_worker_timeout (s, None waits for ever), prefetch (None, the
        default, adapts it to the tasks), max_worker_credit, lease_timeout (s, None for none), max_workers, max_frame_bytes,
        max_result_elements, curve (CURVE for remote workers: a route's ``curve`` forms, the
        pool being the binding side)."""
        if bind is not None:
            options["bind"] = bind
        if local is not None:
            options["local"] = local
        endpoints, local_threads = self._worker_pool(name, options)
        if local_threads:
            serve(self._task_queue(), self._task_handlers(), local_threads, f"dripdrop-{name}")
        pool = Pool(self, name, endpoints)
        self._pool_table()[name] = pool
        return pool

    def pool(self, name):
        """The pool named ``name``; `NoSuchPool` if there is none."""
        pools = self._pool_table()
        if name not in pools:
            pools[name] = Pool(self, name, self._pool_endpoints(name))
        return pools[name]

    def _pool_table(self):
        if "_pools" not in self.__dict__:
            self._pools = {}
        return self._pools

    # Nodelets and defer.

    def nodelet(self, name, setup=None):
        """Runs ``setup(node)`` as nodelet ``name`` when the run list allows it (all do
        without one). Usable as a decorator."""

        def register(setup):
            self._nodelet(name, setup)
            return setup

        return register if setup is None else register(setup)

    def defer(self, fn, callback=None, errback=None):
        """`EM.defer`: runs ``fn()`` on a pool of Python threads (``defer_threads`` of them)
        and returns a `Future` of its outcome; ``callback(result)`` or ``errback(error)``, if
        given, run on the node's thread. An error with a callback but no errback goes to
        the node's ``on_error``."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self._defer_threads(), thread_name_prefix="dripdrop-defer"
            )
        future = Future()
        handle = self.handle()

        def finished(done):
            error = done.exception()
            result = None if error is not None else done.result()
            try:
                handle.post(lambda: settle(future, result, error, callback, errback))
            except Stopped as stopped:
                resolve(future, None, stopped)

        self._executor.submit(fn).add_done_callback(finished)
        return future

    # The loop.

    def _act(self):
        if not self._acted and hasattr(self, "action"):
            self._acted = True
            self.action()

    def run(self):
        """Runs the loop on this thread until `stop` (first calling ``action()`` if the class
        has one). The GIL is released while it waits; Ctrl-C raises KeyboardInterrupt here."""
        self._act()
        super().run()

    def start(self):
        """Runs the loop on a new thread (first calling ``action()`` here, if the class has
        one) and returns. Until it stops, the node belongs to that thread: use it from its
        callbacks or through ``node.handle().post(f)``; ``stop()`` and ``join()`` work from
        anywhere. The thread is a daemon, stopped and joined at exit."""
        self._act()
        token = self._reserve_thread()
        thread = threading.Thread(target=self._run_started, args=(token,), name="dripdrop-node", daemon=True)
        self._thread, self._thread_error = thread, None
        with _started_lock:
            _started.add(self)
        try:
            thread.start()
        except BaseException:
            self._release_thread(token)
            with _started_lock:
                _started.discard(self)
            raise

    def _run_started(self, token):
        try:
            self._run_reserved(token)
        except BaseException as error:  # join() raises it in the thread that asks
            self._thread_error = error
        finally:
            with _started_lock:
                _started.discard(self)

    def join(self, timeout=None):
        """Waits until the loop `start` began has ended (for at most ``timeout`` seconds);
        True once it has, False on timeout. What ended it with an error is raised here."""
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        if thread.is_alive():
            return False
        error, self._thread_error = self._thread_error, None
        if error is not None:
            raise error
        return True

    def close(self):
        """Stops the loop if `start` runs it (and, called from another thread, waits for
        it), and the defer and task threads (the node's sockets close when it is
        collected)."""
        if self._thread is not None:
            self.stop()
            if self._thread is not threading.current_thread():
                self.join()
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None
        self._task_queue().close()
