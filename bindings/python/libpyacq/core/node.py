"""pyacq.core.node over libpyacq, with pyacq's two no-op test node types (``_MyTestNode``,
and ``_MyTestNodeQWidget`` once Qt runs: see register_qt_test_node)."""

from ..node import Node, NodeStateError, all_nodes, register_node_type  # noqa: F401


class _MyTest:
    """No-op node hooks (pyacq's test helper of the same name)."""

    _initialize = _configure = _start = _stop = _close = (lambda self: None)


class _MyTestNode(_MyTest, Node):
    """A node that does nothing (pyacq's test node type)."""


if "_MyTestNode" not in all_nodes:
    register_node_type(_MyTestNode)


def register_qt_test_node():
    """Registers ``_MyTestNodeQWidget`` (a WidgetNode that does nothing); needs a Qt binding."""
    if "_MyTestNodeQWidget" not in all_nodes:
        register_node_type(__getattr__("_MyTestNodeQWidget"))


_qt_classes = {}


def __getattr__(name):
    if name == "WidgetNode":  # needs Qt: made on first use
        from ..widgetnode import widget_node_class
        return widget_node_class()
    if name == "_MyTestNodeQWidget":
        if name not in _qt_classes:
            _qt_classes[name] = type(name, (_MyTest, __getattr__("WidgetNode")), {"__module__": __name__})
        return _qt_classes[name]
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
