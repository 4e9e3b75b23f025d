"""pyacq's RPC (PROTOCOL.md §1-§6) over libpyacq's C ABI: RPCServer, RPCClient, ObjectProxy,
Future.

Values cross the C ABI as JSON; the types JSON lacks travel as pyacq's marker maps
(``{"___type_name___": "ndarray" | "bytes" | "proxy" | "datetime" | "date", ...}``). This module
encodes arguments (numpy arrays, bytes, proxies, datetimes, numpy scalars, local OutputStreams)
into that form and decodes results back (ndarray -> numpy array, bytes -> bytes, proxy ->
:class:`ObjectProxy` or one of its subclasses).

Units: RPC timeouts (``_timeout``, ``timeout=``) are **seconds** (float, None = wait forever), as
in pyacq's RPC layer. The default call timeout is pyacq's 10 s.

Remote exceptions are raised as :class:`libpyacq.errors.RemoteCallError` (alias
``RemoteCallException``, pyacq's name); ``.type_name`` is the remote exception type, and the
raised class also derives from the built-in exception of that name when there is one, so
``except KeyError`` works for a remote ``KeyError``.
"""

import base64
import ctypes
import datetime
import json
import threading
import logging
import time

import numpy as np

from . import _capi
from ._arrays import as_dtype, dtype_param
from ._capi import check, lib, timeout_ms
from ._handle import HandleKeeper, HandleOwner
from ._wait import TIMEOUT_STATUS as _TIMEOUT, sliced
from .objectserver import proxy_for_local_object, serving_server
from .errors import ClosedError, InvalidArgument, PyAcqTimeout, RemoteCallError, RemoteError, StateError

__all__ = ["RPCServer", "RPCClient", "ObjectProxy", "Future", "encode_value", "decode_value",
           "to_json", "from_json", "measure_clock_diff", "register_proxy_class", "DEFAULT_TIMEOUT",
           "RemoteCallError", "RemoteCallException"]

RemoteCallException = RemoteCallError  # pyacq's name

MARKER = "___type_name___"
#: pyacq's default timeout of proxy calls and attribute fetches (seconds).
DEFAULT_TIMEOUT = 10.0
_log = logging.getLogger(__name__)
_SYNC_MODES = ("sync", "async", "off")
_RETURN_TYPES = ("auto", "proxy", "value")
_PROXY_KEYS = ("rpc_addr", "obj_id", "ref_id", "type_str", "attributes")
# type_str of the values pyacq returns by value under return_type "auto" (§2.9).
_BY_VALUE_TYPES = frozenset("<class '%s'>" % name for name in (
    "NoneType", "str", "int", "bool", "float", "tuple", "list", "dict", "numpy.ndarray", "numpy.float64"))


def _release_reference(proxy):
    """Drops a temporary proxy's server reference; a server that is gone or slow only costs
    a reference it would drop anyway when the client disconnects."""
    try:
        proxy._delete()
    except (RemoteError, ClosedError, PyAcqTimeout) as exc:
        _log.debug("could not release %r: %s", proxy, exc)


def _out_string():
    return ctypes.c_void_p()


# ----------------------------------------------------------------------------- encoding

def _encode_array(array):
    array = np.ascontiguousarray(array)
    if array.dtype.hasobject:
        raise InvalidArgument("numpy arrays of Python objects cannot be sent over RPC")
    return {MARKER: "ndarray", "data": base64.b64encode(array.tobytes()).decode("ascii"),
            "dtype": str(array.dtype), "shape": list(array.shape)}


