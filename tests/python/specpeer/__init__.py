"""specpeer: a pure-Python peer of pyacq's stream wire protocol.

Written from /work/shared/spec/PROTOCOL.md (§8-§13) and its vectors only; it
stands in for the original Python pyacq in interop tests. See __main__.py for
the command-line producer/consumer.

RPC side (§0-§7): rpc_serializer, rpc_server, rpc_client, logging_peer,
bootstrap (`python -m specpeer.bootstrap [name]`; `spawn_child` is loaded
lazily so that running that module does not import it twice).
"""

from .dtypes import dtype_param, parse_dtype
from .ringbuffer import RingBuffer
from .streams import InputStream, OutputStream, default_params, make_url

from .logging_peer import LogSender, LogSenderHandler, LogServer, measure_clock_diff
from .names import make_identity
from .rpc_client import Future, Proxy, RemoteCallError, RPCClient, ServerDisconnected
from .rpc_serializer import JsonSerializer, MsgpackSerializer, ProxyRef, get_serializer
from .rpc_server import RPCServer

__all__ = ["default_params", "make_url", "parse_dtype", "dtype_param",
           "OutputStream", "InputStream", "RingBuffer",
           "ProxyRef", "MsgpackSerializer", "JsonSerializer", "get_serializer",
           "RPCServer", "RPCClient", "Proxy", "Future", "RemoteCallError", "ServerDisconnected",
           "make_identity", "LogSender", "LogSenderHandler", "LogServer", "measure_clock_diff",
           "spawn_child", "SpawnedChild", "SpawnError"]

_LAZY_BOOTSTRAP = ("spawn_child", "SpawnedChild", "SpawnError")


def __getattr__(name):
    if name in _LAZY_BOOTSTRAP:
        from . import bootstrap
        return getattr(bootstrap, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
