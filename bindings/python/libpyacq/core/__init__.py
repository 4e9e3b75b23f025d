"""pyacq.core's names over libpyacq (thin re-exports; see the modules they come from)."""

from ..manager import Manager, NodeGroup, create_manager
from ..node import Node, ThreadPollInput, ThreadPollOutput, register_node_type
from ..ringbuffer import RingBuffer
from ..objectserver import QtRPCServer, RPCServer
from ..rpc import ObjectProxy, RemoteCallException, RPCClient
from ..sharedmem import SharedArray
from ..stream import InputStream, OutputStream
from ..swiftnode import ChannelSplitter, ChunkResizer, StreamConverter
from ..spawner import ProcessSpawner


def __getattr__(name):
    if name == "WidgetNode":  # needs Qt: made on first use
        from ..widgetnode import widget_node_class
        return widget_node_class()
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
