"""CURVE from Python with real parts: pyzmq peers (keys made by pyzmq's own `zmq.auth`)
against DripDrop routes given ``curve=``, a pool and worker processes keyed the same way,
certificate files both ways between `dripdrop.Certificate` and `zmq.auth`, the errors that
name a bad file, and ``curve=False`` with ``DRIPDROP_CURVE_DIR`` set (in a process of its
own, so the variable reaches no other test). Ports are the system's; every wait polls
against a deadline."""

import os
import shutil
import subprocess
import sys
import textwrap

import pytest
import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

import dripdrop
from conftest import SAFETY, run
from dripdrop import Message

ANY = "tcp://127.0.0.1:*"


@pytest.fixture
def keys(tmp_path):
    """pyzmq's certificates: ``server``, ``good`` (copied into ``allowed/``) and
    ``stranger``, as ``tmp_path/NAME.key`` and ``NAME.key_secret``."""
    for name in ("server", "good", "stranger"):
        zmq.auth.create_certificates(str(tmp_path), name)
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    shutil.copy(tmp_path / "good.key", allowed / "good.key")
    return tmp_path


@pytest.fixture
def context():
    context = zmq.Context()
    yield context
    context.destroy(linger=0)


def push_client(context, endpoint, keys, name):
    """A pyzmq PUSH socket connected to ``endpoint``: a CURVE client with the certificate
    ``name`` (checking the server by keys/server.key), or plain text for None."""
    socket = context.socket(zmq.PUSH)
    socket.linger = 0
    if name is not None:
        public, secret = zmq.auth.load_certificate(str(keys / f"{name}.key_secret"))
        server_public, _ = zmq.auth.load_certificate(str(keys / "server.key"))
        socket.curve_publickey, socket.curve_secretkey = public, secret
        socket.curve_serverkey = server_public
    socket.connect(endpoint)
    return socket


def test_only_the_allowed_pyzmq_client_gets_through_and_the_rest_are_counted(node, keys, context):
    inbox = node.route(
        "inbox",
        "zmq_pull",
        ANY,
        "bind",
        curve={"certificate": str(keys / "server.key_secret"), "allowed": keys / "allowed"},
    )
    got = []
    inbox.on_receive(lambda msg: got.append(msg.name))
    clients = {name or "plain": push_client(context, inbox.endpoint, keys, name) for name in ("good", None, "stranger")}

    def send_and_check():
        for name, socket in clients.items():
            try:
                socket.send(Message(name).encode(), zmq.NOBLOCK)
            except zmq.Again:
                pass  # not connected (refused): nothing to queue it on
        counters = node.stats()["routes"]["inbox"]
        if "good" in got and counters["auth_refused"] >= 1 and counters["handshake_failed"] >= 1:
            node.stop()

    node.every(0.01, send_and_check)
    run(node, "the good client's message and both refusals counted")
    assert set(got) == {"good"}


def test_a_connecting_route_is_a_curve_client_of_a_pyzmq_server(node, keys, context):
    # pyzmq's own authenticator admits the clients whose certificates are in allowed/.
    authenticator = ThreadAuthenticator(context)
    authenticator.start()
    try:
        authenticator.configure_curve(domain="*", location=str(keys / "allowed"))
        server = context.socket(zmq.PULL)
        server.linger = 0
        server.curve_publickey, server.curve_secretkey = zmq.auth.load_certificate(str(keys / "server.key_secret"))
        server.curve_server = True
        port = server.bind_to_random_port("tcp://127.0.0.1")
        server_public, _ = zmq.auth.load_certificate(str(keys / "server.key"))
        # The server by its certificate file, and by its key as pyzmq gives it (Z85 bytes).
        by_file = node.route(
            "by_file",
            "zmq_push",
            f"tcp://127.0.0.1:{port}",
            "connect",
            curve={"certificate": keys / "good.key_secret", "server_certificate": keys / "server.key"},
        )
        good = dripdrop.Certificate.load(keys / "good.key_secret")
        by_key = node.route(
            "by_key",
            "zmq_push",
            f"tcp://127.0.0.1:{port}",
            "connect",
            curve={"secret_key": good.secret_key, "server_key": server_public},
        )
        got = set()

        def send_and_read():
            for route in (by_file, by_key):
                if route.name not in got:
                    route.send_message(Message(route.name))
            while server.poll(0):
                got.add(Message.decode(server.recv()).name)
            if got == {"by_file", "by_key"}:
                node.stop()

        node.every(0.01, send_and_read)
        run(node, "both DripDrop clients' messages at the pyzmq server")
        assert node.stats()["routes"]["by_file"]["auth_refused"] == 0
    finally:
        authenticator.stop()


