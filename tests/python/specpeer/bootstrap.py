"""Process bootstrap (PROTOCOL.md §5): a stand-in for pyacq's bootstrapped child, and
the parent side of the spawn handshake.

Child: ``python -m specpeer.bootstrap [name]`` (with ``tests/python`` on
PYTHONPATH), or the executable ``specpeer/standin_child.py``, which also
accepts the argv pyacq gives a foreign executable
(``-m pyacq.core.rpc.bootstrap [name]``, §5.4). It reads the JSON config from
stdin, binds an RPCServer to ``args.address``, connects a PAIR to
``bootstrap_addr``, sends ``{"address": ...}`` (or ``{"error": [...]}``) every
10 ms until any reply arrives (≤ 10 s), then serves until ``close``. Importable
modules: ``time``, ``math`` and ``specpeer.rpc_testobjects``; the namespace also
holds ``echo`` (an ``rpc_testobjects.Echo``).

Parent: ``spawn_child(executable, name, ...)`` binds the PAIR, starts the child,
writes the config, waits for the status, replies ``OK`` and connects a client.
"""

import json
import logging
import os
import subprocess
import sys
import threading
import time
import traceback

import zmq

from . import names
from .logging_peer import LogSender, LogSenderHandler
from .rpc_client import RPCClient
from .rpc_server import RPCServer

__all__ = ["main", "spawn_child", "SpawnedChild", "SpawnError", "TESTS_PYTHON_DIR",
           "STANDIN_MODULE", "PYACQ_BOOTSTRAP_MODULE"]

logger = logging.getLogger("specpeer.bootstrap")

TESTS_PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STANDIN_MODULE = "specpeer.bootstrap"
PYACQ_BOOTSTRAP_MODULE = "pyacq.core.rpc.bootstrap"
HANDSHAKE_LINGER_MS = 1000
STATUS_PERIOD_S = 0.01
STATUS_TIMEOUT_S = 10.0
SERVER_CLASSES = ("RPCServer", "QtRPCServer")  # Qt is served like a plain server here


class SpawnError(RuntimeError):
    pass


# ====================================================================== child side

def _install_excepthooks():
    def hook(exc_type, exc, tb):
        logging.getLogger().error("Unhandled exception", exc_info=(exc_type, exc, tb))

    def thread_hook(args):
        logging.getLogger().error("Unhandled exception in thread %s", args.thread,
                                  exc_info=(args.exc_type, args.exc_value, args.exc_traceback))

    sys.excepthook = hook
    threading.excepthook = thread_hook


def _make_server(config):
    class_name = config.get("class_name")
    if class_name not in SERVER_CLASSES:
        raise ValueError(f"unsupported server class {class_name!r}")
    from .rpc_testobjects import Echo, TESTOBJECTS_MODULE
    server = RPCServer(**dict(config.get("args") or {}))
    server.allow_import(TESTOBJECTS_MODULE)
    server["echo"] = Echo()
    return server


def main(argv=None, stdin=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:2] == ["-m", PYACQ_BOOTSTRAP_MODULE]:
        argv = argv[2:]
    name = argv[0] if argv else None
    config = json.loads((stdin or sys.stdin).read())

    if name:
        names.set_process_name(name)
    root = logging.getLogger()
    root.setLevel(int(config.get("loglevel", logging.WARNING)))
    log_handler = None
    if config.get("logaddr"):
        log_handler = LogSenderHandler(config["logaddr"])
        root.addHandler(log_handler)
    _install_excepthooks()

    context = zmq.Context.instance()
    pair = context.socket(zmq.PAIR)
    pair.setsockopt(zmq.LINGER, HANDSHAKE_LINGER_MS)
    pair.connect(config["bootstrap_addr"])
    server = None
    try:
        server = _make_server(config)
        status = {"address": server.address}
    except Exception as exc:
        status = {"error": traceback.format_exception(type(exc), exc, exc.__traceback__)}
    payload = json.dumps(status).encode("utf-8")
    deadline = time.monotonic() + STATUS_TIMEOUT_S
    acknowledged = False
    while time.monotonic() < deadline:
        try:
            pair.send(payload, zmq.NOBLOCK)
        except zmq.Again:
            pass
        if pair.poll(int(STATUS_PERIOD_S * 1000), zmq.POLLIN):
            pair.recv()
            acknowledged = True
            break
    pair.close()
    if server is None or not acknowledged:
        if server is not None:
            server.close()
        logging.shutdown()
        context.destroy(linger=HANDSHAKE_LINGER_MS)
        return 1

    logger.info("specpeer bootstrap %s serving at %s", name or names.get_process_name(),
                server.address)
    server.run_forever()
    if log_handler is not None:
        root.removeHandler(log_handler)
        log_handler.close()
    logging.shutdown()
    context.destroy(linger=HANDSHAKE_LINGER_MS)
    return 0


# ====================================================================== parent side

