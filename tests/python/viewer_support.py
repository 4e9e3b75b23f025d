"""Shared setup of the viewer tests: an offscreen QApplication, a test-driven signal source,
bounded waiting on Qt events, screenshots under build/screenshots/ and reading the drawn pixels."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import time  # noqa: E402

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402

from libpyacq import OutputStream  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCREENSHOTS = os.path.join(REPO, "build", "screenshots")
TIMEOUT = 10.0
TRACE_RGB = (0x7F, 0xFF, 0x00)


def app():
    return pg.mkQApp()


def process_until(predicate, timeout=TIMEOUT, message="condition not reached"):
    """Runs the Qt event loop until `predicate()` is true (bounded)."""
    application = app()
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, message
        application.processEvents()
        time.sleep(0.005)


def source(nb_channel, sample_rate, dtype="float32", **extra):
    """A tcp plaindata OutputStream the test sends on."""
    out = OutputStream()
    out.configure(protocol="tcp", interface="127.0.0.1", transfermode="plaindata", dtype=dtype,
                  shape=(-1, nb_channel), sample_rate=float(sample_rate), **extra)
    return out


def send_in_chunks(out, data, chunk=100):
    for start in range(0, len(data), chunk):
        out.send(np.ascontiguousarray(data[start:start + chunk]), index=start + len(data[start:start + chunk]))


def save(widget, name):
    """Grabs `widget` and saves it as build/screenshots/<name>.png; the image as (h, w, 3) uint8."""
    os.makedirs(SCREENSHOTS, exist_ok=True)
    pixmap = widget.grab()
    pixmap.save(os.path.join(SCREENSHOTS, name + ".png"))
    return qimage_rgb(pixmap.toImage())


def qimage_rgb(qimage):
    from pyqtgraph.Qt import QtGui
    qimage = qimage.convertToFormat(QtGui.QImage.Format_RGB888)
    w, h, stride = qimage.width(), qimage.height(), qimage.bytesPerLine()
    ptr = qimage.bits()
    ptr.setsize(h * stride)
    return np.frombuffer(ptr, np.uint8).reshape(h, stride)[:, :w * 3].reshape(h, w, 3).copy()


def rows_with_color(rgb, color=TRACE_RGB, tolerance=40):
    """Indexes of the pixel rows where some pixel has `color`."""
    close = np.all(np.abs(rgb.astype(int) - np.array(color)) <= tolerance, axis=2)
    return np.flatnonzero(close.any(axis=1))