WORKER = textwrap.dedent(
    """
    import sys
    import dripdrop
    address, directory, name = sys.argv[1:4]
    worker = dripdrop.Worker(
        address,
        concurrency=1,
        curve={
            "certificate": f"{directory}/{name}.key_secret",
            "server_certificate": f"{directory}/server.key",
        },
    )

    @worker.task
    def double(n):
        return 2 * n

    print("serving", flush=True)
    try:
        worker.run()
    except KeyboardInterrupt:
        pass
    """
)


def test_a_pool_is_served_only_by_workers_with_an_allowed_key(node, keys):
    pool = node.worker_pool(
        "p",
        bind=ANY,
        curve={"certificate": keys / "server.key_secret", "allowed": keys / "allowed"},
    )
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, pool.endpoint, str(keys), name], stdout=subprocess.PIPE, text=True)
        for name in ("good", "stranger")
    ]
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "serving"
        futures = [pool.defer("double", n) for n in range(5)]

        def check():
            if all(f.done() for f in futures) and pool.stats()["auth_refused"] >= 1:
                node.stop()

        node.every(0.01, check)
        run(node, "the tasks' results and the stranger refused")
        assert [f.result() for f in futures] == [0, 2, 4, 6, 8]
        assert pool.stats()["workers_alive"] == 1
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()


def test_a_bad_certificate_is_a_certificate_error_naming_the_file(node, keys):
    missing = keys / "missing.key_secret"
    with pytest.raises(dripdrop.CertificateError, match="missing.key_secret"):
        node.route("in", "zmq_pull", ANY, "bind", curve={"certificate": missing})
    # A public certificate where the secret one is needed: named too.
    with pytest.raises(dripdrop.CertificateError, match=r"server\.key\b"):
        node.route("in", "zmq_pull", ANY, "bind", curve={"certificate": keys / "server.key"})
    # A connecting route must know its server.
    with pytest.raises(dripdrop.CertificateError, match="server_key"):
        node.route("out", "zmq_push", ANY, "connect", curve={"certificate": keys / "good.key_secret"})
    with pytest.raises(dripdrop.CertificateError, match="missing.key_secret"):
        node.worker_pool("p", bind=ANY, curve={"certificate": missing})
    with pytest.raises(dripdrop.CertificateError, match="missing.key_secret"):
        dripdrop.Worker("tcp://127.0.0.1:9", curve={"certificate": missing, "server_certificate": keys / "server.key"})
    with pytest.raises(dripdrop.CertificateError, match="missing.key_secret"):
        dripdrop.Node(control="tcp://127.0.0.1:9", control_curve={"certificate": str(missing)})
    with pytest.raises(dripdrop.CertificateError, match="missing.key_secret"):
        dripdrop.Certificate.load(missing)
    # Not a certificate error: names that mean nothing, a key that is not one.
    with pytest.raises(dripdrop.InvalidArgument, match="certficate"):
        node.route("in", "zmq_pull", ANY, "bind", curve={"certficate": str(missing)})
    with pytest.raises(dripdrop.InvalidArgument, match="server_key"):
        node.route("out", "zmq_push", ANY, "connect", curve={"certificate": keys / "good.key_secret", "server_key": "short"})
    assert issubclass(dripdrop.CertificateError, dripdrop.Error)


