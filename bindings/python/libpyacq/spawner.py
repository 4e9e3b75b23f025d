"""pyacq's ProcessSpawner and the bootstrap of its children (PROTOCOL §5).

``ProcessSpawner()`` starts a Python process serving a :class:`libpyacq.core.rpc.RPCServer`
(``qt=True``: a :class:`QtRPCServer` on a Qt event loop) and connects ``proc.client`` to it.
``executable=`` runs another program speaking the same bootstrap, e.g. the Swift
``pyacq-nodegroup`` (PROTOCOL §5.4). The child is stopped politely at interpreter exit.
"""

import atexit
import json
import logging
import os
import subprocess
import sys
import threading
import weakref

from .errors import InvalidArgument, PyAcqTimeout, RemoteError

__all__ = ["ProcessSpawner", "BOOTSTRAP_MODULE", "child_environment", "bootstrap_child"]

logger = logging.getLogger("libpyacq.spawner")

#: The module a Python child runs (``python -m``).
BOOTSTRAP_MODULE = "libpyacq.core.rpc.bootstrap"
_HANDSHAKE_TIMEOUT_MS = 10000
_live_spawners = weakref.WeakSet()


def child_environment(extra=None):
    """The environment of a child process: this one, plus what makes the same libpyacq
    importable there (the binding's folder on PYTHONPATH, the library's folder)."""
    from . import _capi
    env = dict(os.environ)
    binding = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = [binding] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != binding]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.setdefault("LIBPYACQ_PATH", os.path.dirname(os.path.abspath(_capi.library_path)))
    if extra:
        env.update(extra)
    return env