def encode_value(value):
    """`value` as a JSON-ready tree with pyacq's marker maps (PROTOCOL §3.1)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, ObjectProxy):
        return value._marker()
    if isinstance(value, np.ndarray):
        return _encode_array(value)
    if isinstance(value, np.generic):
        return value.item() if not isinstance(value, np.void) else _encode_array(np.asarray(value))
    if isinstance(value, (list, tuple)):
        return [encode_value(item) for item in value]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(key, bytes):
                key = key.decode("utf-8")
            if not isinstance(key, str):
                raise InvalidArgument("RPC map keys must be str (pyacq's msgpack rejects others), got %r" % (key,))
            out[key] = encode_value(item)
        return out
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {MARKER: "bytes", "data": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime.datetime):
        return {MARKER: "datetime", "data": value.strftime("%Y-%m-%dT%H:%M:%S.%f")}
    if isinstance(value, datetime.date):
        return {MARKER: "date", "data": value.strftime("%Y-%m-%d")}
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return dtype_param(value)
    rpc_value = getattr(value, "_rpc_value", None)
    if callable(rpc_value):  # e.g. a local OutputStream travels as its params
        return encode_value(rpc_value())
    marker = proxy_for_local_object(value)  # a thread serving a Python RPCServer proxies it (§3.7)
    if marker is not None:
        return marker
    raise InvalidArgument("%r (%s) cannot be sent over RPC: libpyacq sends None, bool, int, float, str, "
                          "list, tuple, dict, bytes, numpy arrays and scalars, datetimes, proxies and "
                          "configured OutputStreams" % (value, type(value).__name__))


def to_json(value):
    """UTF-8 JSON bytes of `value` for the C ABI (marker maps, NaN/Infinity tokens)."""
    return json.dumps(encode_value(value)).encode("utf-8")


def _decode_array(entry):
    dtype = as_dtype(entry["dtype"])
    shape = tuple(int(n) for n in entry.get("shape", ()))
    raw = base64.b64decode(entry["data"]) if isinstance(entry["data"], str) else bytes(entry["data"])
    array = np.frombuffer(bytearray(raw), dtype=dtype, count=int(np.prod(shape, dtype=np.int64)))
    return array.reshape(shape)


def _hook(mapping):
    kind = mapping.get(MARKER)
    if kind is None:
        return mapping
    if kind == "ndarray":
        return _decode_array(mapping)
    if kind == "bytes":
        return base64.b64decode(mapping["data"])
    if kind == "proxy":
        owner = serving_server()  # §3.6: only the server this thread runs turns its proxies back into objects
        if owner is not None and owner.address == str(mapping.get("rpc_addr", "")):
            return owner.unwrap_marker(mapping)
        return _wrap_proxy(mapping)
    if kind == "datetime":
        return datetime.datetime.strptime(mapping["data"], "%Y-%m-%dT%H:%M:%S.%f")
    if kind == "date":
        return datetime.datetime.strptime(mapping["data"], "%Y-%m-%d").date()
    if kind == "none":
        return None
    return mapping


def decode_value(tree):
    """Marker maps in an already parsed JSON tree -> Python values (bottom-up)."""
    if isinstance(tree, list):
        return [decode_value(item) for item in tree]
    if isinstance(tree, dict):
        return _hook({key: decode_value(item) for key, item in tree.items()})
    return tree


def from_json(text):
    """A JSON result of the C ABI as Python values."""
    if text is None:
        return None
    return json.loads(text, object_hook=_hook)


# ----------------------------------------------------------------------------- proxies

_PROXY_CLASSES = []  # (predicate(type_str), class), first match wins
_INTERNAL = frozenset(("_ref", "_options", "_keeper", "_lock"))


def register_proxy_class(predicate, cls):
    """Makes proxies whose ``type_str`` satisfies `predicate` (and which designate the object
    itself, not one of its attributes) decode as `cls` (a subclass of ObjectProxy)."""
    _PROXY_CLASSES.append((predicate, cls))


def _proxy_class(ref):
    if not ref.get("attributes"):
        type_str = ref.get("type_str", "")
        for predicate, cls in _PROXY_CLASSES:
            if predicate(type_str):
                return cls
    return ObjectProxy


def _wrap_proxy(mapping, handle=None, **options):
    ref = {"rpc_addr": str(mapping["rpc_addr"]), "obj_id": int(mapping["obj_id"]),
           "ref_id": int(mapping["ref_id"]), "type_str": str(mapping.get("type_str", "")),
           "attributes": [str(name) for name in mapping.get("attributes", [])]}
    return _proxy_class(ref)(ref, _handle=handle, **options)


def _proxy_from_handle(handle, **options):
    """An ObjectProxy (subclass) owning the fresh C proxy handle `handle`."""
    keeper = HandleKeeper(handle, lib.pyacq_proxy_destroy)
    out = _out_string()
    check(lib.pyacq_proxy_to_json(handle, ctypes.byref(out)))
    mapping = json.loads(_capi.take_string(out.value))
    return _wrap_proxy(mapping, handle=keeper, **options)


class ObjectProxy:
    """A reference to an object living on an RPC server (pyacq's ObjectProxy).

    * ``proxy.attr`` returns a new proxy with ``attr`` appended to its attribute path; nothing
      is sent (deferred attributes, §4.2).
    * ``proxy.method(*args, **kwargs)`` calls it remotely. Per-call options: ``_sync`` =
      ``"sync"`` (wait, default), ``"async"`` (return a :class:`Future`) or ``"off"`` (no
      reply; returns None); ``_timeout`` in seconds (default 10, None = forever);
      ``_return_type`` = ``"auto"`` (values by value, objects as proxies), ``"proxy"`` or
      ``"value"``.
    * ``proxy._get_value()`` fetches the designated object by value; ``proxy._delete()``
      releases this reference on the server; ``proxy[key]`` calls ``__getitem__``;
      ``proxy[key] = v`` and ``proxy.x = v`` are fire-and-forget ``__setitem__`` /
      ``__setattr__`` calls; ``len(proxy)`` calls ``__len__``.
    * Two proxies are equal when they designate the same object: same server address and
      object id (§4.1), whatever their attribute paths and reference ids.

    Proxies may be used from any thread (each thread has its own connection to a server).
    """

    def __init__(self, ref, *, sync="sync", timeout=DEFAULT_TIMEOUT, return_type="auto", _handle=None):
        if sync not in _SYNC_MODES:
            raise InvalidArgument("sync must be one of %s, got %r" % (_SYNC_MODES, sync))
        if return_type not in _RETURN_TYPES:
            raise InvalidArgument("return_type must be one of %s, got %r" % (_RETURN_TYPES, return_type))
        timeout_ms(timeout)
        object.__setattr__(self, "_ref", ref)
        object.__setattr__(self, "_options", {"sync": sync, "timeout": timeout, "return_type": return_type})
        object.__setattr__(self, "_keeper", _handle)
        object.__setattr__(self, "_lock", threading.Lock())

    # ------------------------------------------------------------ identity
    @property
    def _rpc_addr(self):
        return self._ref["rpc_addr"]

    @property
    def _obj_id(self):
        return self._ref["obj_id"]

    @property
    def _ref_id(self):
        return self._ref["ref_id"]

    @property
    def _type_str(self):
        return self._ref["type_str"]

    @property
    def _attributes(self):
        return tuple(self._ref["attributes"])

    def _marker(self):
        marker = {MARKER: "proxy"}
        marker.update((key, self._ref[key]) for key in _PROXY_KEYS)
        marker["attributes"] = list(marker["attributes"])
        return marker

    def _handle(self):
        """The C proxy handle (made from the marker map on first use)."""
        keeper = self._keeper
        if keeper is None:
            with self._lock:
                keeper = self._keeper
                if keeper is None:
                    handle = _capi.ProxyHandle()
                    check(lib.pyacq_proxy_from_json(json.dumps(self._marker()).encode("utf-8"), ctypes.byref(handle)))
                    keeper = HandleKeeper(handle, lib.pyacq_proxy_destroy)
                    object.__setattr__(self, "_keeper", keeper)
        return keeper.handle

    def _derive(self, *names, cls=None):
        """A new proxy with `names` appended to the attribute path (nothing is sent)."""
        ref = dict(self._ref)
        ref["attributes"] = list(self._ref["attributes"]) + [str(name) for name in names]
        return (cls or ObjectProxy)(ref, **self._options)

    def _set_proxy_options(self, **options):
        """Changes this proxy's defaults: sync, timeout, return_type."""
        merged = dict(self._options)
        for key, value in options.items():
            if key not in merged:
                raise InvalidArgument("unknown proxy option %r (sync, timeout, return_type)" % key)
            merged[key] = value
        ObjectProxy.__init__(self, self._ref, _handle=self._keeper, **merged)
        return self

    def __eq__(self, other):
        if isinstance(other, ObjectProxy):
            return self._rpc_addr == other._rpc_addr and self._obj_id == other._obj_id
        return NotImplemented

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self):
        return hash((self._rpc_addr, self._obj_id))

    def __bool__(self):
        return True  # never a hidden remote __len__ call

    def __repr__(self):
        path = "".join("." + name for name in self._ref["attributes"])
        return "<%s for %s%s at %s obj_id=%d ref_id=%d>" % (
            type(self).__name__, self._type_str or "object", path, self._rpc_addr, self._obj_id, self._ref_id)

    # ------------------------------------------------------------ remote operations
    def __getattr__(self, name):
        if (name.startswith("__") and name.endswith("__")) or name in _INTERNAL:
            raise AttributeError(name)  # (internal names are missing only while copying / unpickling)
        return self._derive(name)

    def __setattr__(self, name, value):
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            self._derive("__setattr__")(name, value, _sync="off")

    def __call__(self, *args, **kwargs):
        sync = kwargs.pop("_sync", self._options["sync"])
        timeout = kwargs.pop("_timeout", self._options["timeout"])
        return_type = kwargs.pop("_return_type", self._options["return_type"])
        if sync not in _SYNC_MODES:
            raise InvalidArgument("_sync must be one of %s, got %r" % (_SYNC_MODES, sync))
        if return_type not in _RETURN_TYPES:
            raise InvalidArgument("_return_type must be one of %s, got %r" % (_RETURN_TYPES, return_type))
        args_json, kwargs_json = to_json(list(args)), to_json(kwargs)
        handle = self._handle()
        if sync == "off":
            check(lib.pyacq_proxy_call_nowait(handle, args_json, kwargs_json), self._context())
            return None
        if sync == "async":
            if return_type != "auto":
                raise InvalidArgument("_sync='async' supports only _return_type='auto'")
            future = _capi.FutureHandle()
            check(lib.pyacq_proxy_call_async(handle, args_json, kwargs_json, ctypes.byref(future)), self._context())
            return Future(future, self._context())
        ms = timeout_ms(timeout, "_timeout")
        server = serving_server()
        if server is not None and return_type == "auto":
            return self._call_serving(server, handle, args_json, kwargs_json, timeout)
        if return_type == "auto":
            out = _out_string()
            check(lib.pyacq_proxy_call(handle, args_json, kwargs_json, ms, ctypes.byref(out)), self._context())
            return from_json(_capi.take_string(out.value))
        result = _capi.ProxyHandle()
        check(lib.pyacq_proxy_call_proxy(handle, args_json, kwargs_json, ms, ctypes.byref(result)), self._context())
        proxy = _proxy_from_handle(result, **self._options)
        if return_type == "proxy":
            return proxy
        try:
            return proxy._get_value(timeout)
        finally:
            _release_reference(proxy)

    def _call_serving(self, server, handle, args_json, kwargs_json, timeout):
        """A synchronous call from a thread that executes a Python RPCServer's requests: the
        requests arriving meanwhile are executed while waiting (pyacq's reentrancy, §4.6)."""
        future = _capi.FutureHandle()
        check(lib.pyacq_proxy_call_async(handle, args_json, kwargs_json, ctypes.byref(future)), self._context())
        future = Future(future, self._context())
        if not server.wait_serving(lambda ms: future._wait(ms / 1000.0), timeout):
            raise PyAcqTimeout("no reply to %s within %s s" % (self._context(), timeout))
        return future.result(0)

    def _context(self):
        path = ".".join(self._ref["attributes"])
        return "%s%s" % (self._type_str or "remote object", "." + path if path else "")

    def _get_value(self, timeout=None):
        """The designated object by value (pyacq's ``_get_value``; get_obj, return_type value)."""
        out = _out_string()
        ms = timeout_ms(self._options["timeout"] if timeout is None else timeout)
        check(lib.pyacq_proxy_get_value(self._handle(), ms, ctypes.byref(out)), self._context())
        return from_json(_capi.take_string(out.value))

    def _undefer(self, timeout=None):
        """The object the attribute path designates: by value when it has a wire form, else a
        proxy to it (libpyacq servers proxy what they cannot send by value)."""
        if not self._ref["attributes"]:
            return self
        return self._get_value(timeout)

    def _stream_params(self):
        """The params of the output stream this proxy designates, by value (what an
        InputStream connects with, PROTOCOL §8.3)."""
        return self._derive("params")._get_value()

    def _delete(self):
        """Releases this proxy's reference on the server (pyacq's ``_delete``)."""
        check(lib.pyacq_proxy_delete(self._handle(), timeout_ms(self._options["timeout"])), self._context())

    def __getitem__(self, key):
        return self._derive("__getitem__")(key)

    def __setitem__(self, key, value):
        self._derive("__setitem__")(key, value, _sync="off")

    def __delitem__(self, key):
        self._derive("__delitem__")(key, _sync="off")

    def __len__(self):
        return self._derive("__len__")()

    def __contains__(self, item):
        return bool(self._derive("__contains__")(item))


