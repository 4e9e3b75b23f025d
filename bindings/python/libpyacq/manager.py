"""Distributed graphs (PROTOCOL §5, §7, §14): create_manager, Manager, and the proxies to node
groups, nodes and their streams.

Node groups are ``pyacq-nodegroup`` processes (found next to the libpyacq library, in
``../bin`` from it, or at ``$PYACQ_NODEGROUP_EXECUTABLE``); nodes live in them and are reached
through proxies::

    import libpyacq as pyacq

    man = pyacq.create_manager('local')
    ng = man.create_nodegroup()                 # spawns a pyacq-nodegroup process
    dev = ng.create_node('NumpyDeviceBuffer')
    dev.configure(nb_channel=4, sample_interval=0.001, chunksize=50)
    dev.output.configure(protocol='tcp', interface='127.0.0.1', transfermode='plaindata')
    dev.initialize()
    inp = pyacq.InputStream()
    inp.connect(dev.output)                     # a local input fed by a remote node
    dev.start()
    index, data = inp.recv(timeout=5)
    dev.stop(); man.close()
"""

import atexit
import ctypes
import json
import os
import sys
import weakref

from . import _capi
from ._arrays import dtype_param
from ._capi import check, lib
from ._handle import HandleKeeper, HandleOwner
from .errors import InvalidArgument, PyAcqError, RemoteCallError
from .rpc import ObjectProxy, _proxy_from_handle, from_json, register_proxy_class, to_json

__all__ = ["create_manager", "Manager", "NodeGroup", "NodeProxy", "StreamProxy", "list_node_types"]


_CALL_OPTIONS = ("_sync", "_timeout", "_return_type")

#: Default timeout (seconds) of a Manager's calls: spawning a node group process can take a few
#: seconds on a loaded machine. Pass ``timeout=`` to create_manager to change it.
GRAPH_TIMEOUT = 30.0


def _has_call_options(kwargs):
    return any(key in kwargs for key in _CALL_OPTIONS)


def _encode_params(params):
    params = dict(params)
    if "dtype" in params:
        params["dtype"] = dtype_param(params["dtype"])
    return to_json(params)


def _typed(proxy, kind):
    """The typed C handle (node, node group, stream) of `proxy`, made from its generic proxy
    handle on first use and kept beside it."""
    keeper = proxy.__dict__.get("_typed_keeper")
    if keeper is None:
        handle_type, from_proxy, _, destroy = _KINDS[kind]
        handle = handle_type()
        check(from_proxy(proxy._handle(), ctypes.byref(handle)))
        keeper = HandleKeeper(handle, destroy)
        object.__setattr__(proxy, "_typed_keeper", keeper)
    return keeper.handle


def _from_typed(handle, kind, cls, options):
    """A proxy of class `cls` owning the fresh typed C handle `handle`."""
    _, _, to_proxy, destroy = _KINDS[kind]
    keeper = HandleKeeper(handle, destroy)
    generic = _capi.ProxyHandle()
    check(to_proxy(handle, ctypes.byref(generic)))
    proxy = _proxy_from_handle(generic, **options)
    if not isinstance(proxy, cls):
        proxy = cls(proxy._ref, _handle=proxy._keeper, **options)
    object.__setattr__(proxy, "_typed_keeper", keeper)
    return proxy


def _timeout(proxy):
    return _capi.timeout_ms(proxy._options["timeout"])


def list_node_types():
    """Node types registered in libpyacq (Swift nodes a node group can create)."""
    out = ctypes.c_void_p()
    check(lib.pyacq_list_node_types(ctypes.byref(out)))
    return json.loads(_capi.take_string(out.value))


# ----------------------------------------------------------------------------- stream proxies

def _in_property(function):
    """For properties of proxy classes: a remote AttributeError raised inside a property would
    make Python fall back to ObjectProxy.__getattr__ (a silent deferred proxy); it is re-raised
    as a plain RemoteCallError (type_name still "AttributeError")."""
    def getter(self):
        try:
            return function(self)
        except AttributeError as exc:
            if not isinstance(exc, RemoteCallError):
                raise
            plain = RemoteCallError(exc.message, exc.status, exc.status_name)
            plain.type_name, plain.remote_message, plain.traceback = exc.type_name, exc.remote_message, exc.traceback
            raise plain from None
    getter.__name__ = function.__name__
    getter.__doc__ = function.__doc__
    return property(getter)


