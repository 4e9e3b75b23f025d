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

Remote parts (pyacq's RPC and distributed graphs): ``RPCServer`` (the library's server of
streams and values), ``RPCClient``, ``ObjectProxy`` (rpc.py); pyacq's servers of Python objects
``libpyacq.core.rpc.RPCServer`` / ``QtRPCServer`` (objectserver.py), ``ProcessSpawner``
(spawner.py), ``Host`` and Python node groups (host.py, nodegroup.py); ``create_manager``, ``Manager``, ``NodeGroup`` / ``NodeProxy`` / ``StreamProxy``
proxies (manager.py); Python custom nodes: ``Node``, ``register_node_type``,
``ThreadPollInput`` / ``ThreadPollOutput`` (node.py). The built-in Swift nodes in this process,
used like pyacq's classes: ``NumpyDeviceBuffer``, ``SosFilter``, ``AnalogTrigger``,
``TriggerAccumulator``, ``RawRecorder``... (swiftnode.py). pyacq's module layout:
``libpyacq.core`` (.rpc, .stream, .host, .nodegroup, .node, .tools, .manager), ``.dsp``,
``.devices``, ``.rec``.

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
from .node import (Node, NodeStateError, ThreadPollInput, ThreadPollOutput, Timer, all_nodes, create_local_node,
                   register_node_type)
from .ringbuffer import RingBuffer
from .sharedmem import SharedArray, SharedMem
from .rpc import Future, ObjectProxy, RPCClient, RPCServer, measure_clock_diff
from .stream import InputStream, OutputStream
from .swiftnode import (AnalogTrigger, AviRecorder, Blackrock, BrainAmpSocket, ChannelSplitter, ChunkResizer,
                        DigitalTrigger, Emotiv, MeasurementComputing, NIDAQmx, NumpyDeviceBuffer, OpenBCI,
                        OpenEphysGUIRelay, OverlapFiltfilt, PyAudio, RawRecorder, SosFilter, StreamConverter, SwiftNode,
                        TimeFreqWorker, TriggerAccumulator, WebCamAV, WebCamImageIO)
from .serializer import JsonSerializer, MsgpackSerializer
from .objectserver import QtRPCServer
from .spawner import ProcessSpawner
from . import core, devices, dsp, rec  # pyacq's module layout: libpyacq.core.rpc, libpyacq.dsp.sosfilter...


def __getattr__(name):
    if name == "viewers":  # needs Qt and pyqtgraph (the [viewers] extra): imported on first use
        import importlib
        return importlib.import_module(".viewers", __name__)
    if name == "WidgetNode":  # needs Qt: made on first use, so importing libpyacq never imports Qt
        from .widgetnode import widget_node_class
        return widget_node_class()
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


__version__ = "0.1.0"

__all__ = [
    "OutputStream", "InputStream", "RingBuffer", "SharedMem", "errors", "as_dtype", "dtype_param", "normalize_dtype",
    "ABI_VERSION", "library_path", "library_version", "PyAcqError", "InvalidArgument", "ParamsError",
    "DTypeError", "StateError", "PyAcqTimeout", "PyAcqIOError", "MalformedMessage", "BufferIndexError",
    "BufferTooSmall", "OverrunError", "ClosedError", "RemoteError", "InternalError", "LibraryError",
    "RemoteCallError", "RemoteCallException", "RPCServer", "RPCClient", "ObjectProxy", "Future",
    "measure_clock_diff", "create_manager", "Manager", "NodeGroup", "NodeProxy", "StreamProxy",
    "list_node_types", "Node", "NodeStateError", "ThreadPollInput", "Timer", "all_nodes", "create_local_node",
    "register_node_type", "SwiftNode", "NumpyDeviceBuffer", "StreamConverter", "ChannelSplitter", "SosFilter",
    "OverlapFiltfilt", "AnalogTrigger", "DigitalTrigger", "TriggerAccumulator", "RawRecorder", "ChunkResizer",
    "TimeFreqWorker", "AviRecorder", "WebCamImageIO", "WebCamAV", "MeasurementComputing", "PyAudio", "Emotiv", "BrainAmpSocket",
    "OpenBCI", "NIDAQmx", "Blackrock", "OpenEphysGUIRelay", "ThreadPollOutput", "SharedArray", "JsonSerializer",
    "MsgpackSerializer", "ProcessSpawner", "QtRPCServer", "core", "dsp", "devices", "rec", "audio_devices", "video_devices",
]
