"""A pure-Python Host peer (PROTOCOL.md §7.3), written from the spec: what pyacq's
`tools/host_server.py` runs, so that a Manager (the Swift one, or a spec-peer client)
can drive a Python host.

Command line (no shell needed; from a Swift test exec it directly)::

    python3 -m specpeer.host_peer tcp://127.0.0.1:* [--name NAME] [--poll-interval S]
            [--exit-on-stdin-eof] [--exit-with-parent]
    # equivalently, without PYTHONPATH:
    python3 <repo>/tests/python/specpeer/host_peer.py tcp://127.0.0.1:* ...

* The address must match `tcp://(*|digits-and-dots):(*|digits)`, as for pyacq's
  host_server (bind a concrete interface if other machines must reach the children).
* The first stdout line is exactly `Running server at: <address>` (flushed); then the
  server publishes `host` and serves until it gets the `close` RPC, SIGTERM/SIGINT, stdin
  EOF (with `--exit-on-stdin-eof`: the handy one from a test — keep the pipe open, close it
  to stop the host) or the death of its parent (`--exit-with-parent`). On the way out it
  closes its node groups politely (`close`, then kill) and exits with code 0.
  A usage error prints a `usage:` line and exits with code 2.
* Children: `create_nodegroup(..., executable=...)`, else `$PYACQ_NODEGROUP_EXECUTABLE`,
  else `<repo>/build/bin/pyacq-nodegroup` (from `make lib`). An executable that is this
  Python interpreter (`sys.executable`) starts the Python node group peer
  `python -m specpeer.nodegroup_peer <name>` (specpeer.bootstrap plus a pure-Python
  `pyacq.core.nodegroup`).
* `--poll-interval S` (default 1.0, as pyacq; 0 disables): how often a timer thread calls
  `check_spawners` on the host *through RPC*; a child that exited is reported to the
  Manager that created it with `manager.nodegroup_closed(nodegroup)` (fire-and-forget).

Remote surface of the published `host` (§7.3): `create_nodegroup(name, manager=None,
qt=True, **kwds)` (kwds: `log_addr` bytes or str or None, `log_level` int, `executable`;
a duplicate running name raises KeyError, an unknown keyword TypeError) returns the
NodeGroup proxy after the wire sequence spawn / `import "pyacq.core.nodegroup"` /
`NodeGroup(host=<proxy to this Host>, manager=<manager>)` / `set_item("nodegroup", ...)`;
`close_all_nodegroups(force=False)`; `check_spawners()`; `list_nodegroups()`;
`child_pids()` (a test helper: {name: pid}); attribute `name`.

In-process use: `HostPeer(address)` + `run()` on the thread that should serve, or
`start_in_thread()`.
"""

if __name__ == "__main__" and not __package__:
    # Run as a file path: make `specpeer` importable and re-run as the package module.
    import os as _os
    import runpy as _runpy
    import sys as _sys

    _here = _os.path.dirname(_os.path.abspath(__file__))
    _sys.path[:] = [p for p in _sys.path if _os.path.abspath(p or ".") != _here]
    _sys.path.insert(0, _os.path.dirname(_here))
    _runpy.run_module("specpeer.host_peer", run_name="__main__", alter_sys=True)
    raise SystemExit(0)

import argparse
import logging
import os
import re
import signal
import socket
import sys
import threading

from .bootstrap import TESTS_PYTHON_DIR, spawn_child
from .rpc_client import RPCClient, ServerDisconnected
from .rpc_serializer import ProxyBase, ProxyRef
from .rpc_server import RPCServer

__all__ = ["Host", "HostPeer", "default_executable", "is_valid_address", "main",
           "NODEGROUP_PEER_MODULE"]

logger = logging.getLogger("specpeer.host_peer")

REPO_DIR = os.path.dirname(os.path.dirname(TESTS_PYTHON_DIR))
NODEGROUP_PEER_MODULE = "specpeer.nodegroup_peer"
ADDRESS_RE = re.compile(r"^tcp://(\*|[0-9.]+):(\*|[0-9]+)$")
SPAWN_OPTIONS = ("log_addr", "log_level", "executable")
LOOP_POLL_S = 0.05