class _ParamsDict(dict):
    """A stream's params fetched by value; ``_get_value()`` keeps pyacq code
    (``node.output.params._get_value()``) working."""

    def _get_value(self):
        return dict(self)


class StreamProxy(ObjectProxy):
    """A proxy to a remote OutputStream or InputStream.

    ``configure(**params)`` (outputs), ``connect(other)`` (inputs: `other` is a proxy to a
    remote output, a local libpyacq OutputStream or a params dict), ``params`` (a dict, fetched
    by value); every other stream method (recv, poll, set_buffer, get_data, close...) goes
    through the generic proxy call.
    """

    def configure(self, **params):
        if _has_call_options(params):  # _sync / _timeout / _return_type: the generic call
            if "dtype" in params:
                params["dtype"] = dtype_param(params["dtype"])
            return self._derive("configure")(**params)
        check(lib.pyacq_stream_configure(_typed(self, "stream"), _encode_params(params), _timeout(self)),
              "configure %s" % self._context())

    def connect(self, other, **options):
        if options:
            return self._derive("connect")(other, **options)
        local = getattr(type(other), "_node_stream_handle", None)
        local = local(other) if callable(local) and not isinstance(other, ObjectProxy) else None
        if isinstance(other, ObjectProxy) or local is not None:  # a node's stream, in any process
            source = local if local is not None else _typed(other, "stream")
            check(lib.pyacq_stream_connect(_typed(self, "stream"), source, _timeout(self)),
                  "connect %s" % self._context())
        else:
            self._derive("connect")(other)

    def _node_stream_handle(self):
        """The typed stream handle (what pyacq_stream_connect / pyacq_input_connect_stream take)."""
        return _typed(self, "stream")

    @_in_property
    def params(self):
        return _ParamsDict(self._derive("params")._get_value() or {})

    @_in_property
    def spec(self):
        return self._derive("spec")._get_value()


class _RemoteStreams:
    """A remote node's ``inputs`` / ``outputs`` dict: ``streams[name]`` is a StreamProxy."""

    def __init__(self, node, kind):
        self._node = node
        self._kind = kind  # "output" | "input"

    def __getitem__(self, name):
        try:
            return self._node._stream(self._kind, name)
        except KeyError:
            raise KeyError(name) from None

    def keys(self):
        return list(self._node._derive(self._kind + "s", "keys")())

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())

    def __contains__(self, name):
        return name in self.keys()

    def items(self):
        return [(name, self[name]) for name in self.keys()]

    def values(self):
        return [self[name] for name in self.keys()]

    def __repr__(self):
        return "<remote %ss of %r: %s>" % (self._kind, self._node, self.keys())


# ----------------------------------------------------------------------------- nodes

class NodeProxy(ObjectProxy):
    """A proxy to a node living in a node group (pyacq's remote node usage): configure(**kw),
    initialize(), start(), stop(), close(), running() / configured() / initialized() /
    closed(), ``output`` / ``input`` (the only stream), ``outputs[name]`` / ``inputs[name]``,
    and any node-specific method through the generic proxy call."""

    def configure(self, **kwargs):
        if _has_call_options(kwargs):
            return self._derive("configure")(**kwargs)
        check(lib.pyacq_node_configure(_typed(self, "node"), to_json(kwargs), _timeout(self)), "configure %s" % self._context())

    def _lifecycle(self, name, function, options):
        if options:  # _sync / _timeout / _return_type: the generic call
            return self._derive(name)(**options)
        check(function(_typed(self, "node"), _timeout(self)), "%s %s" % (name, self._context()))

    def initialize(self, **options):
        return self._lifecycle("initialize", lib.pyacq_node_initialize, options)

    def start(self, **options):
        return self._lifecycle("start", lib.pyacq_node_start, options)

    def stop(self, **options):
        return self._lifecycle("stop", lib.pyacq_node_stop, options)

    def close(self, **options):
        return self._lifecycle("close", lib.pyacq_node_close, options)

    def _stream(self, kind, name=None):
        """A StreamProxy to the node's only `kind` stream (name None) or the one named `name`."""
        handle = _capi.StreamHandle()
        function = lib.pyacq_node_output if kind == "output" else lib.pyacq_node_input
        check(function(_typed(self, "node"), None if name is None else str(name).encode("utf-8"), _timeout(self),
                       ctypes.byref(handle)),
              "%s of %s" % (kind if name is None else "%ss[%r]" % (kind, name), self._context()))
        return _from_typed(handle, "stream", StreamProxy, self._options)

    def _only_stream(self, kind):
        cache = "_cached_" + kind
        cached = self.__dict__.get(cache)
        if cached is None:
            cached = self._stream(kind)
            object.__setattr__(self, cache, cached)
        return cached

    @_in_property
    def output(self):
        return self._only_stream("output")

    @_in_property
    def input(self):
        return self._only_stream("input")

    @property
    def outputs(self):
        return _RemoteStreams(self, "output")

    @property
    def inputs(self):
        return _RemoteStreams(self, "input")


