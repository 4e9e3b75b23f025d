"""A pure-Python NodeGroup process (PROTOCOL.md §7.4, §7.5, §14.1), written from the spec.

`python -m specpeer.nodegroup_peer [name]` (tests/python on PYTHONPATH) is the spec-peer
bootstrap child (`specpeer.bootstrap`, §5.2) whose server additionally answers
`import "pyacq.core.nodegroup"` with a module-like object holding `NodeGroup`, so that a
Host (pyacq's, the Swift one, or `specpeer.host_peer`) can run the §7.3 sequence on it:
import, `NodeGroup(host=..., manager=...)`, `set_item("nodegroup", ...)`. Like
`standin_child.py`, it skips pyacq's `-m pyacq.core.rpc.bootstrap` argv pair, so the
executable `specpeer/nodegroup_child.py` can be handed to a Host as `executable=`.

At exit the process closes the nodes still open (threads stopped, sharedmem files removed).

Node types (only what the interop tests and benchmarks need): `NumpyDeviceBuffer` and
`StreamConverter` with the wire behaviour of §14.1. The device exposes `start_time`
(time.monotonic() of the last start: chunk with index i is due at start_time + i *
sample_interval, the same schedule the Swift node uses) for latency measurements.
"""

import copy
import logging
import threading
import time
import types

import numpy as np

from .rpc_client import RPCClient
from .rpc_serializer import ProxyBase, ProxyRef
from .rpc_server import RPCServer
from .streams import InputStream, OutputStream

__all__ = ["Node", "NumpyDeviceBuffer", "StreamConverter", "NodeGroup", "NODE_TYPES",
           "NODEGROUP_MODULE", "make_module", "register", "main"]

logger = logging.getLogger("specpeer.nodegroup")

NODEGROUP_MODULE = "pyacq.core.nodegroup"
POLL_MS = 50


class NodeOutputStream(OutputStream):
    """An OutputStream whose params also inherit defaults from the node (e.g. a converter's
    input): defaults < spec < inherited < configure() keywords."""

    def __init__(self, spec=None, name=""):
        super().__init__(spec)
        self.name = name
        self.inherited = {}

    def configure(self, **kwargs):
        merged = {k: copy.deepcopy(v) for k, v in self.inherited.items()
                  if k not in kwargs and k not in self.spec}
        merged.update(kwargs)
        super().configure(**merged)


class NodeInputStream(InputStream):
    """`connect()` also accepts a proxy to a remote OutputStream (§8.3: `get_obj` of
    `[..., "params"]` by value) and tells the node."""

    def __init__(self, spec=None, node=None, name=""):
        super().__init__(spec)
        self.node = node
        self.name = name

    def connect(self, output):
        if isinstance(output, ProxyBase):
            output = output._proxy_ref
        if isinstance(output, ProxyRef):
            client = RPCClient.get_client(output.rpc_addr)
            output = client.get_obj(output.with_attributes("params"), return_type="value")
        super().connect(output)
        if self.node is not None:
            self.node._input_connected(self.name)