def test_certificate_files_go_both_ways_with_pyzmq(tmp_path):
    made = dripdrop.Certificate.generate()
    assert len(made.public_key) == 32 and len(made.public_z85) == 40 and len(made.secret_key) == 32
    written = made.save(tmp_path / "dd")
    assert written == [str(tmp_path / "dd.key"), str(tmp_path / "dd.key_secret")]
    assert oct(os.stat(tmp_path / "dd.key_secret").st_mode & 0o777) == "0o600"
    public, secret = zmq.auth.load_certificate(str(tmp_path / "dd.key_secret"))
    assert public.decode() == made.public_z85
    assert zmq.utils.z85.decode(secret) == made.secret_key
    with pytest.raises(dripdrop.CertificateError, match="exists"):
        made.save(tmp_path / "dd")
    made.save(str(tmp_path / "dd"), overwrite=True)

    zmq.auth.create_certificates(str(tmp_path), "py")
    loaded = dripdrop.Certificate.load(tmp_path / "py.key_secret")
    public, secret = zmq.auth.load_certificate(str(tmp_path / "py.key_secret"))
    assert loaded.public_z85 == public.decode() and loaded.secret_key == zmq.utils.z85.decode(secret)
    assert loaded.path == str(tmp_path / "py.key_secret")
    only_public = dripdrop.Certificate.load(str(tmp_path / "py.key"))
    assert only_public.secret_key is None and only_public.public_key == loaded.public_key
    # Its repr shows the public key, never the secret one.
    assert loaded.public_z85 in repr(loaded)
    assert secret.decode() not in repr(loaded)


# Run in a process of its own: DRIPDROP_CURVE_DIR must reach no other test.
PLAIN_DESPITE_THE_ENVIRONMENT = textwrap.dedent(
    """
    import sys, time, zmq
    import dripdrop
    node = dripdrop.Node()
    plain = node.route("plain", "zmq_pull", "tcp://127.0.0.1:*", "bind", curve=False)
    secured = node.route("secured", "zmq_pull", "tcp://127.0.0.1:*", "bind")
    got = []
    plain.on_receive(lambda msg: got.append(("plain", msg.name)))
    secured.on_receive(lambda msg: got.append(("secured", msg.name)))
    context = zmq.Context()
    clients = []
    for endpoint in (plain.endpoint, secured.endpoint):
        socket = context.socket(zmq.PUSH)
        socket.linger = 0
        socket.connect(endpoint)
        clients.append(socket)
    deadline = time.monotonic() + float(sys.argv[1])

    def send_and_check():
        for socket in clients:
            try:
                socket.send(dripdrop.Message("hello").encode(), zmq.NOBLOCK)
            except zmq.Again:
                pass
        refused = node.stats()["routes"]["secured"]["handshake_failed"]
        if (("plain", "hello") in got and refused >= 1) or time.monotonic() > deadline:
            node.stop()

    node.every(0.01, send_and_check)
    node.run()
    print(sorted(set(got)), node.stats()["routes"]["secured"]["handshake_failed"] >= 1)
    context.destroy(linger=0)
    node.close()
    """
)


def test_curve_false_stays_plain_with_the_environment_set(tmp_path):
    server = dripdrop.Certificate.generate()
    server.save(tmp_path / "server")
    env = dict(os.environ, DRIPDROP_CURVE_DIR=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-c", PLAIN_DESPITE_THE_ENVIRONMENT, str(SAFETY)],
        env=env,
        capture_output=True,
        text=True,
        timeout=SAFETY + 10,
    )
    assert out.returncode == 0, out.stderr
    # The route given curve=False took the plain client; the one given nothing speaks CURVE
    # (the environment's keys) and refused it.
    assert out.stdout.strip() == "[('plain', 'hello')] True"