class SpawnedChild:
    """A child started by `spawn_child`: `process` (Popen), `name`, `address`,
    `status` (the handshake map), `client` (RPCClient of the spawning thread, or None)."""

    def __init__(self, process, name, address, client, forwarders, status=None):
        self.process = process
        self.status = status
        self.name = name
        self.address = address
        self.client = client
        self._forwarders = forwarders

    def __repr__(self):
        return f"<SpawnedChild {self.name} pid={self.process.pid} at {self.address}>"

    def poll(self):
        return self.process.poll()

    def wait(self, timeout=10.0):
        code = self.process.wait(timeout)
        for thread in self._forwarders:
            thread.join(timeout)
        return code

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
        return self.wait()

    def stop(self, timeout=10.0):
        """§5.3: polite `close` (1 s, expects True), wait, kill on failure.
        Returns the exit code."""
        if self.process.poll() is None:
            try:
                client = self.client or RPCClient.get_client(self.address)
                if not client.disconnected:
                    client.close_server(timeout=1.0)
                return self.wait(timeout)
            except Exception:
                logger.exception("polite stop of %r failed; killing", self)
                return self.kill()
            finally:
                if self.client is not None:
                    self.client.close()
        return self.wait(timeout)


def _forward_stream(stream, name, label, level, logaddr):
    sender = LogSender(logaddr, thread_name=f"{label}-forwarder")
    try:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            sender.log(level, f"[{name}.{label}] {line}", name="specpeer.spawn")
    finally:
        stream.close()
        sender.close()


def _is_python(executable):
    return os.path.realpath(executable) == os.path.realpath(sys.executable)


def spawn_child(executable=None, name=None, *, module=None, argv=None,
                address="tcp://127.0.0.1:*", loglevel=logging.WARNING, logaddr=None, qt=False,
                class_name=None, env=None, cwd=None, timeout=STATUS_TIMEOUT_S, connect=True,
                serializer="msgpack"):
    """Parent side of §5.1.

    `executable` defaults to this Python, run as ``-m specpeer.bootstrap``;
    any other executable gets pyacq's argv ``[exe, "-m", "pyacq.core.rpc.bootstrap",
    name]`` (override the module with `module`, or the whole argv with `argv`).
    `tests/python` is prepended to PYTHONPATH. With `logaddr`, the child's
    stdout/stderr lines are forwarded as records "[<name>.stdout] <line>" (INFO)
    / "[<name>.stderr] <line>" (WARNING). Raises SpawnError on an `error`
    status or early exit, TimeoutError without status.
    """
    executable = executable or sys.executable
    if isinstance(logaddr, bytes):
        logaddr = logaddr.decode()
    if argv is None:
        if module is None:
            module = STANDIN_MODULE if _is_python(executable) else PYACQ_BOOTSTRAP_MODULE
        argv = [executable, "-m", module] + ([name] if name else [])
    child_env = dict(os.environ if env is None else env)
    child_env["PYTHONPATH"] = os.pathsep.join(
        [TESTS_PYTHON_DIR] + [p for p in child_env.get("PYTHONPATH", "").split(os.pathsep) if p])

    context = zmq.Context.instance()
    pair = context.socket(zmq.PAIR)
    pair.setsockopt(zmq.LINGER, HANDSHAKE_LINGER_MS)
    pair.bind("tcp://127.0.0.1:*")
    config = {
        "class_name": class_name or ("QtRPCServer" if qt else "RPCServer"),
        "args": {"address": address},
        "bootstrap_addr": pair.getsockopt_string(zmq.LAST_ENDPOINT),
        "loglevel": int(loglevel),
        "logaddr": logaddr,
        "qt": bool(qt),
    }
    pipe = subprocess.PIPE if logaddr else None
    try:
        process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=pipe, stderr=pipe,
                                   env=child_env, cwd=cwd)
    except BaseException:
        pair.close()
        raise
    forwarders = []
    if logaddr:
        for stream, label, level in ((process.stdout, "stdout", logging.INFO),
                                     (process.stderr, "stderr", logging.WARNING)):
            thread = threading.Thread(target=_forward_stream, daemon=True,
                                      args=(stream, name or "child", label, level, logaddr))
            thread.start()
            forwarders.append(thread)
    child = SpawnedChild(process, name, None, None, forwarders)
    try:
        process.stdin.write(json.dumps(config).encode("utf-8"))
        process.stdin.close()
        status = _wait_status(pair, process, timeout)
        pair.send(b"OK")
    except BaseException:
        pair.close()
        child.kill()
        raise
    pair.close()
    if "error" in status:
        child.kill()
        raise SpawnError("child failed to start:\n" + "".join(status["error"]))
    child.status = status
    child.address = status["address"]
    if connect:
        try:
            child.client = RPCClient.get_client(child.address, serializer=serializer)
        except BaseException:
            child.kill()
            raise
    return child


def _wait_status(pair, process, timeout):
    deadline = time.monotonic() + timeout
    while True:
        if pair.poll(50, zmq.POLLIN):
            return json.loads(pair.recv().decode("utf-8"))
        code = process.poll()
        if code is not None:
            raise SpawnError(f"child exited with code {code} before reporting its status")
        if time.monotonic() > deadline:
            raise TimeoutError(f"no bootstrap status from child within {timeout} s")


if __name__ == "__main__":
    sys.exit(main())
