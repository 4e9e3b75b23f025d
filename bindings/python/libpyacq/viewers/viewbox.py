"""The viewers' ViewBox: double click opens the parameter dialog, the wheel zooms the gain
(× 1.3, × 10 with Ctrl), a horizontal drag changes the time window."""

from ._qt import QtCore, Signal, pg


class MyViewBox(pg.ViewBox):
    doubleclicked = Signal()
    gain_zoom = Signal(float, float)     # factor, y of the cursor
    xsize_zoom = Signal(float)           # horizontal drag in pixels

    def __init__(self, *args, **kwargs):
        pg.ViewBox.__init__(self, *args, **kwargs)
        self.disableAutoRange()

    def mouseClickEvent(self, ev):
        ev.accept()

    def mouseDoubleClickEvent(self, ev):
        self.doubleclicked.emit()
        ev.accept()

    def wheelEvent(self, ev, axis=None):
        delta = ev.delta() if hasattr(ev, "delta") else ev.angleDelta().y()
        strong = bool(ev.modifiers() & QtCore.Qt.ControlModifier)
        factor = (10. if strong else 1.3) if delta > 0 else (1 / 10. if strong else 1 / 1.3)
        self.gain_zoom.emit(factor, self.mapToView(ev.pos()).y())
        ev.accept()

    def mouseDragEvent(self, ev, axis=None):
        ev.accept()
        self.xsize_zoom.emit((ev.pos() - ev.lastPos()).x())
