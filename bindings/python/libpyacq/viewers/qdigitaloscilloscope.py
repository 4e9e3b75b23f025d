"""QDigitalOscilloscope: every bit of a digital stream's bytes as a channel
(pyacq.viewers.QDigitalOscilloscope)."""

import numpy as np

from ._qt import pg
from .oscilloscope_base import BaseOscilloscope, decimate_signals, param_specs, scan_layout

default_params = param_specs(["xsize", "ylim_max", "ylim_min", "background_color", "refresh_interval", "mode",
                              "auto_decimate", "decimate", "decimation_method", "display_labels", "show_bottom_axis",
                              "show_left_axis"], display_labels=True)
default_by_channel_params = param_specs(["visible"])


def unpack_bits(samples):
    """(samples, columns) integers -> (bits, samples) 0/1: channel c is bit c % 8 of byte
    c // 8 of each sample's raw bytes (native order)."""
    raw = np.ascontiguousarray(samples)
    as_bytes = raw.view(np.uint8).reshape(raw.shape[0], -1)
    return np.unpackbits(as_bytes, axis=1, bitorder="little").T


class QDigitalOscilloscope(BaseOscilloscope):
    """A logic-analyser view: the input's ``shape[1] × itemsize × 8`` bits, one row each
    (0 / 1 levels stacked, channel 0 on top). Params as QOscilloscope's where they apply;
    ``by_channel_params['ch<i>', 'visible']``."""

    _default_params = default_params
    _default_by_channel_params = default_by_channel_params

    def _check_nb_channel(self):
        params = self.inputs["signals"].params
        itemsize = np.dtype(params["dtype"]).itemsize
        self.nb_channel = int(params["shape"][1]) * itemsize * 8

    def _initialize(self):
        BaseOscilloscope._initialize(self)
        self.curves, self.channel_labels = [], []
        for c in range(self.nb_channel):
            curve = pg.PlotCurveItem(pen="#7FFF00")
            self.plot.addItem(curve)
            self.curves.append(curve)
            label = pg.TextItem(self.channel_names[c], color="#FFFFFF", anchor=(0, 0.5))
            self.plot.addItem(label)
            self.channel_labels.append(label)
        with self.all_params.treeChangeBlocker():  # one row per bit in view
            self.params["ylim_min"], self.params["ylim_max"] = -0.5, self.nb_channel + 0.5
        self.reset_curves_data()

    def auto_scale(self, spacing_factor=None):
        with self.all_params.treeChangeBlocker():
            self.params["ylim_min"], self.params["ylim_max"] = -0.5, float(self.visible_channels.sum()) + 0.5
        self.refresh()

    def apply_gain_zoom(self, factor, y_baseline=None):
        pass  # levels are 0 / 1: nothing to zoom

    def decimated_window(self, head):
        decimate = int(self.params["decimate"])
        if decimate > 1:
            head -= head % (decimate * 2)
        raw = self.inputs["signals"].get_data(head - self.full_size, head, copy=True, join=True)
        bits = unpack_bits(raw)[:self.nb_channel]
        # A bit's blocks keep their max then min, so a short pulse is never decimated away.
        small = decimate_signals(bits, decimate, "min_max" if decimate > 1 else "pure_decimate")
        return head, small[:, :self.small_size]

    def _refresh(self):
        head, small = self.decimated_window(self._head)
        if self.params["mode"] == "scan":
            small = scan_layout(small, head, int(self.params["decimate"]))
        visibles = self.visible_channels
        rows = np.cumsum(visibles[::-1])[::-1] - 1  # channel 0 on top
        for c in range(self.nb_channel):
            self.curves[c].setVisible(bool(visibles[c]))
            self.channel_labels[c].setVisible(bool(visibles[c] and self.params["display_labels"]))
            if visibles[c]:
                self.curves_data[c] = small[c] * 0.8 + rows[c]
                self.curves[c].setData(self.t_vect, self.curves_data[c], antialias=False)
                self.channel_labels[c].setPos(self.t_vect[0], rows[c] + 0.4)
        self.plot.setXRange(self.t_vect[0], self.t_vect[-1], padding=0)
        self.plot.setYRange(self.params["ylim_min"], self.params["ylim_max"], padding=0)