class Node:
    """Lifecycle of §7.5: configure -> (connect / configure streams) -> initialize ->
    start/stop (repeatable, indexes restart at 0) -> close."""

    _input_specs = {}
    _output_specs = {}

    def __init__(self, name=""):
        self.name = name
        self.inputs = {n: NodeInputStream(s, self, n) for n, s in self._input_specs.items()}
        self.outputs = {n: NodeOutputStream(s, n) for n, s in self._output_specs.items()}
        self._configured = self._initialized = self._running = self._closed = False

    def __repr__(self):
        return f"<{type(self).__name__} {self.name!r}>"

    @property
    def input(self):
        if len(self.inputs) != 1:
            raise AttributeError(f"{type(self).__name__} has {len(self.inputs)} inputs")
        return next(iter(self.inputs.values()))

    @property
    def output(self):
        if len(self.outputs) != 1:
            raise AttributeError(f"{type(self).__name__} has {len(self.outputs)} outputs")
        return next(iter(self.outputs.values()))

    def running(self):
        return self._running

    def configured(self):
        return self._configured

    def initialized(self):
        return self._initialized

    def closed(self):
        return self._closed

    def configure(self, **kwargs):
        if self._running:
            raise RuntimeError(f"cannot configure node {self.name!r} while it is running")
        self._configure(**kwargs)
        self._configured = True

    def initialize(self):
        if not self._configured:
            raise RuntimeError(f"node {self.name!r} must be configured before initialize()")
        self._initialize()
        self._initialized = True

    def start(self):
        if not (self._configured and self._initialized):
            raise RuntimeError(f"node {self.name!r} must be configured and initialized to start")
        if self._running:
            raise RuntimeError(f"node {self.name!r} is already running")
        for output in self.outputs.values():
            if output.params is not None:
                output.reset_index()
        self._start()
        self._running = True

    def stop(self):
        if not self._running:
            raise RuntimeError(f"node {self.name!r} is not running")
        self._stop()
        self._running = False

    def close(self):
        if self._running:
            self.stop()
        self._close()
        for stream in list(self.inputs.values()) + list(self.outputs.values()):
            stream.close()
        self._closed = True

    # hooks
    def _configure(self, **kwargs):
        pass

    def _initialize(self):
        pass

    def _start(self):
        pass

    def _stop(self):
        pass

    def _close(self):
        pass

    def _input_connected(self, name):
        pass


