"""libpyacq: Python binding of libpyacq, a Swift re-implementation of pyacq's data plane.

Streams (plaindata over tcp/ipc/inproc with optional blosc, or a shared-memory ring buffer)
are wire-compatible with the original Python pyacq; names mirror pyacq so that
``import libpyacq as pyacq`` runs stream code written for it::

    import numpy as np
    import libpyacq as pyacq

    out = pyacq.OutputStream()
    out.configure(protocol="tcp", dtype="float32", shape=[-1, 4])
    inp = pyacq.InputStream()
    inp.connect(out)
    out.wait_for_subscribers(1, timeout=5)
    out.send(np.zeros((10, 4), "float32"))
    index, data = inp.recv(timeout=5)   # data: read-only view, valid until the next recv()

Remote parts (pyacq's RPC and distributed graphs): ``RPCServer``, ``RPCClient``, ``ObjectProxy``
(rpc.py); ``create_manager``, ``Manager``, ``NodeGroup`` / ``NodeProxy`` / ``StreamProxy``
proxies (manager.py); Python custom nodes: ``Node``, ``register_node_type``,
``ThreadPollInput`` (node.py).

See README.md for the library lookup order, view lifetimes and the remote API.
"""

from . import errors
from ._arrays import as_dtype, dtype_param, normalize_dtype
from ._capi import ABI_VERSION, library_path, version as library_version
from .devices import audio_devices, video_devices
from .errors import (BufferIndexError, BufferTooSmall, ClosedError, DTypeError, InternalError, InvalidArgument,
                     LibraryError, MalformedMessage, OverrunError, ParamsError, PyAcqError, PyAcqIOError,
                     PyAcqTimeout, RemoteCallError, RemoteCallException, RemoteError, StateError)
from .manager import Manager, NodeGroup, NodeProxy, StreamProxy, create_manager, list_node_types
from .node import Node, NodeStateError, ThreadPollInput, Timer, all_nodes, create_local_node, register_node_type
from .ringbuffer import RingBuffer
from .sharedmem import SharedMem
from .rpc import Future, ObjectProxy, RPCClient, RPCServer, measure_clock_diff
from .stream import InputStream, OutputStream

__version__ = "0.1.0"

__all__ = [
    "OutputStream", "InputStream", "RingBuffer", "SharedMem", "errors", "as_dtype", "dtype_param", "normalize_dtype",
    "ABI_VERSION", "library_path", "library_version", "PyAcqError", "InvalidArgument", "ParamsError",
    "DTypeError", "StateError", "PyAcqTimeout", "PyAcqIOError", "MalformedMessage", "BufferIndexError",
    "BufferTooSmall", "OverrunError", "ClosedError", "RemoteError", "InternalError", "LibraryError",
    "RemoteCallError", "RemoteCallException", "RPCServer", "RPCClient", "ObjectProxy", "Future",
    "measure_clock_diff", "create_manager", "Manager", "NodeGroup", "NodeProxy", "StreamProxy",
    "list_node_types", "Node", "NodeStateError", "ThreadPollInput", "Timer", "all_nodes", "create_local_node",
    "register_node_type", "audio_devices", "video_devices",
]
