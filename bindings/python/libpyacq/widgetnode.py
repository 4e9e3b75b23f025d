"""pyacq's WidgetNode: a Python Node that is also a Qt widget (viewers, control panels). Built
on first use from the Qt binding in use, so libpyacq itself never imports Qt."""

import sys

from .node import Node

__all__ = ["widget_node_class", "qt_modules"]

_BINDINGS = ("PyQt5", "PyQt6", "PySide6", "PySide2")
_cache = {}


def _qt_widgets():
    """QtWidgets of the Qt binding already imported, else pyqtgraph's, else the first importable."""
    for name in _BINDINGS:
        if name + ".QtWidgets" in sys.modules:
            return sys.modules[name + ".QtWidgets"]
    try:
        from pyqtgraph.Qt import QtWidgets
        return QtWidgets
    except ImportError:
        pass
    for name in _BINDINGS:
        try:
            return __import__(name + ".QtWidgets", fromlist=["QtWidgets"])
        except ImportError:
            continue
    raise ImportError("WidgetNode needs a Qt binding: install PyQt5, PyQt6, PySide6 or PySide2")


def qt_modules():
    """(QtCore, QtWidgets) of the Qt binding in use (see _qt_widgets)."""
    QtWidgets = _qt_widgets()
    package = QtWidgets.__name__.rsplit(".", 1)[0]
    return __import__(package + ".QtCore", fromlist=["QtCore"]), QtWidgets


def widget_node_class():
    """The WidgetNode class for the Qt binding in use (made once)."""
    QtWidgets = _qt_widgets()
    cls = _cache.get(QtWidgets)
    if cls is None:
        cls = _cache[QtWidgets] = type("WidgetNode", (QtWidgets.QWidget, Node), {
            "__init__": _init, "close": _close, "closeEvent": _close_event, "__module__": "libpyacq",
            "__doc__": "A Node with a Qt widget user interface (pyacq.WidgetNode). Closing the widget "
                       "closes the node unless close_node_on_widget_closed=False."})
    return cls


def _init(self, parent=None, close_node_on_widget_closed=True, **kwargs):
    _widget_base(self).__init__(self, parent=parent)
    Node.__init__(self, **kwargs)
    self._close_node_on_widget_closed = close_node_on_widget_closed


def _widget_base(self):
    for base in type(self).__mro__:
        if base.__name__ == "QWidget":
            return base
    raise TypeError("%s is not a QWidget" % type(self).__name__)


def _close(self):
    Node.close(self)
    _widget_base(self).close(self)


def _close_event(self, event):
    if self._close_node_on_widget_closed:
        if self.running():
            self.stop()
        if not self.closed():
            Node.close(self)
    event.accept()
