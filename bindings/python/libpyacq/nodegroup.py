"""pyacq's NodeGroup served by a Python process (PROTOCOL §7.4).

A Python node group hosts Python node types (``register_node_type``,
``register_node_type_from_module``), Qt widget nodes when its process runs Qt (``qt=True``),
and every Swift node type of the library as a local node (its work runs on the library's
threads, its streams are ordinary libpyacq streams). Hosts create it in a spawned process
(:class:`libpyacq.core.host.Host`, or the library's Host with ``create_nodegroup(qt=True)``).
"""

import importlib
import logging

from .node import all_nodes, create_local_node, register_node_type
from .core import node as _pyacq_test_nodes  # noqa: F401  (registers pyacq's _MyTestNode)

__all__ = ["NodeGroup", "register_node_type_from_module"]

logger = logging.getLogger("libpyacq.nodegroup")


def register_node_type_from_module(modname, classname):
    """Imports `modname` and registers its Node class `classname` (pyacq's nodelist function).
    Errors name the module and the cause."""
    try:
        module = importlib.import_module(modname)
    except Exception as exc:
        raise ImportError("register_node_type_from_module: module %r failed to import: %s: %s"
                          % (modname, type(exc).__name__, exc)) from exc
    try:
        node_class = getattr(module, classname)
    except AttributeError:
        raise AttributeError("register_node_type_from_module: module %r has no class %r" % (modname, classname)) from None
    if all_nodes.get(classname) is node_class:
        return  # the module registered it while being imported
    register_node_type(node_class, classname=classname)


def _qt_running():
    import sys
    from .widgetnode import _BINDINGS
    for name in _BINDINGS:
        widgets = sys.modules.get(name + ".QtWidgets")
        if widgets is not None and widgets.QApplication.instance() is not None:
            return True
    return False


class NodeGroup:
    """The nodes of one Python process: created by name with :meth:`create_node`."""

    def __init__(self, host=None, manager=None):
        self.host = host
        self.manager = manager
        self.nodes = set()

    def create_node(self, node_class, *args, **kwds):
        """A new node of the registered type named `node_class` (Python types first, then the
        library's Swift types; viewers when this process runs Qt)."""
        if not isinstance(node_class, str):
            raise TypeError("create_node() takes the registered name of a node type (a str), got %r" % (node_class,))
        try:
            node = create_local_node(node_class, *args, **kwds)
        except KeyError:
            if not (_qt_running() and self._load_viewers()):
                raise
            node = create_local_node(node_class, *args, **kwds)
        self.nodes.add(node)
        return node

    @staticmethod
    def _load_viewers():
        """Registers the Qt node types (viewers, pyacq's Qt test node) once; False when the
        binding has no viewers."""
        importlib.import_module("libpyacq.core.node").register_qt_test_node()
        try:
            importlib.import_module("libpyacq.viewers")
        except ImportError as exc:
            logger.info("no viewers in this process: %s", exc)
        return True

    def list_node_types(self):
        from .manager import list_node_types
        return sorted(set(all_nodes) | set(list_node_types()))

    def register_node_type_from_module(self, modname, classname):
        register_node_type_from_module(modname, classname)

    def add_node(self, node):
        self.nodes.add(node)

    def remove_node(self, node):
        if node.running():
            raise RuntimeError("cannot remove node %r while it is running; stop it first" % node.name)
        self.nodes.discard(node)

    def list_nodes(self):
        return list(self.nodes)

    def start_all_nodes(self):
        for node in list(self.nodes):
            if node.initialized() and not node.running():
                node.start()

    def stop_all_nodes(self):
        for node in list(self.nodes):
            if node.running():
                node.stop()

    def any_node_running(self):
        return any(node.running() for node in self.nodes)

    def close(self):
        """Stops and closes the nodes, then closes this process's server (the process exits)."""
        self.stop_all_nodes()
        for node in list(self.nodes):
            try:
                node.close()
            except Exception as exc:  # one node failing to close must not keep the others open
                logger.warning("closing node %r failed: %s", getattr(node, "name", node), exc)
        from .objectserver import serving_server
        server = serving_server()
        if server is not None:
            server.close_after_current_request()

    @property
    def pid(self):
        import os
        return os.getpid()
