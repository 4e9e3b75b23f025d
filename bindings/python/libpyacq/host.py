"""pyacq's Host in a Python process (PROTOCOL §7.3): spawns node group processes on this machine.

``proc, host = Host.spawn("host1")`` starts a Python process serving a Host;
``host.create_nodegroup(name, manager=None, qt=True)`` spawns a node group: a Python one
(:class:`libpyacq.nodegroup.NodeGroup`, with a Qt event loop when `qt`) or, with ``qt=False``
when the Swift ``pyacq-nodegroup`` executable is found, the library's Swift node group.
``executable=`` picks the child program explicitly.
"""

import atexit
import logging
import os
import shutil
import threading

from .spawner import ProcessSpawner

__all__ = ["Host", "swift_nodegroup_executable"]

logger = logging.getLogger("libpyacq.host")


def swift_nodegroup_executable():
    """Path of the Swift ``pyacq-nodegroup`` (``$PYACQ_NODEGROUP_EXECUTABLE``, beside the
    library, or on PATH), or None."""
    from . import _capi
    override = os.environ.get("PYACQ_NODEGROUP_EXECUTABLE")
    if override:
        return override
    library_dir = os.path.dirname(os.path.abspath(_capi.library_path))
    for candidate in (os.path.join(library_dir, "pyacq-nodegroup"), os.path.join(library_dir, "..", "bin", "pyacq-nodegroup")):
        if os.access(candidate, os.X_OK):
            return os.path.normpath(candidate)
    return shutil.which("pyacq-nodegroup")


def _set_item(address, name, value_marker):
    """pyacq's ``client[name] = value`` (a set_item request, PROTOCOL §2.5), which the library's
    client does not offer."""
    import msgpack
    import zmq
    socket = zmq.Context.instance().socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 1000)
    socket.setsockopt(zmq.RCVTIMEO, 10000)
    socket.setsockopt(zmq.IDENTITY, ("libpyacq-host-%d-%x:%s" % (os.getpid(), threading.get_ident(), address)).encode())
    try:
        socket.connect(address)
        opts = msgpack.dumps({"name": name, "obj": value_marker}, use_bin_type=True)
        socket.send_multipart([b"0", b"set_item", b"auto", b"msgpack", opts])
        reply = msgpack.loads(socket.recv(), raw=False)
    finally:
        socket.close()
    if reply.get("error"):
        raise RuntimeError("set_item %r on %s failed: %s" % (name, address, "".join(reply["error"][1])))


class Host:
    """Spawns and watches node group processes (pyacq's Host). Lives in a process serving a
    :class:`libpyacq.core.rpc.RPCServer` and publishes itself there as ``host``."""

    @staticmethod
    def spawn(name, **kwds):
        """(ProcessSpawner, Host proxy): a new Python process serving a Host named `name`."""
        proc = ProcessSpawner(name=name, **kwds)
        host = proc.client._import("libpyacq.host").Host(name)
        return proc, host

    def __init__(self, name, poll_procs=False):
        from .objectserver import serving_server
        self.name = name
        self.spawners = set()
        self._server = serving_server()
        if self._server is None:
            raise RuntimeError("a Host lives in a process serving a libpyacq.core.rpc.RPCServer (use Host.spawn)")
        self._server["host"] = self
        self._poller = None
        if poll_procs:
            self._poller = threading.Thread(target=self._poll, name="host-poll", daemon=True)
            self._poller.start()
        atexit.register(self.close_all_nodegroups)

    def create_nodegroup(self, name, manager=None, qt=True, **kwds):
        """Spawns the node group process `name`; returns a proxy to its NodeGroup."""
        from .rpc import ObjectProxy
        address = self._server.address.rsplit(":", 1)[0] + ":*"
        executable = kwds.pop("executable", None)
        if executable is None and not qt:
            executable = swift_nodegroup_executable()
        swift_child = executable is not None and not os.path.basename(executable).startswith("python")
        spawner = ProcessSpawner(name=name, address=address, qt=qt, executable=executable,
                                 log_addr=kwds.pop("log_addr", None), log_level=kwds.pop("log_level", None))
        try:
            module = spawner.client._import("pyacq.core.nodegroup" if swift_child else "libpyacq.nodegroup")
            nodegroup = module.NodeGroup(host=self, manager=manager)
            _set_item(spawner.address, "nodegroup", nodegroup._marker() if isinstance(nodegroup, ObjectProxy) else nodegroup)
        except Exception:
            spawner.kill()
            raise
        spawner.nodegroup = nodegroup
        spawner.manager = manager
        self.spawners.add(spawner)
        return nodegroup

    def close_all_nodegroups(self, force=False):
        """Stops every node group process (politely, or by force)."""
        for spawner in list(self.spawners):
            spawner.kill() if force else spawner.stop()
            self.spawners.discard(spawner)

    def check_spawners(self):
        """Reports node group processes that ended to their managers."""
        for spawner in list(self.spawners):
            if spawner.poll() is not None:
                self.spawners.discard(spawner)
                logger.warning("host %s: node group %r exited with code %s", self.name, spawner.name, spawner.poll())
                if spawner.manager is not None:
                    spawner.manager.nodegroup_closed(spawner.nodegroup, _sync="off")

    def _poll(self):
        import time
        while True:
            time.sleep(1.0)
            self.check_spawners()
