"""RPC serializers: msgpack and JSON (PROTOCOL.md §3).

Encoding first turns a value into plain containers (`_prepare`), replacing
every special value by its marker map (§3.1) -- key order: marker first, then
the keys of the table in §3.1 -- and every value that has no wire form by a
proxy minted by the attached server (§3.7). The plain tree is then packed with
msgpack (`use_bin_type=True`, floats as float64, minimal ints) or dumped with
Python's `json` (default separators, ensure_ascii, NaN/Infinity tokens).

Decoding runs a hook on every map, bottom-up, that turns marker maps back into
values. Proxies become `ProxyRef`s, or the local object when they belong to
the attached server (§3.6).
"""

import base64
import datetime
import json
from dataclasses import dataclass, field

import msgpack
import numpy as np

from .dtypes import parse_dtype

__all__ = ["MARKER", "PROXY_OPTION_KEYS", "ProxyRef", "ProxyBase", "Serializer",
           "MsgpackSerializer", "JsonSerializer", "get_serializer", "SERIALIZERS",
           "is_by_value", "encode_dtype", "decode_ndarray"]

MARKER = "___type_name___"

# Extra keys a proxy map may carry (§3.5); any other extra key is a KeyError.
PROXY_OPTION_KEYS = frozenset(("sync", "timeout", "return_type", "defer_getattr",
                               "no_proxy_types", "auto_delete"))

INT_MIN = -(1 << 63)
INT_MAX = (1 << 64) - 1

# numpy scalar types the Python sender converts to plain numbers (§3.2); every
# other numpy scalar has no wire form (np.float64 is a float subclass already).
_NUMPY_TO_FLOAT = (np.float32,)
_NUMPY_TO_INT = (np.int32, np.int64)


@dataclass
class ProxyRef:
    """A decoded proxy (§3.5, §4.1): a reference to an object on another server.

    Dataclass equality compares every field; use `same_object` for the
    identity of §4.1 (address and obj_id only).
    """

    rpc_addr: str
    obj_id: int
    ref_id: int
    type_str: str = ""
    attributes: list = field(default_factory=list)

    def with_attributes(self, *names):
        return ProxyRef(self.rpc_addr, self.obj_id, self.ref_id, self.type_str,
                        list(self.attributes) + list(names))

    def same_object(self, other):
        if isinstance(other, ProxyBase):
            other = other._proxy_ref
        return (isinstance(other, ProxyRef) and other.rpc_addr == self.rpc_addr
                and other.obj_id == self.obj_id)

    def to_marker(self):
        return {MARKER: "proxy", "rpc_addr": self.rpc_addr, "obj_id": self.obj_id,
                "ref_id": self.ref_id, "type_str": self.type_str,
                "attributes": list(self.attributes)}


class ProxyBase:
    """Base of client-side proxy wrappers: they encode as their `_proxy_ref`."""

    _proxy_ref = None


def is_by_value(value):
    """The `auto` by-value set of §2.9."""
    return value is None or isinstance(
        value, (str, int, float, tuple, list, dict, ProxyRef, ProxyBase, np.ndarray))


def encode_dtype(dtype):
    """numpy's `str(dtype)` (§3.4, §13.1)."""
    return str(dtype)


def decode_ndarray(data, dtype, shape):
    return np.frombuffer(data, dtype=dtype).reshape([int(n) for n in shape])