class Future:
    """The pending result of an ``_sync="async"`` call. ``result(timeout)`` waits (seconds, None
    = forever) and returns the value or raises the remote error. A future must be waited on by
    the thread that made the call (the library's rule); ``done()`` may be asked from any
    thread."""

    def __init__(self, handle, context=""):
        self._keeper = HandleKeeper(handle, lib.pyacq_future_destroy)
        self._context = context
        self._thread = threading.get_ident()
        self._done = False
        self._result = None
        self._exception = None
        self._lock = threading.Lock()

    def done(self):
        if self._done:
            return True
        flag = ctypes.c_bool(False)
        check(lib.pyacq_future_done(self._keeper.handle, ctypes.byref(flag)))
        if flag.value and threading.get_ident() == self._thread:
            self._wait(0)
        return bool(flag.value)

    def _wait(self, timeout):
        with self._lock:
            if self._done:
                return True
            if threading.get_ident() != self._thread:
                raise StateError("a Future must be waited on by the thread that made the call")
            handle = self._keeper.handle
            out = _out_string()
            status = sliced(lambda ms: lib.pyacq_future_wait(handle, ms, ctypes.byref(out)), timeout_ms(timeout))
            if status == _TIMEOUT:
                return False
            try:
                check(status, self._context)
                self._result = from_json(_capi.take_string(out.value))
            except Exception as exc:  # the remote error (or a transport error) is the outcome
                self._exception = exc
            self._done = True
            return True

    def result(self, timeout=None):
        """The call's result; raises its remote error, or PyAcqTimeout (a TimeoutError) after
        `timeout` seconds (the future stays pending: wait again later)."""
        if not self._wait(timeout):
            raise PyAcqTimeout("no reply to %s within %s s" % (self._context or "the call", timeout))
        if self._exception is not None:
            raise self._exception
        return self._result

    def exception(self, timeout=None):
        if not self._wait(timeout):
            raise PyAcqTimeout("no reply to %s within %s s" % (self._context or "the call", timeout))
        return self._exception

    def __repr__(self):
        return "<libpyacq.Future %s%s>" % (self._context, " done" if self._done else "")


