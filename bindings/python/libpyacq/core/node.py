"""pyacq.core.node over libpyacq."""

from ..node import Node, NodeStateError, register_node_type  # noqa: F401


class _MyTest:
    """No-op node hooks (pyacq's test helper of the same name)."""

    _initialize = _configure = _start = _stop = _close = (lambda self: None)


def __getattr__(name):
    if name == "WidgetNode":  # needs Qt: made on first use
        from ..widgetnode import widget_node_class
        return widget_node_class()
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