class Serializer:
    """Common encode/decode logic; subclasses provide the byte format.

    `server`: the RPC server this serializer works for (the server itself, or
    the server of the client's thread). It mints proxies for unencodable
    values and resolves proxies whose `rpc_addr` is its own address. Without a
    server unencodable values raise `TypeError` and proxies stay `ProxyRef`s.
    """

    name = None

    def __init__(self, server=None):
        self.server = server

    # ------------------------------------------------------------- encoding
    def dumps(self, obj):
        raise NotImplementedError

    def loads(self, data):
        raise NotImplementedError

    def _encode_bytes(self, value):
        raise NotImplementedError

    def _encode_array_data(self, data):
        raise NotImplementedError

    def _prepare(self, obj):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, (bytes, bytearray)):
            return self._encode_bytes(bytes(obj))
        if isinstance(obj, int):
            if INT_MIN <= obj <= INT_MAX:
                return int(obj)
            return self._proxy(obj)
        if isinstance(obj, float):
            return float(obj)
        if isinstance(obj, (list, tuple)):
            return [self._prepare(item) for item in obj]
        if isinstance(obj, dict):
            return {key: self._prepare(value) for key, value in obj.items()}
        if isinstance(obj, np.ndarray):
            if obj.dtype.hasobject:
                return self._proxy(obj)
            # tobytes() copies to C order (np.ascontiguousarray would make 0-d arrays 1-d)
            return {MARKER: "ndarray", "data": self._encode_array_data(obj.tobytes(order="C")),
                    "dtype": encode_dtype(obj.dtype), "shape": list(obj.shape)}
        if type(obj) in _NUMPY_TO_FLOAT:
            return float(obj)
        if type(obj) in _NUMPY_TO_INT:
            return int(obj)
        if isinstance(obj, datetime.datetime):
            if obj.tzinfo is None:
                text = obj.strftime("%Y-%m-%dT%H:%M:%S.%f")
            else:
                text = obj.isoformat()
            return {MARKER: "datetime", "data": text}
        if isinstance(obj, datetime.date):
            return {MARKER: "date", "data": obj.isoformat()}
        if isinstance(obj, ProxyRef):
            return obj.to_marker()
        if isinstance(obj, ProxyBase):
            return obj._proxy_ref.to_marker()
        return self._proxy(obj)

    def _proxy(self, obj):
        if self.server is None:
            raise TypeError(f"Cannot make proxy to {obj!r} without proxy server.")
        return self.server.get_proxy(obj).to_marker()

    # ------------------------------------------------------------- decoding
    def _hook(self, mapping):
        if MARKER not in mapping:
            return mapping
        mapping = dict(mapping)
        type_name = mapping.pop(MARKER)
        if type_name == "ndarray":
            data = mapping["data"]
            if isinstance(data, str):
                data = base64.b64decode(data)
            return decode_ndarray(data, self._decode_dtype(mapping["dtype"]), mapping["shape"])
        if type_name == "bytes":
            data = mapping["data"]
            return base64.b64decode(data) if isinstance(data, str) else bytes(data)
        if type_name == "datetime":
            return datetime.datetime.fromisoformat(mapping["data"])
        if type_name == "date":
            return datetime.date.fromisoformat(mapping["data"])
        if type_name == "none":
            return None
        if type_name == "proxy":
            return self._decode_proxy(mapping)
        raise TypeError(f"Unknown special type {type_name!r} in {MARKER} map")

    def _decode_dtype(self, text):
        return parse_dtype(text)

    def _decode_proxy(self, mapping):
        ref = ProxyRef(rpc_addr=mapping.pop("rpc_addr"), obj_id=mapping.pop("obj_id"),
                       ref_id=mapping.pop("ref_id"), type_str=mapping.pop("type_str", ""),
                       attributes=list(mapping.pop("attributes", [])))
        for key in mapping:
            if key not in PROXY_OPTION_KEYS:
                raise KeyError(f"Invalid proxy key {key!r}")
        if isinstance(ref.rpc_addr, bytes):
            ref.rpc_addr = ref.rpc_addr.decode()
        if self.server is not None and ref.rpc_addr == self.server.address:
            return self.server.unwrap_proxy(ref)
        return ref


class MsgpackSerializer(Serializer):
    name = "msgpack"

    def _encode_bytes(self, value):
        return value

    def _encode_array_data(self, data):
        return data

    def dumps(self, obj):
        return msgpack.packb(self._prepare(obj), use_bin_type=True)

    def loads(self, data):
        return msgpack.unpackb(bytes(data), raw=False, strict_map_key=True,
                               use_list=True, object_hook=self._hook)


class JsonSerializer(Serializer):
    """`accept_structured=False` mimics pyacq's JSON decoder, which rejects
    structured dtype strings (§3.3)."""

    name = "json"

    def __init__(self, server=None, accept_structured=False):
        super().__init__(server)
        self.accept_structured = accept_structured

    def _encode_bytes(self, value):
        return {MARKER: "bytes", "data": base64.b64encode(value).decode("ascii")}

    def _encode_array_data(self, data):
        return base64.b64encode(data).decode("ascii")

    def _decode_dtype(self, text):
        if isinstance(text, str) and text.lstrip().startswith("[") and not self.accept_structured:
            raise TypeError(f'data type "{text}" not understood')
        return parse_dtype(text)

    def dumps(self, obj):
        return json.dumps(self._prepare(obj)).encode("utf-8")

    def loads(self, data):
        if isinstance(data, (bytes, bytearray, memoryview)):
            data = bytes(data).decode("utf-8")
        return json.loads(data, object_hook=self._hook)


SERIALIZERS = {"msgpack": MsgpackSerializer, "json": JsonSerializer}


def get_serializer(name, server=None):
    if isinstance(name, bytes):
        name = name.decode("ascii", "replace")
    try:
        cls = SERIALIZERS[name]
    except KeyError:
        raise ValueError(f"Unsupported serializer {name!r}") from None
    return cls(server=server)