# ----------------------------------------------------------------------------- server

class RPCServer(HandleOwner):
    """An RPC server running on its own thread (pyacq's RPCServer, wire-compatible).

    It starts serving as soon as it is created, bound to `address` (default
    ``tcp://127.0.0.1:*``); ``address`` is the bound address clients connect to. Its namespace
    holds ``self``; :meth:`publish` (or ``server[name] = obj``) adds libpyacq OutputStreams and
    InputStreams (remote peers then call configure, params, send / connect, recv, poll,
    set_buffer, get_data, close on them) and plain values (anything :func:`encode_value`
    accepts). Clients can also ``import`` ``time`` and ``pyacq.core.stream`` (stream
    constructors). :meth:`close` (or :meth:`stop`) sends disconnect notices to the clients
    and waits for the server thread to end.
    """

    _kind = "RPC server"

    def __init__(self, address="tcp://127.0.0.1:*"):
        self.name = ""
        self.published = {}
        handle = _capi.ServerHandle()
        check(lib.pyacq_rpc_server_start(ctypes.byref(handle), None if address is None else str(address).encode("utf-8")),
              "RPCServer(%r)" % (address,))
        self._keeper = HandleKeeper(handle, lib.pyacq_rpc_server_destroy)
        out = _out_string()
        check(lib.pyacq_rpc_server_address(handle, ctypes.byref(out)))
        self.address = _capi.take_string(out.value)

    def publish(self, name, obj):
        """Makes `obj` reachable as ``client[name]``: a libpyacq OutputStream or InputStream
        (the server keeps its own reference to the stream), or a plain value."""
        keeper = self._live()
        key = str(name).encode("utf-8")
        publish_on = getattr(obj, "_publish_on", None)
        if callable(publish_on):  # a libpyacq stream publishes its own handle
            publish_on(keeper.handle, key)
        else:
            check(lib.pyacq_rpc_server_publish_value(keeper.handle, key, to_json(obj)), "publish %r" % name)
        self.published[str(name)] = obj

    __setitem__ = publish

    def __getitem__(self, name):
        return self.published[name]

    def run_lazy(self):
        """pyacq compatibility: the server already serves on its own thread."""

    def start(self):
        """pyacq compatibility: the server already serves on its own thread."""

    @property
    def running(self):
        return self._keeper is not None

    def close(self):
        """Stops the server (disconnect notices to its clients; waits for its thread). Idempotent."""
        keeper = self._keeper
        if keeper is None:
            return
        self._release()
        self.published = {}
        check(lib.pyacq_rpc_server_stop(keeper.handle))

    stop = close

    def __repr__(self):
        return "<libpyacq.RPCServer %s%s>" % (self.address, " closed" if self.closed else "")


