"""`Worker`: a worker process serving a pool."""

from . import _native
from ._tasks import serve, task_decorator


class Worker(_native.Worker):
    """A worker process for a pool on any machine::

        worker = dripdrop.Worker("tcp://control-host:2100", concurrency=4)

        @worker.task
        def fetch(url):
            return urllib.request.urlopen(url).status

        worker.run()   # until Ctrl-C or stop(); reconnects if the pool goes away

    ``address`` is one address or a list. Options by name, read by the engine (its defaults
    unless given): ``concurrency`` (Python threads running tasks; the machine's CPUs),
    ``heartbeat`` (s), ``liveness``, ``reconnect_min`` (s), ``reconnect_max`` (s), ``name``,
    ``max_frame_bytes``, ``curve`` (CURVE to the pool: a route's ``curve`` forms, the worker
    being the connecting side, e.g. ``{"certificate": "keys/worker.key_secret",
    "server_certificate": "keys/server.key"}``).
    Heartbeats run on a Rust thread, so a long task never makes the worker look dead.
    """

    def __new__(cls, address, **options):
        if not isinstance(address, str):
            address = ",".join(address)
        return super().__new__(cls, address, **options)

    def __init__(self, address, **options):
        self._handlers = {}

    def task(self, name_or_fn=None):
        """Registers a task (a decorator): ``@worker.task`` or ``@worker.task("name")``. The
        function gets the task's arguments (and, if it takes two parameters, the `Task`)."""
        return task_decorator(self._task, self._handlers, name_or_fn)

    def run(self):
        """Serves the pool until `stop` or Ctrl-C (KeyboardInterrupt is raised here)."""
        queue = self._queue()
        serve(queue, self._handlers, self._concurrency(), "dripdrop-task")
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