def is_valid_address(address):
    return bool(ADDRESS_RE.match(address))


def default_executable():
    """`$PYACQ_NODEGROUP_EXECUTABLE`, else the repository's build/bin/pyacq-nodegroup."""
    return (os.environ.get("PYACQ_NODEGROUP_EXECUTABLE")
            or os.path.join(REPO_DIR, "build", "bin", "pyacq-nodegroup"))


def _is_python(executable):
    return os.path.realpath(executable) == os.path.realpath(sys.executable)


class _Child:
    def __init__(self, name, spawned, nodegroup, manager):
        self.name = name
        self.spawned = spawned
        self.nodegroup = nodegroup
        self.manager = manager


class Host:
    """The object published as `host`. Every method runs on the server's thread."""

    def __init__(self, name, server):
        self.name = name
        self.server = server
        self.children = []
        server["host"] = self

    def _child_address(self):
        return self.server.address.rsplit(":", 1)[0] + ":*"

    def create_nodegroup(self, name, manager=None, qt=True, **kwds):
        unknown = set(kwds) - set(SPAWN_OPTIONS)
        if unknown:
            raise TypeError(f"create_nodegroup() got unexpected keyword(s) {sorted(unknown)}")
        if any(c.name == name and c.spawned.poll() is None for c in self.children):
            raise KeyError(f"a node group named {name!r} already runs on host {self.name!r}")
        executable = kwds.get("executable") or default_executable()
        if not _is_python(executable) and not os.access(executable, os.X_OK):
            raise FileNotFoundError(f"node group executable {executable!r} not found; run "
                                    "'make lib' or set PYACQ_NODEGROUP_EXECUTABLE")
        log_addr = kwds.get("log_addr")
        if isinstance(log_addr, bytes):
            log_addr = log_addr.decode("utf-8")
        log_level = kwds.get("log_level")
        spawned = spawn_child(executable, name, address=self._child_address(),
                              loglevel=logging.WARNING if log_level is None else int(log_level),
                              logaddr=log_addr, qt=bool(qt),
                              module=NODEGROUP_PEER_MODULE if _is_python(executable) else None)
        try:
            client = spawned.client
            module = client.import_module("pyacq.core.nodegroup")
            if not isinstance(module, ProxyRef):
                raise TypeError(f"import of pyacq.core.nodegroup returned {module!r}")
            nodegroup = client.call(module.with_attributes("NodeGroup"), host=self,
                                    manager=manager)
            if not isinstance(nodegroup, ProxyRef):
                raise TypeError(f"NodeGroup() returned {nodegroup!r}, not a proxy")
            client.set_item("nodegroup", nodegroup)
        except BaseException:
            spawned.kill()
            raise
        self.children.append(_Child(name, spawned, nodegroup, manager))
        logger.info("host %s: node group %r running at %s", self.name, name, spawned.address)
        return nodegroup

    def list_nodegroups(self):
        return [c.nodegroup for c in self.children]

    def child_pids(self):
        return {c.name: c.spawned.process.pid for c in self.children}

    def close_all_nodegroups(self, force=False):
        children, self.children = self.children, []
        for child in children:
            try:
                # §5.3: close (1 s), then up to 10 s for the exit. A Python child can need
                # seconds: its ROUTER closes with linger 5 s, and a notice queued for a client
                # that has just disconnected holds the context termination that long.
                child.spawned.kill() if force else child.spawned.stop(timeout=10.0)
            except Exception:
                logger.exception("stopping node group %r failed", child.name)
                child.spawned.kill()

    def check_spawners(self):
        """Reports each exited child to its manager (fire-and-forget)."""
        for child in list(self.children):
            code = child.spawned.poll()
            if code is None:
                continue
            self.children.remove(child)
            try:
                child.spawned.wait(1.0)
                if child.spawned.client is not None:
                    child.spawned.client.close()
            except Exception:
                pass
            logger.warning("host %s: node group %r exited with code %s", self.name, child.name,
                           code)
            manager = child.manager
            if isinstance(manager, ProxyBase):
                manager = manager._proxy_ref
            if isinstance(manager, ProxyRef):  # pyacq calls it even without a manager (§15.3)
                try:
                    client = RPCClient.get_client(manager.rpc_addr)
                    client.call(manager.with_attributes("nodegroup_closed"), child.nodegroup,
                                _sync="off")
                except Exception:
                    logger.exception("could not report the end of %r to its manager", child.name)


