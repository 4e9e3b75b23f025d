"""Qt and pyqtgraph for the viewers (the ``[viewers]`` extra): one import place, one clear error."""

try:
    import pyqtgraph as pg
    from pyqtgraph.Qt import QtCore, QtGui, QtWidgets
    import pyqtgraph.parametertree  # noqa: F401  (pg.parametertree used by every viewer)
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError("libpyacq.viewers needs pyqtgraph and a Qt binding: pip install 'libpyacq[viewers]' "
                      "(pyqtgraph + PyQt5): %s" % exc) from exc

from ..widgetnode import widget_node_class

WidgetNode = widget_node_class()
Signal = getattr(QtCore, "pyqtSignal", None) or QtCore.Signal

__all__ = ["pg", "QtCore", "QtGui", "QtWidgets", "WidgetNode", "Signal"]