# ----------------------------------------------------------------------------- client

class RPCClient(HandleOwner):
    """A connection to the RPC server at `address` (pyacq's RPCClient). The constructor runs
    pyacq's ping loop for up to `timeout` seconds (PyAcqTimeout when nobody answers).

    ``client[name]`` returns the namespace entry ``name`` (by value for plain values, as
    pyacq's ``return_type="auto"`` does, else as an :class:`ObjectProxy`);
    ``client._import("time")`` a proxy to a module; ``close_server()`` asks the server to close.
    The connection is per thread inside the library: a client may be used from any thread.
    """

    _kind = "RPC client"

    def __init__(self, address, timeout=1.0):
        if isinstance(address, bytes):
            address = address.decode("utf-8")
        self.address = str(address)
        self.name = self.address
        handle = _capi.ClientHandle()
        check(lib.pyacq_rpc_client_create(ctypes.byref(handle), self.address.encode("utf-8"), timeout_ms(timeout)),
              "RPCClient(%r)" % self.address)
        self._keeper = HandleKeeper(handle, lib.pyacq_rpc_client_destroy)

    _clients = {}
    _clients_lock = threading.Lock()

    @classmethod
    def get_client(cls, address):
        """The shared client for `address` (created on first use)."""
        if isinstance(address, bytes):
            address = address.decode("utf-8")
        with cls._clients_lock:
            client = cls._clients.get(address)
            if client is None or client.closed:
                client = cls._clients[address] = cls(address)
            return client

    def get_item(self, name):
        """A proxy to the namespace entry `name` (always a proxy)."""
        handle = _capi.ProxyHandle()
        check(lib.pyacq_rpc_client_get_item(self._live().handle, str(name).encode("utf-8"), self._ms(),
                                            ctypes.byref(handle)),
              "get_item %r from %s" % (name, self.address))
        return _proxy_from_handle(handle)

    def __getitem__(self, name):
        proxy = self.get_item(name)
        if proxy._type_str in _BY_VALUE_TYPES:
            try:
                return proxy._get_value()
            finally:
                _release_reference(proxy)
        return proxy

    def _import(self, module):
        """A proxy to the module `module` on the server (e.g. "time", "pyacq.core.stream")."""
        handle = _capi.ProxyHandle()
        check(lib.pyacq_rpc_client_import(self._live().handle, str(module).encode("utf-8"), self._ms(), ctypes.byref(handle)),
              "import %r on %s" % (module, self.address))
        return _proxy_from_handle(handle)

    import_module = _import

    def close_server(self):
        """Asks the server to close (its other clients get a disconnect notice)."""
        check(lib.pyacq_rpc_client_close_server(self._live().handle, self._ms()), "close_server %s" % self.address)

    def _ms(self):
        """Requests wait as long as proxies do by default (the connect timeout is separate)."""
        return timeout_ms(DEFAULT_TIMEOUT)

    def measure_clock_diff(self):
        """Estimated (remote perf_counter - local perf_counter) in seconds (PROTOCOL §6.3)."""
        return measure_clock_diff(self)

    def clock_offset(self, probes=8, timeout=None):
        """The server process's clock offset, NTP style (libpyacq.timing.ClockOffset): `probes`
        calls of its time.perf_counter, keeping the shortest round trip; the truth lies within
        offset +- uncertainty. Works with Python pyacq servers too."""
        from . import timing
        ms = self._ms() if timeout is None else timeout_ms(timeout)
        return timing.rpc_clock_offset(self._live().handle, probes, ms, "clock_offset %s" % self.address)

    def close(self):
        """Forgets this client (the server is not affected). Idempotent."""
        self._release()

    def __repr__(self):
        return "<libpyacq.RPCClient %s%s>" % (self.address, " closed" if self.closed else "")


def measure_clock_diff(client, rounds=10):
    """pyacq's measure_clock_diff (PROTOCOL §6.3): with local perf_counter readings l0..l9 taken
    before each synchronous call of the remote ``time.perf_counter`` (results r0..r9), the mean
    over i = 0..8 of r_i - (l_i + l_{i+1}) / 2. `client` is an RPCClient or an address."""
    if not isinstance(client, RPCClient):
        client = RPCClient.get_client(client)
    remote = client._import("time").perf_counter
    local, remote_times = [], []
    for _ in range(rounds):
        local.append(time.perf_counter())
        remote_times.append(float(remote()))
    diffs = [remote_times[i] - (local[i] + local[i + 1]) / 2.0 for i in range(rounds - 1)]
    return sum(diffs) / len(diffs)
