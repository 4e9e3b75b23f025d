"""pyacq's RPC serializers in pure Python (PROTOCOL §3): ``JsonSerializer`` and
``MsgpackSerializer`` with ``dumps(obj) -> bytes`` / ``loads(bytes) -> obj``.

Types the formats lack travel as marker maps (``___type_name___``): ndarray (msgpack: raw
bytes, JSON: base64), bytes (JSON only; msgpack has bin), datetime, date, proxy. Decoded
proxies are libpyacq ObjectProxy objects. Values pyacq would proxy through the sending thread's
RPC server (arbitrary Python objects, most numpy scalar types) cannot be proxied by libpyacq's
servers: encoding them raises InvalidArgument naming the type.
"""

import base64
import datetime
import json

import numpy as np

from ._arrays import as_dtype
from .errors import InvalidArgument

try:
    import msgpack
    HAVE_MSGPACK = True
except ImportError:  # the JSON serializer still works
    msgpack = None
    HAVE_MSGPACK = False

__all__ = ["Serializer", "JsonSerializer", "MsgpackSerializer", "HAVE_MSGPACK", "all_serializers"]

MARKER = "___type_name___"
_DATETIME = "%Y-%m-%dT%H:%M:%S.%f"
_DATE = "%Y-%m-%d"


class Serializer:
    """Base of the two serializers. With a `server` (a libpyacq.core.rpc.RPCServer of this
    process), values without a wire form are proxied through it (§3.7) and proxies to an object
    of a server of this process decode to that object (§3.6); without one, encoding them raises
    InvalidArgument. `client` is accepted for pyacq compatibility."""

    type = None
    #: bytes travel natively (msgpack bin) or as a marker map (JSON).
    _native_bytes = False

    def __init__(self, server=None, client=None):
        self._server = server
        self.client = client

    @property
    def server(self):
        return self._server

    def dumps(self, obj):
        raise NotImplementedError

    def loads(self, msg):
        raise NotImplementedError

    def _encode_array_data(self, array):
        return array.tobytes()

    def encode(self, obj):
        """The JSON/msgpack-ready form of a value the format cannot hold natively."""
        from .rpc import ObjectProxy  # (rpc imports the C library; serializers alone need not)
        if isinstance(obj, np.ndarray):
            if obj.dtype.hasobject:
                raise InvalidArgument("numpy arrays of Python objects cannot be serialized")
            array = np.ascontiguousarray(obj)
            return {MARKER: "ndarray", "data": self._encode_array_data(array), "dtype": str(array.dtype),
                    "shape": list(array.shape)}
        if isinstance(obj, (bytes, bytearray, memoryview)) and not self._native_bytes:
            return {MARKER: "bytes", "data": base64.b64encode(bytes(obj)).decode("ascii")}
        if isinstance(obj, datetime.datetime):
            return {MARKER: "datetime", "data": obj.strftime(_DATETIME)}
        if isinstance(obj, datetime.date):
            return {MARKER: "date", "data": obj.strftime(_DATE)}
        if isinstance(obj, ObjectProxy):
            return obj._marker()
        if isinstance(obj, (np.float32, np.float64)):
            return float(obj)
        if isinstance(obj, (np.int32, np.int64)):
            return int(obj)
        if isinstance(obj, tuple):
            return list(obj)
        if self._server is not None:
            return self._server.get_proxy(obj)._marker()
        raise InvalidArgument("%r (%s) cannot be serialized: pyacq would send it as a proxy through the sending "
                              "thread's RPC server, which libpyacq's servers cannot do for Python objects"
                              % (obj, type(obj).__name__))

    def decode(self, dct):
        """A marker map back to its value (other maps are returned unchanged)."""
        kind = dct.get(MARKER) if isinstance(dct, dict) else None
        if kind is None:
            return dct
        if kind == "ndarray":
            data = dct["data"]
            if isinstance(data, str):
                data = base64.b64decode(data)
            shape = tuple(int(n) for n in dct["shape"])
            return np.frombuffer(bytes(data), dtype=as_dtype(dct["dtype"])).reshape(shape)
        if kind == "bytes":
            return base64.b64decode(dct["data"])
        if kind == "datetime":
            return datetime.datetime.strptime(dct["data"], _DATETIME)
        if kind == "date":
            return datetime.datetime.strptime(dct["data"], _DATE).date()
        if kind == "none":
            return None
        if kind == "proxy":
            from .objectserver import local_server_for
            from .rpc import _wrap_proxy
            owner = local_server_for(str(dct.get("rpc_addr", ""))) if self._server is not None else None
            if owner is not None:
                return owner.unwrap_marker(dct)
            extra = set(dct) - {MARKER, "rpc_addr", "obj_id", "ref_id", "type_str", "attributes", "sync", "timeout",
                                "return_type", "defer_getattr", "no_proxy_types", "auto_delete"}
            if extra:
                raise KeyError("proxy maps take no key %s" % ", ".join(sorted(extra)))
            options = {key: dct[key] for key in ("sync", "timeout", "return_type") if key in dct}
            return _wrap_proxy(dct, **options)
        return dct


class MsgpackSerializer(Serializer):
    """pyacq's default RPC serializer: msgpack with bin type for bytes (PROTOCOL §3.2)."""

    type = "msgpack"
    _native_bytes = True

    def __init__(self, server=None, client=None):
        if not HAVE_MSGPACK:
            raise ImportError("MsgpackSerializer needs the msgpack package (pip install msgpack)")
        Serializer.__init__(self, server, client)

    def dumps(self, obj):
        return msgpack.dumps(obj, use_bin_type=True, default=self.encode)

    def loads(self, msg):
        return msgpack.loads(msg, raw=False, object_hook=self.decode)


class JsonSerializer(Serializer):
    """pyacq's JSON serializer (log channel, non-Python peers; PROTOCOL §3.3): UTF-8 bytes,
    NaN / Infinity as bare tokens, ndarray data in standard base64."""

    type = "json"

    def _encode_array_data(self, array):
        return base64.b64encode(array.tobytes()).decode("ascii")

    def dumps(self, obj):
        return json.dumps(self._tree(obj)).encode("utf-8")

    def _tree(self, obj):
        """json.dumps' `default` never sees tuples or bytes subclasses; walk the tree once."""
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return obj
        if isinstance(obj, dict):
            return {str(key) if not isinstance(key, str) else key: self._tree(value) for key, value in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self._tree(item) for item in obj]
        encoded = self.encode(obj)
        return self._tree(encoded) if isinstance(encoded, (dict, list)) else encoded

    def loads(self, msg):
        if isinstance(msg, (bytes, bytearray, memoryview)):
            msg = bytes(msg).decode("utf-8")
        return json.loads(msg, object_hook=self.decode)


all_serializers = {"msgpack": MsgpackSerializer, "json": JsonSerializer}