class NumpyDeviceBuffer(Node):
    """§14.1: plays `buffer` in a loop; every chunksize*sample_interval s the next
    `chunksize` rows with index = samples sent."""

    _output_specs = {"signals": {"streamtype": "analogsignal", "shape": [-1, 16],
                                 "compression": "", "sample_rate": 30.0}}

    def __init__(self, name=""):
        super().__init__(name)
        self.start_time = 0.0
        self.sample_interval = 0.001
        self.chunksize = 256
        self._thread = None
        self._stop_event = threading.Event()

    def _configure(self, nb_channel=16, sample_interval=0.001, chunksize=256, buffer=None,
                   channel_names=None):
        if buffer is None:  # pyacq crashes here (§15.3); give a float32 test signal instead
            rows = max(1, int(np.ceil(1.0 / sample_interval / chunksize))) * chunksize
            t = np.arange(rows)[:, None] / rows
            buffer = np.sin(2 * np.pi * (np.arange(nb_channel)[None, :] + 1) * t).astype("float32")
        buffer = np.ascontiguousarray(buffer)
        if buffer.ndim != 2 or buffer.shape[1] != nb_channel or buffer.shape[0] % chunksize:
            raise ValueError(f"buffer shape {buffer.shape} must be (k * {chunksize}, {nb_channel})")
        self.nb_channel, self.sample_interval, self.chunksize = nb_channel, sample_interval, chunksize
        self.buffer = buffer
        self.channel_names = list(channel_names or [f"chan{i}" for i in range(nb_channel)])
        self.outputs["signals"].spec.update({"shape": [-1, nb_channel],
                                             "sample_rate": 1.0 / sample_interval,
                                             "dtype": buffer.dtype.name})

    def _initialize(self):
        output = self.outputs["signals"]
        if output.params is not None:
            output.params["channel_info"] = [{"name": n} for n in self.channel_names]

    def _start(self):
        self._stop_event.clear()
        self.start_time = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"{self.name}-device", daemon=True)
        self._thread.start()

    def _run(self):
        output = self.outputs["signals"]
        start, period, rows = self.start_time, self.chunksize * self.sample_interval, len(self.buffer)
        sent = 0
        while not self._stop_event.is_set():
            wait = start + (sent // self.chunksize + 1) * period - time.monotonic()
            if wait > 0:
                self._stop_event.wait(min(wait, 0.05))
                continue
            row = sent % rows
            sent += self.chunksize
            output.send(self.buffer[row:row + self.chunksize], index=sent)

    def _stop(self):
        self._stop_event.set()
        self._thread.join(5)
        self._thread = None


class StreamConverter(Node):
    """§14.1: forwards every chunk with the same index, cast to the output dtype."""

    _input_specs = {"in": {}}
    _output_specs = {"out": {}}

    def __init__(self, name=""):
        super().__init__(name)
        self._thread = None
        self._stop_event = threading.Event()

    def _input_connected(self, name):
        params = self.inputs["in"].params
        self.outputs["out"].inherited = {k: copy.deepcopy(params[k]) for k in
                                         ("dtype", "shape", "sample_rate", "channel_info",
                                          "streamtype") if k in params}

    def _start(self):
        self._stop_event.clear()
        self._thread = threading.Thread(target=self._run, name=f"{self.name}-convert", daemon=True)
        self._thread.start()

    def _run(self):
        source, target = self.inputs["in"], self.outputs["out"]
        while not self._stop_event.is_set():
            if not source.poll(POLL_MS):
                continue
            index, data = source.recv()
            if data.dtype != target.dtype:
                data = data.astype(target.dtype)
            target.send(data, index=index)

    def _stop(self):
        self._stop_event.set()
        self._thread.join(5)
        self._thread = None


NODE_TYPES = {"NumpyDeviceBuffer": NumpyDeviceBuffer, "StreamConverter": StreamConverter}


_GROUPS = []  # every NodeGroup of this process (closed at exit, see main)


class NodeGroup:
    """§7.4 remote surface."""

    def __init__(self, host=None, manager=None, server=None):
        self.host = host
        self.manager = manager
        self.nodes = []
        self._server = server
        _GROUPS.append(self)

    def create_node(self, node_class, *args, **kwds):
        try:
            cls = NODE_TYPES[node_class]
        except KeyError:
            raise KeyError(f"node type {node_class!r} is not registered "
                           f"(known: {sorted(NODE_TYPES)})") from None
        node = cls(*args, **kwds)
        self.nodes.append(node)
        return node

    def list_node_types(self):
        return sorted(NODE_TYPES)

    def register_node_type_from_module(self, modname, classname):
        raise NotImplementedError("the spec-peer NodeGroup does not import node modules")

    def add_node(self, node):
        if node not in self.nodes:
            self.nodes.append(node)

    def remove_node(self, node):
        if node.running():
            raise RuntimeError(f"cannot remove running node {node.name!r}")
        self.nodes.remove(node)

    def list_nodes(self):
        return list(self.nodes)

    def start_all_nodes(self):
        for node in self.nodes:
            if node.initialized() and not node.running():
                node.start()

    def stop_all_nodes(self):
        for node in self.nodes:
            if node.running():
                node.stop()

    def any_node_running(self):
        return any(node.running() for node in self.nodes)

    def close_nodes(self):
        for node in self.nodes:
            if node.closed():
                continue
            try:
                node.close()
            except Exception:
                logger.exception("closing node %r failed", node)

    def close(self):
        """Stops and closes the nodes, then the server closes after this reply (§7.6)."""
        self.close_nodes()
        server = self._server or RPCServer.local_server()
        if server is not None:
            # As pyacq's fire-and-forget close to its own server: the reply to this request
            # goes out first, then the serving loop closes (disconnect notices to the others).
            server._stop_requested = True


def make_module():
    """The module-like object served as `pyacq.core.nodegroup`."""
    module = types.ModuleType(NODEGROUP_MODULE)

    def factory(host=None, manager=None):
        return NodeGroup(host=host, manager=manager, server=RPCServer.local_server())

    module.NodeGroup = factory
    return module


def register(server):
    server.register_module(NODEGROUP_MODULE, make_module())


def main(argv=None):
    """The bootstrap child of §5.2 with `pyacq.core.nodegroup` importable."""
    from . import bootstrap

    plain_make_server = bootstrap._make_server

    def make_server(config):
        server = plain_make_server(config)
        register(server)
        serve = server.run_forever

        def run_forever():
            try:
                serve()
            finally:
                # A plain `close` of the server (a Host's polite stop) leaves nodes running:
                # stop their threads and remove their shared-memory files (pyacq leaves
                # them, §15.3) before the bootstrap destroys the zmq context.
                for group in _GROUPS:
                    group.close_nodes()

        server.run_forever = run_forever
        return server

    bootstrap._make_server = make_server
    return bootstrap.main(argv)


if __name__ == "__main__":
    import sys

    # Run the package's copy (not __main__) so proxies name specpeer.nodegroup_peer classes.
    from specpeer import nodegroup_peer

    sys.exit(nodegroup_peer.main())