class NodeGroup(ObjectProxy):
    """A proxy to a node group (a ``pyacq-nodegroup`` process): ``create_node(type_name,
    name=...)`` returns a :class:`NodeProxy`; ``list_node_types()``, ``list_nodes()``,
    ``start_all_nodes()``, ``stop_all_nodes()``, ``any_node_running()`` and ``close()`` (the
    process then exits) are remote calls."""

    def create_node(self, node_class, *args, name=None, **kwds):
        if not isinstance(node_class, str):
            raise InvalidArgument("create_node() takes the registered name of a node type (a str), got %r"
                                  % (node_class,))
        if args or kwds:
            if name is not None:
                kwds["name"] = name
            proxy = self._derive("create_node")(node_class, *args, **kwds)
            return proxy if isinstance(proxy, NodeProxy) else NodeProxy(proxy._ref, _handle=proxy._keeper)
        handle = _capi.NodeHandle()
        check(lib.pyacq_nodegroup_create_node(_typed(self, "nodegroup"), node_class.encode("utf-8"),
                                              None if name is None else str(name).encode("utf-8"), _timeout(self),
                                              ctypes.byref(handle)),
              "create_node(%r)" % node_class)
        return _from_typed(handle, "node", NodeProxy, self._options)


#: kind -> (handle type, from_proxy, to_proxy, destroy) of the typed C handles.
_KINDS = {
    "node": (_capi.NodeHandle, lib.pyacq_node_from_proxy, lib.pyacq_node_proxy, lib.pyacq_node_destroy),
    "nodegroup": (_capi.NodeGroupHandle, lib.pyacq_nodegroup_from_proxy, lib.pyacq_nodegroup_proxy,
                  lib.pyacq_nodegroup_destroy),
    "stream": (_capi.StreamHandle, lib.pyacq_stream_from_proxy, lib.pyacq_stream_proxy,
               lib.pyacq_stream_destroy),
}

register_proxy_class(lambda t: t.startswith("<class 'pyacq.nodes."), NodeProxy)
register_proxy_class(lambda t: t.endswith(".NodeGroup'>"), NodeGroup)
register_proxy_class(lambda t: t.endswith("OutputStream'>") or t.endswith("InputStream'>"), StreamProxy)


# ----------------------------------------------------------------------------- manager

