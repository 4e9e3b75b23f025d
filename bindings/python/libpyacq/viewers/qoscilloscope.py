"""QOscilloscope: continuous multi-channel oscilloscope (pyacq.viewers.QOscilloscope)."""

import numpy as np

from ._qt import pg
from .oscilloscope_base import BaseOscilloscope, param_specs, scan_layout

default_params = param_specs(["xsize", "ylim_max", "ylim_min", "scale_mode", "background_color", "refresh_interval",
                              "mode", "auto_decimate", "decimate", "decimation_method", "display_labels",
                              "show_bottom_axis", "show_left_axis"])
default_by_channel_params = param_specs(["gain", "offset", "visible"])

CURVE_COLOR = "#7FFF00"


class QOscilloscope(BaseOscilloscope):
    """Continuous multi-channel oscilloscope on one plot (pyqtgraph), as pyacq's::

        viewer = QOscilloscope()
        viewer.configure(with_user_dialog=True, max_xsize=60.)
        viewer.input.connect(device.output)
        viewer.initialize()
        viewer.show()
        viewer.start()
        viewer.params['scale_mode'] = 'by_channel'
        viewer.by_channel_params['ch0', 'gain'] = 2.

    ``params``: xsize (s), ylim_min / ylim_max, scale_mode (real_scale, same_for_all,
    by_channel), background_color, refresh_interval (ms), mode (scan: a sweep that wraps, or
    scroll), auto_decimate / decimate / decimation_method (pure_decimate, min_max, mean),
    display_labels, show_bottom_axis, show_left_axis. ``by_channel_params['ch<i>', …]``: gain,
    offset, visible. ``auto_scale()``; double click opens the parameter dialog, the wheel zooms
    the gain, a horizontal drag the time window. The curve data after the last refresh:
    ``curves_data[c]`` over ``t_vect`` (seconds before the newest sample).
    """

    _default_params = default_params
    _default_by_channel_params = default_by_channel_params

    def _initialize(self):
        BaseOscilloscope._initialize(self)
        self.curves, self.channel_labels = [], []
        for i in range(self.nb_channel):
            curve = pg.PlotCurveItem(pen=CURVE_COLOR)
            self.plot.addItem(curve)
            self.curves.append(curve)
            label = pg.TextItem("{}: {}".format(i, self.channel_names[i]), color=CURVE_COLOR, anchor=(0.5, 0.5),
                                fill=pg.mkColor((128, 128, 128, 200)))
            label.setVisible(False)
            self.plot.addItem(label)
            self.channel_labels.append(label)
        self.reset_curves_data()

    def _refresh(self):
        visibles, gains, offsets = self.visible_channels, self.gains, self.offsets
        head, small = self.decimated_window(self._head)
        small[visibles] = small[visibles] * gains[visibles, None] + offsets[visibles, None]
        if self.params["mode"] == "scan":
            small = scan_layout(small, head, int(self.params["decimate"]))
        for c in np.flatnonzero(visibles):
            self.curves_data[c] = small[c]
            self.curves[c].setData(self.t_vect, small[c], antialias=False)
        self.plot.setXRange(self.t_vect[0], self.t_vect[-1], padding=0)
        self.plot.setYRange(self.params["ylim_min"], self.params["ylim_max"], padding=0)
        for c, label in enumerate(self.channel_labels):
            show = bool(visibles[c] and self.params["display_labels"])
            if show:
                label.setPos(-self.params["xsize"], offsets[c])
            label.setVisible(show)
        self.plot.showAxis("left", self.params["show_left_axis"])
        self.plot.showAxis("bottom", self.params["show_bottom_axis"])

    def _param_changed(self, name, param, data):
        if name == "visible":
            self.curves[self.by_channel_params.children().index(param.parent())].setVisible(bool(data))