class ProcessSpawner:
    """A child process running an RPC server; ``client`` is an RPCClient to it.

    `name` names the child's process (logs); `address` is its server's bind address; `qt`
    makes it a Qt process (a QtRPCServer on the GUI thread); `log_addr` / `log_level` forward
    its log records and output lines to a log server; `executable` runs another program (default:
    this Python interpreter running libpyacq's bootstrap module).
    """

    def __init__(self, name=None, address="tcp://127.0.0.1:*", qt=False, log_addr=None, log_level=None,
                 executable=None):
        import zmq
        from .rpc import RPCClient
        if isinstance(log_addr, bytes):
            log_addr = log_addr.decode("utf-8")
        self.name = name
        self.qt = bool(qt)
        level = logging.getLogger().level if log_level is None else log_level
        if not isinstance(level, int):
            raise InvalidArgument("log_level must be an int logging level, got %r" % (level,))
        context = zmq.Context.instance()
        handshake = context.socket(zmq.PAIR)
        handshake.setsockopt(zmq.LINGER, 1000)
        handshake.setsockopt(zmq.RCVTIMEO, _HANDSHAKE_TIMEOUT_MS)
        try:
            handshake.bind("tcp://127.0.0.1:*")
            config = {"class_name": "QtRPCServer" if self.qt else "RPCServer",
                      "args": {"address": str(address.decode() if isinstance(address, bytes) else address)},
                      "bootstrap_addr": handshake.getsockopt(zmq.LAST_ENDPOINT).decode("utf-8"),
                      "loglevel": level, "logaddr": log_addr, "qt": self.qt}
            self.executable = executable or sys.executable
            command = [self.executable, "-m", BOOTSTRAP_MODULE] + ([str(name)] if name else [])
            pipes = subprocess.PIPE if log_addr else None
            try:
                self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=pipes, stderr=pipes,
                                             env=child_environment())
            except OSError as exc:
                raise InvalidArgument("cannot start %r: %s" % (self.executable, exc)) from None
            self.proc.stdin.write(json.dumps(config).encode("utf-8"))
            self.proc.stdin.close()
            if log_addr:
                for pipe, level_name in ((self.proc.stdout, logging.INFO), (self.proc.stderr, logging.WARNING)):
                    _forward_lines(pipe, "%s.%s" % (name or "process", "stdout" if level_name == logging.INFO else "stderr"),
                                   level_name)
            try:
                status = json.loads(handshake.recv().decode("utf-8"))
            except zmq.Again:
                self.kill()
                raise PyAcqTimeout("child process %r (%s) did not report its address within %d s"
                                   % (name, self.executable, _HANDSHAKE_TIMEOUT_MS // 1000)) from None
            handshake.send(b"OK")
        finally:
            handshake.close()
        if "error" in status:
            self.kill()
            raise RemoteError("child process %r failed to start:\n%s" % (name, "".join(status["error"])))
        self.address = status["address"]
        self.client = RPCClient(self.address)
        _live_spawners.add(self)

    def wait(self, timeout=10):
        """The child's exit code after it ends (None if it is still running after `timeout` s)."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def poll(self):
        """The exit code, or None while the child runs."""
        return self.proc.poll()

    def kill(self):
        """Ends the child by force (SIGKILL) and reaps it."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def stop(self):
        """Asks the child's server to close, waits up to 10 s, then kills it."""
        _live_spawners.discard(self)
        if self.proc.poll() is not None:
            return
        try:
            self.client.close_server()
        except Exception as exc:  # unreachable (or our client is gone at exit): no polite way left
            logger.info("closing %r politely failed (%s): killing it", self.name, exc)
            self.kill()
            return
        if self.wait(10) is None:
            self.kill()

    def __repr__(self):
        return "<libpyacq.ProcessSpawner %r pid=%s %s>" % (self.name, self.proc.pid, getattr(self, "address", ""))


def _forward_lines(pipe, prefix, level):
    def run():
        log = logging.getLogger()
        for raw in iter(pipe.readline, b""):
            log.log(level, "[%s] %s", prefix, raw.decode("utf-8", "replace").rstrip("\n"))
    threading.Thread(target=run, name="output of " + prefix, daemon=True).start()


@atexit.register
def _stop_children():
    for spawner in list(_live_spawners):
        spawner.stop()


def _start_qt(qt):
    """The child's QApplication: for qt true, for "auto" when a Qt binding imports; else None."""
    if not qt:
        return None
    from .widgetnode import qt_modules
    try:
        _, QtWidgets = qt_modules()
    except ImportError:
        if qt == "auto":
            return None
        raise
    qapp = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    qapp.setQuitOnLastWindowClosed(False)
    return qapp


def bootstrap_child():
    """The child side (PROTOCOL §5.2): config from stdin, server up, address reported to the
    parent, then serve until closed."""
    import importlib
    import zmq
    from . import logtools
    # Modules every child imports first (e.g. an import hook mapping `pyacq` to libpyacq).
    for module in filter(None, os.environ.get("LIBPYACQ_CHILD_IMPORTS", "").split(",")):
        importlib.import_module(module.strip())
    config = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    name = sys.argv[1] if len(sys.argv) > 1 else None
    logging.getLogger().setLevel(int(config.get("loglevel", logging.WARNING)))
    if name:
        logtools.set_process_name(name)
    if config.get("logaddr"):
        logtools.set_logger_address(config["logaddr"])
    handshake = zmq.Context.instance().socket(zmq.PAIR)
    handshake.setsockopt(zmq.LINGER, 1000)
    handshake.connect(config["bootstrap_addr"])
    server = None
    try:
        from .objectserver import QtRPCServer, RPCServer
        qapp = _start_qt(config.get("qt"))
        server_class = QtRPCServer if qapp is not None else RPCServer
        server = server_class(**config.get("args", {}))
        status = {"address": server.address}
    except Exception as exc:
        import traceback
        status = {"error": traceback.format_exception(type(exc), exc, exc.__traceback__)}
    message = json.dumps(status).encode("utf-8")
    poller = zmq.Poller()
    poller.register(handshake, zmq.POLLIN)
    for _ in range(1000):  # every 10 ms for up to 10 s, until the parent answers
        handshake.send(message)
        if poller.poll(10):
            handshake.recv()
            break
    handshake.close()
    if server is None:
        sys.exit(1)
    server.run_forever()