class Manager(HandleOwner):
    """pyacq's Manager, through libpyacq: mode ``"local"`` runs it in this process (served by
    an RPC thread; node groups' log records are printed to stderr), ``"rpc"`` in a spawned
    ``manager_proc`` process. ``proxy`` is an ObjectProxy to the Manager itself; unknown
    attributes are forwarded to it (e.g. ``list_hosts()``)."""

    _kind = "manager"

    def __init__(self, mode="local", timeout=GRAPH_TIMEOUT):
        if mode not in ("local", "rpc"):
            raise InvalidArgument("manager mode must be 'local' or 'rpc', got %r" % (mode,))
        self.mode = mode
        self.name = ""
        _export_binding_for_children()  # Python node groups (and Swift groups' Python companions) import this binding
        self.timeout = timeout
        handle = _capi.ManagerHandle()
        check(lib.pyacq_manager_create(ctypes.byref(handle), mode.encode("ascii"), self._ms()), "create_manager(%r)" % mode)
        self._keeper = HandleKeeper(handle, lib.pyacq_manager_destroy)
        proxy = _capi.ProxyHandle()
        check(lib.pyacq_manager_proxy(handle, ctypes.byref(proxy)))
        self.proxy = _proxy_from_handle(proxy)
        self.hosts = {}

    def get_host(self, addr):
        """Connects to the Host served at `addr` (a ``pyacq-host`` or a Python host_server);
        returns a proxy to it."""
        if isinstance(addr, ObjectProxy):
            return addr
        if isinstance(addr, bytes):
            addr = addr.decode("utf-8")
        addr = str(addr)
        handle = _capi.HostHandle()
        check(lib.pyacq_manager_add_host(self._live().handle, addr.encode("utf-8"), self._ms(), ctypes.byref(handle)),
              "get_host(%r)" % addr)
        keeper = HandleKeeper(handle, lib.pyacq_host_destroy)
        generic = _capi.ProxyHandle()
        check(lib.pyacq_host_proxy(keeper.handle, ctypes.byref(generic)))
        host = _proxy_from_handle(generic)
        self.hosts[addr] = host
        return host

    add_host = get_host

    def create_nodegroup(self, name=None, host=None, qt=None, **kwds):
        """Spawns a node group process named `name` (None = automatic) on `host` (None = this
        machine; an address given to get_host, or a Host proxy). Other keywords go to the Host
        (e.g. ``executable=``).

        By default the node group is the Swift ``pyacq-nodegroup`` (every Swift node type, no
        Python). ``qt=True`` makes it a Python node group running a Qt event loop (Qt widget
        nodes, viewers), ``python=True`` one without Qt: both host Python node types
        (``register_node_type_from_module``) and every Swift node type as local nodes."""
        if qt or kwds.get("python"):
            kwds["python"] = True
            kwds["qt"] = bool(qt)
        if isinstance(host, ObjectProxy):
            host = host._rpc_addr
        elif isinstance(host, bytes):
            host = host.decode("utf-8")
        handle = _capi.NodeGroupHandle()
        options = to_json(kwds) if kwds else None
        check(lib.pyacq_manager_create_nodegroup(self._live().handle,
                                                 None if name is None else str(name).encode("utf-8"),
                                                 None if host is None else str(host).encode("utf-8"),
                                                 options, self._ms(), ctypes.byref(handle)),
              "create_nodegroup(%r)" % (name,))
        return _from_typed(handle, "nodegroup", NodeGroup, {})

    def list_nodegroups(self):
        out = ctypes.c_void_p()
        check(lib.pyacq_manager_list_nodegroups(self._live().handle, self._ms(), ctypes.byref(out)))
        groups = from_json(_capi.take_string(out.value)) or []
        return [g if isinstance(g, NodeGroup) or not isinstance(g, ObjectProxy) else NodeGroup(g._ref)
                for g in groups]

    def start_all_nodes(self):
        check(lib.pyacq_manager_start_all_nodes(self._live().handle, self._ms()), "start_all_nodes")

    def stop_all_nodes(self):
        check(lib.pyacq_manager_stop_all_nodes(self._live().handle, self._ms()), "stop_all_nodes")

    def close(self):
        """Closes every node group (their processes exit) and, in "rpc" mode, the manager
        process. Idempotent."""
        keeper = self._keeper
        if keeper is None:
            return
        self._release()
        check(lib.pyacq_manager_close(keeper.handle, self._ms()))

    def _ms(self):
        return _capi.timeout_ms(self.timeout)

    def __getattr__(self, name):
        if name.startswith("_") or name in ("proxy", "mode", "hosts", "name", "timeout"):
            raise AttributeError(name)
        self._live()
        return getattr(self.proxy, name)

    def __repr__(self):
        return "<libpyacq.Manager %s%s>" % (self.mode, " closed" if self.closed else "")


def _export_binding_for_children():
    """Python node groups spawned by the library run this interpreter with this binding."""
    from .spawner import child_environment
    env = child_environment()
    os.environ.setdefault("PYACQ_PYTHON", sys.executable)
    os.environ["PYTHONPATH"] = env["PYTHONPATH"]
    os.environ.setdefault("LIBPYACQ_PATH", env["LIBPYACQ_PATH"])


_open_managers = weakref.WeakSet()


def _close_managers():
    for manager in list(_open_managers):
        keeper = manager._keeper
        if keeper is None or not keeper.alive:  # closed already, or its handle's finalizer ran first at exit
            continue
        try:
            manager.close()
        except PyAcqError as exc:  # at exit nothing can be done but telling
            sys.stderr.write("libpyacq: closing %r at exit failed: %s\n" % (manager, exc))


atexit.register(_close_managers)


def create_manager(mode="rpc", auto_close_at_exit=True):
    """pyacq's create_manager: a :class:`Manager` in this process (``"local"``) or in a
    spawned ``manager_proc`` process (``"rpc"``, pyacq's default). With `auto_close_at_exit`
    its node groups are closed when the interpreter exits."""
    manager = Manager(mode)
    if auto_close_at_exit:
        _open_managers.add(manager)
    return manager
