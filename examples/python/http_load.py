"""http_load in Python: a control and a worker that speak the same protocol as the Rust
`http_load` (the `http_batch` task and its batch format), so a Python control can use Rust
workers and a Rust control Python workers.

    python3 examples/python/http_load.py control --url http://127.0.0.1:8080/ --requests 10000 \\
        --bind tcp://127.0.0.1:2100 [--workers 1] [--connections 4] [--batch 500] [--json]
    python3 examples/python/http_load.py worker --connect tcp://127.0.0.1:2100 [--name NAME]
"""

import argparse
import collections
import http.client
import json
import os
import socket
import sys
import threading
import time
import urllib.parse

import dripdrop

TASK = "http_batch"


def error_kind(exc):
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timeout"
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError,
                        http.client.RemoteDisconnected)):
        return "reset"
    return "other"


def run_batch(plan):
    """Runs one batch (the Rust worker's plan format) and returns its tally."""
    url = urllib.parse.urlsplit(plan["url"])
    path = url.path or "/"
    timeout = plan["timeout_ms"] / 1000
    statuses, errors, latency = collections.Counter(), collections.Counter(), collections.Counter()
    lock = threading.Lock()
    requests, connections = plan["requests"], max(1, plan["connections"])

    def connection(index):
        conn = None
        for _ in range(index, requests, connections):
            began = time.perf_counter()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=timeout)
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.getheader("connection", "").lower() == "close":
                    conn.close()
                    conn = None
                us = max(1, int((time.perf_counter() - began) * 1e6))
                with lock:
                    statuses[status] += 1
                    latency[us] += 1
            except Exception as exc:  # every failure is counted by kind
                with lock:
                    errors[error_kind(exc)] += 1
                if conn is not None:
                    conn.close()
                    conn = None
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=connection, args=(i,)) for i in range(min(connections, requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses, errors, latency


def worker(args):
    name = args.name or f"python:{os.getpid()}"
    w = dripdrop.Worker(args.connect, concurrency=1, name=name)

    @w.task(TASK)
    def http_batch(plan):
        statuses, errors, latency = run_batch(plan)
        return {
            "worker": name,
            "statuses": [[code, n] for code, n in statuses.items()],
            "errors": [[kind, n] for kind, n in errors.items()],
            "latency_us": [[us, n] for us, n in latency.items()],
        }

    print(f"worker {name} serving {args.connect}", flush=True)
    try:
        w.run()
    except KeyboardInterrupt:
        pass


def percentile(latency, q):
    total = sum(latency.values())
    if total == 0:
        return 0.0
    rank, seen = q * total, 0
    for us in sorted(latency):
        seen += latency[us]
        if seen >= rank:
            return us / 1000
    return max(latency) / 1000


def control(args):
    node = dripdrop.Node()
    pool = node.worker_pool("http", bind=args.bind)
    print(f"control listening on {pool.endpoint}", flush=True)
    waiting = node.every(0.02, lambda: pool.stats()["workers_alive"] >= args.workers and node.stop())
    node.run()
    node.cancel_timer(waiting)

    def batches():
        sent = 0
        while sent < args.requests:
            size = min(args.batch, args.requests - sent)
            sent += size
            yield {"url": args.url, "requests": size, "connections": args.connections,
                   "timeout_ms": 5000, "rate": None, "start_in_us": 0}

    statuses, errors, latency, per_worker, failed = (collections.Counter(), collections.Counter(),
                                                     collections.Counter(), collections.Counter(), [])

    def on_result(index, result, error):
        if error is not None:
            failed.append(str(error))
            return
        done = 0
        for code, n in result["statuses"]:
            statuses[code] += n
            done += n
        for kind, n in result["errors"]:
            errors[kind] += n
            done += n
        for us, n in result["latency_us"]:
            latency[us] += n
        per_worker[result["worker"]] += done

    started = time.perf_counter()
    finished = pool.map(TASK, batches(), on_result)
    watch = node.every(0.01, lambda: finished.done() and node.stop())
    node.run()
    node.cancel_timer(watch)
    elapsed = time.perf_counter() - started
    requests = sum(statuses.values()) + sum(errors.values())
    report = {
        "requests": requests,
        "seconds": round(elapsed, 3),
        "requests_per_second": round(requests / elapsed, 1),
        "latency_ms": {name: percentile(latency, q) for name, q in
                       [("p50", .5), ("p90", .9), ("p99", .99), ("p99.9", .999), ("max", 1.0)]},
        "status_codes": {str(k): v for k, v in sorted(statuses.items())},
        "errors": dict(sorted(errors.items())),
        "per_worker": dict(sorted(per_worker.items())),
        "failed_batches": failed,
    }
    if args.json:
        print(json.dumps(report))
    else:
        print(f"requests: {requests} in {elapsed:.2f} s, {report['requests_per_second']:.0f} req/s")
        print("latency ms: " + ", ".join(f"{k} {v:.3f}" for k, v in report["latency_ms"].items()))
        print(f"status codes: {report['status_codes'] or 'none'}")
        print(f"errors: {report['errors'] or 'none'}")
        print(f"per worker: {report['per_worker'] or 'none'}")
    node.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    modes = parser.add_subparsers(dest="mode", required=True)
    c = modes.add_parser("control")
    c.add_argument("--url", required=True)
    c.add_argument("--requests", type=int, required=True)
    c.add_argument("--bind", default="tcp://0.0.0.0:2100")
    c.add_argument("--workers", type=int, default=1)
    c.add_argument("--connections", type=int, default=4)
    c.add_argument("--batch", type=int, default=500)
    c.add_argument("--json", action="store_true")
    w = modes.add_parser("worker")
    w.add_argument("--connect", required=True)
    w.add_argument("--name")
    args = parser.parse_args()
    (control if args.mode == "control" else worker)(args)


if __name__ == "__main__":
    sys.exit(main())
