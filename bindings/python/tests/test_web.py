"""HTTP and WebSocket routes from Python, driven by clients nobody here wrote: Python's
`websockets` and curl."""

import json
import subprocess
import sys
import threading

import pytest

import dripdrop
from conftest import run
from dripdrop import Message


def client_thread(target):
    """Runs `target` (a client) on a thread, keeping what it raised for the test to re-raise."""
    failures = []

    def body():
        try:
            target()
        except BaseException as e:  # re-raised on the test's thread
            failures.append(e)

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread, failures


def test_a_websocket_route_hands_over_each_connection_and_answers_through_it(node):
    from websockets.sync.client import connect

    ws = node.route("ws", "websocket", "ws://127.0.0.1:0/chat")
    assert ws.kind == "websocket_server"
    assert ws.endpoint.startswith("ws://127.0.0.1:") and ws.endpoint.endswith("/chat")
    events = []
    connections = set()

    @ws.on_open
    def opened(conn):
        events.append(("open", conn.signature))
        connections.add(conn)
        conn.send_message(Message("hello", body=conn.signature))

    @ws.on_receive
    def received(msg, conn):
        events.append(("message", msg.name, conn.signature))
        assert conn in connections  # the same connection, as a key
        conn.send_message(Message("echo", head={"n": 1}, body=msg.body))
        assert ws.broadcast(Message("all", body="everyone")) == 1

    @ws.on_close
    def closed(conn):
        events.append(("close", conn.signature))
        node.stop()

    seen = []

    def browser():
        with connect(ws.endpoint) as socket:
            seen.append(json.loads(socket.recv(timeout=10)))
            socket.send(json.dumps({"name": "say", "body": [1, "two", None]}))
            seen.append(json.loads(socket.recv(timeout=10)))
            seen.append(json.loads(socket.recv(timeout=10)))

    thread, failures = client_thread(browser)
    run(node, "the browser's visit")
    thread.join(10)
    if failures:
        raise failures[0]
    signature = events[0][1]
    assert events == [("open", signature), ("message", "say", signature), ("close", signature)]
    assert seen[0] == {"name": "hello", "head": {}, "body": signature}
    assert seen[1] == {"name": "echo", "head": {"n": 1}, "body": [1, "two", None]}
    assert seen[2]["name"] == "all"
    stats = node.stats()["routes"]["ws"]
    assert stats["connections"] == 0 and stats["messages_in"] == 1


def test_a_closed_connection_raises_connection_error_and_bad_text_reaches_on_error(node):
    from websockets.sync.client import connect

    ws = node.route("ws", "websocket_server", "ws://127.0.0.1:0/")
    kept = []
    reasons = []

    ws.on_open(kept.append)
    ws.on_error(lambda reason, conn: reasons.append(reason))

    @ws.on_close
    def closed(conn):
        with pytest.raises(dripdrop.ConnectionError):
            conn.send_message(Message("late"))
        node.stop()

    def browser():
        with connect(ws.endpoint) as socket:
            socket.send("this is not json")

    thread, failures = client_thread(browser)
    run(node, "the browser's visit")
    thread.join(10)
    if failures:
        raise failures[0]
    assert len(reasons) == 1 and "JSON" in reasons[0]
    assert isinstance(dripdrop.ConnectionError("x"), ConnectionError)


def test_handlers_that_do_not_fit_a_websocket_route_are_refused(node):
    ws = node.route("ws", "websocket_server", "ws://127.0.0.1:0/")
    pub = node.route("pub", "zmq_publish", "tcp://127.0.0.1:*")
    with pytest.raises(dripdrop.RouteError):
        pub.on_open(lambda conn: None)
    with pytest.raises(dripdrop.RouteError):
        ws.send_message(Message("to whom?"))
    with pytest.raises(dripdrop.InvalidArgument):
        node.route("bad", "websocket_server", "ipc:///tmp/not-a-web-address")


def test_an_http_server_answers_curl_and_an_http_client_route(node, tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<p>hi</p>")
    api = node.route("api", "http_server", "http://127.0.0.1:0")
    assert api.endpoint.startswith("http://127.0.0.1:")

    @api.on_receive
    def answer(msg, response):
        path = msg.head["http_path"]
        if path == "/page":
            response.send_file(str(page))
        elif path == "/teapot":
            response.send_status(418, Message("teapot", body="short and stout"))
        else:
            response.send_message(Message("echo", head={"method": msg.head["http_method"]}, body=msg.body))

    client = node.route("client", "http_client", api.endpoint + "echo")
    replies = []

    def got(reply):
        replies.append(reply)
        node.stop()

    future = client.send_message(Message("question", body={"n": 42}), got)
    run(node, "the http_client's reply")
    assert future.result(0).name == "echo"
    assert replies[0].head == {"method": "POST"} and replies[0].body == {"n": 42}

    outcome = {}
    base = api.endpoint  # read here: only the node's own thread may use it while it runs

    def curl():
        def fetch(path, *extra):
            done = subprocess.run(
                ["curl", "-s", "-w", "\n%{http_code}", *extra, base + path.lstrip("/")],
                capture_output=True,
                text=True,
                timeout=20,
            )
            body, _, status = done.stdout.rpartition("\n")
            return int(status), body

        try:
            outcome["page"] = fetch("/page")
            outcome["teapot"] = fetch("/teapot")
            outcome["post"] = fetch(
                "/x", "-H", "Content-Type: application/json", "-d", '{"name":"hi","body":[1,2]}'
            )
            outcome["bad"] = fetch("/x", "-d", "not json")
        finally:
            handle.stop()

    handle = node.handle()
    thread, failures = client_thread(curl)
    run(node, "curl's requests")
    thread.join(20)
    if failures:
        raise failures[0]
    assert outcome["page"] == (200, "<p>hi</p>")
    status, body = outcome["teapot"]
    assert status == 418 and json.loads(body)["body"] == "short and stout"
    status, body = outcome["post"]
    assert status == 200 and json.loads(body) == {"name": "echo", "head": {"method": "POST"}, "body": [1, 2]}
    status, body = outcome["bad"]
    assert status == 400 and json.loads(body)["body"]["class"] == "DecodeError"


def test_an_http_client_reports_a_refused_connection_as_connection_error(node):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = node.route("client", "http_client", f"http://127.0.0.1:{port}/nobody")
    future = client.send_message(Message("anyone?"))
    errors = []
    node.on_error(errors.append)
    future.add_done_callback(lambda f: node.stop())
    run(node, "the refusal")
    with pytest.raises(dripdrop.ConnectionError):
        future.result(0)
