"""ImageViewer: the latest frame of one or more video streams (pyacq.viewers.ImageViewer)."""

from collections import OrderedDict

import numpy as np

from ..node import ThreadPollInput
from ..stream import InputStream
from ._qt import QtCore, WidgetNode, pg

# pyacq declares shape (-1, -1, 3); libpyacq takes the shape from the producer (frames of any size).
VIDEO_SPEC = dict(streamtype="video", dtype="uint8", compression="")


def latest_frame(data):
    """The frame of a chunk: (h, w[, 3]) as video nodes send it, or the last of (n, h, w[, 3])."""
    data = np.asarray(data)
    return data[-1] if data.ndim == 4 or (data.ndim == 3 and data.shape[-1] not in (3, 4)) else data


class ImageViewer(WidgetNode):
    """Shows the latest frame of each video input, in a grid of ``nb_column`` columns::

        viewer = ImageViewer()
        viewer.configure(num_video=1, nb_column=4)
        viewer.input.connect(camera.output)      # inputs video0, video1... when num_video > 1
        viewer.initialize()
        viewer.show()
        viewer.start()

    Frames are (height, width, 3) RGB uint8 (or (height, width) gray), drawn top row at the
    top at one image pixel per unit; the displays refresh at the highest input sample_rate.
    ``image_items[i].image`` is the last frame shown for input i."""

    _input_specs = {"video": VIDEO_SPEC}

    def __init__(self, **kwargs):
        WidgetNode.__init__(self, **kwargs)
        self.graphiclayout = pg.GraphicsLayoutWidget()
        from ._qt import QtWidgets
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphiclayout)

    def _configure(self, num_video=1, nb_column=4):
        if int(num_video) < 1 or int(nb_column) < 1:
            raise ValueError("num_video and nb_column must be >= 1, got %r, %r" % (num_video, nb_column))
        self.num_video, self.nb_column = int(num_video), int(nb_column)
        if self.num_video > 1:
            for stream in self.inputs.values():
                stream.close()
            self.inputs = OrderedDict(("video%d" % i, InputStream(spec=dict(VIDEO_SPEC), name="video%d" % i, node=self))
                                      for i in range(self.num_video))

    def _initialize(self):
        self.graphiclayout.clear()
        self.viewboxes, self.image_items, self.pollers = [], [], []
        self._frames = [None] * len(self.inputs)
        for i, stream in enumerate(self.inputs.values()):
            viewbox = self.graphiclayout.addViewBox(row=i // self.nb_column, col=i % self.nb_column, lockAspect=True,
                                                    invertY=True, enableMouse=True)
            item = pg.ImageItem(axisOrder="row-major")
            viewbox.addItem(item)
            self.viewboxes.append(viewbox)
            self.image_items.append(item)
            poller = ThreadPollInput(stream, return_data=True)
            poller.new_data.connect(lambda pos, data, i=i: self._store(i, data))
            self.pollers.append(poller)
        rates = [float(s.params.get("sample_rate") or 0) for s in self.inputs.values()]
        interval = int(1000. / max(rates)) if max(rates) > 0 else 40
        self.timer = QtCore.QTimer(interval=max(interval, 5))
        self.timer.timeout.connect(self.refresh)

    def _store(self, i, data):
        self._frames[i] = data

    def refresh(self):
        for i, frame in enumerate(self._frames):
            if frame is None:
                continue
            self._frames[i] = None
            frame = latest_frame(frame)
            first = self.image_items[i].image is None
            self.image_items[i].setImage(frame, autoLevels=False, levels=(0, 255))
            if first:
                self.viewboxes[i].autoRange(padding=0)

    def _start(self):
        for poller in self.pollers:
            poller.start()
        self.timer.start()

    def _stop(self):
        self.timer.stop()
        for poller in self.pollers:
            poller.stop()
            poller.wait()