class HostPeer:
    """An RPCServer with a published Host, a serving loop and the optional poll timer."""

    def __init__(self, address="tcp://127.0.0.1:*", name=None, poll_interval=1.0):
        self.server = RPCServer(address)
        self.address = self.server.address
        self.host = Host(name or socket.gethostname(), self.server)
        self.poll_interval = poll_interval
        self.stop_requested = threading.Event()
        self._thread = None

    def run(self):
        """Serve on the calling thread until `close` (RPC) or `request_stop()`; then close
        every node group and the server."""
        self.server._claim_thread(strict=True)
        poller = None
        if self.poll_interval and self.poll_interval > 0:
            poller = threading.Thread(target=self._poll, name="host-peer-poll", daemon=True)
            poller.start()
        try:
            while not self.server.closed and not self.stop_requested.is_set():
                self.server.process_one(LOOP_POLL_S)
        finally:
            self.stop_requested.set()
            self.host.close_all_nodegroups()
            self.server.close()
            RPCClient.close_thread_clients()
            if poller is not None:
                poller.join(5)

    def _poll(self):
        """As pyacq's poll_procs: `check_spawners` through RPC to itself."""
        try:
            client = RPCClient(self.address)
        except Exception:
            return
        host = client.proxy(client.get_item("host"))
        try:
            while not self.stop_requested.wait(self.poll_interval):
                try:
                    host.check_spawners(_timeout=30.0)
                except ServerDisconnected:
                    break
                except TimeoutError:
                    continue
        finally:
            client.close()

    def request_stop(self):
        self.stop_requested.set()

    def start_in_thread(self):
        ready = threading.Event()
        self.server._release_thread()

        def target():
            ready.set()
            self.run()

        self._thread = threading.Thread(target=target, name="host-peer", daemon=True)
        self._thread.start()
        ready.wait(5)
        return self._thread

    def join(self, timeout=None):
        if self._thread is not None:
            self._thread.join(timeout)


def _watch_stdin(peer):
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except Exception:
        pass
    peer.request_stop()


def _watch_parent(peer, parent):
    while not peer.stop_requested.wait(0.2):
        if os.getppid() != parent:
            peer.request_stop()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m specpeer.host_peer",
                                     description="pure-Python pyacq Host server (spec peer)")
    parser.add_argument("address", help="tcp://<ip>:<port|*>")
    parser.add_argument("--name", default=None, help="host name (default: gethostname())")
    parser.add_argument("--poll-interval", type=float, default=1.0)
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    parser.add_argument("--exit-with-parent", action="store_true")
    args = parser.parse_args(argv)
    if not is_valid_address(args.address):
        print("usage: python -m specpeer.host_peer tcp://<ip>:<port|*>   "
              "e.g. tcp://127.0.0.1:*", flush=True)
        return 2
    logging.basicConfig(level=logging.WARNING,
                        format="[host_peer %(process)d] %(levelname)s %(name)s: %(message)s")
    peer = HostPeer(args.address, name=args.name, poll_interval=args.poll_interval)

    def on_signal(signum, frame):
        peer.request_stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if args.exit_on_stdin_eof:
        threading.Thread(target=_watch_stdin, args=(peer,), daemon=True).start()
    if args.exit_with_parent:
        threading.Thread(target=_watch_parent, args=(peer, os.getppid()), daemon=True).start()
    print(f"Running server at: {peer.address}", flush=True)
    peer.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
