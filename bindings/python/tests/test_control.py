"""The control backchannel from Python: a node given `control=` reports to a ROUTER (pyzmq
here, standing in for `dripdrop control`) as a Python process, with its routes."""

import zmq

import dripdrop
from conftest import run


def test_a_python_node_reports_its_language_role_routes_and_beats():
    context = zmq.Context.instance()
    server = context.socket(zmq.ROUTER)
    server.linger = 0
    port = server.bind_to_random_port("tcp://127.0.0.1")
    node = dripdrop.Node(control=f"tcp://127.0.0.1:{port}", role="tester", heartbeat=0.05)
    try:
        node.route("out", "zmq_push", "tcp://127.0.0.1:*")
        seen = {}

        def read_reports():
            while server.poll(0):
                identity, frame = server.recv_multipart()
                message = dripdrop.Message.decode(frame)
                seen.setdefault(message.name, (identity, message))
            if "dripdrop.hello" in seen and "dripdrop.beat" in seen:
                node.stop()

        node.every(0.01, read_reports)
        run(node, "a hello and a beat")
        identity, hello = seen["dripdrop.hello"]
        assert identity.decode() == hello.body["id"]
        assert hello.body["language"] == "python"
        assert hello.body["role"] == "tester"
        assert [r["name"] for r in hello.body["routes"]] == ["out"]
        assert node.stats()["control"]["id"] == hello.body["id"]
    finally:
        node.close()
        server.close()
