"""QOscilloscopeMultiPlot: one plot per channel, each with its own y range
(pyacq.viewers.QOscilloscopeMultiPlot)."""

import numpy as np

from ._qt import pg
from .oscilloscope_base import BaseOscilloscope, param_specs, scan_layout
from .viewbox import MyViewBox

default_params = param_specs(["xsize", "background_color", "refresh_interval", "mode", "auto_decimate", "decimate",
                              "decimation_method", "display_labels", "show_bottom_axis", "show_left_axis"],
                             show_bottom_axis=True, show_left_axis=True)
default_params.append({"name": "scale_mode", "type": "list", "value": "by_channel", "limits": ["by_channel", "same_for_all"]})
default_by_channel_params = param_specs(["visible", "ylim_max", "ylim_min"])


class QOscilloscopeMultiPlot(BaseOscilloscope):
    """Like QOscilloscope, with one plot per visible channel stacked vertically and a y range
    per channel (``by_channel_params['ch<i>', 'ylim_min' / 'ylim_max' / 'visible']``).
    ``auto_scale()`` sets each range from the channel's min / max (or one range for all with
    scale_mode 'same_for_all')."""

    _default_params = default_params
    _default_by_channel_params = default_by_channel_params

    def __init__(self, **kwargs):
        BaseOscilloscope.__init__(self, **kwargs)
        self.graphicsview.hide()
        self.graphiclayout = pg.GraphicsLayoutWidget()
        self.layout.addWidget(self.graphiclayout)

    def _initialize(self):
        BaseOscilloscope._initialize(self)
        self.create_plots()
        self.reset_curves_data()

    def create_plots(self):
        self.graphiclayout.clear()
        self.plots, self.curves = [None] * self.nb_channel, [None] * self.nb_channel
        for c in np.flatnonzero(self.visible_channels):
            viewbox = MyViewBox()
            if self.params_controller is not None:
                viewbox.doubleclicked.connect(self.show_params_controller)
            viewbox.gain_zoom.connect(self.apply_gain_zoom)
            viewbox.xsize_zoom.connect(self.apply_xsize_zoom)
            plot = self.graphiclayout.addPlot(viewBox=viewbox)
            plot.hideButtons()
            plot.showAxis("left", self.params["show_left_axis"])
            plot.showAxis("bottom", self.params["show_bottom_axis"])
            if self.params["display_labels"]:
                plot.setTitle(self.channel_names[c])
            self.curves[c] = plot.plot(pen="#7FFF00")
            self.plots[c] = plot
            self.graphiclayout.nextRow()

    def _refresh(self):
        head, small = self.decimated_window(self._head)
        if self.params["mode"] == "scan":
            small = scan_layout(small, head, int(self.params["decimate"]))
        for c, group in enumerate(self.by_channel_params.children()):
            if self.plots[c] is None:
                continue
            self.curves_data[c] = small[c]
            self.curves[c].setData(self.t_vect, small[c], antialias=False)
            self.plots[c].setXRange(self.t_vect[0], self.t_vect[-1], padding=0)
            self.plots[c].setYRange(group["ylim_min"], group["ylim_max"], padding=0)

    def auto_scale(self, spacing_factor=None):
        self.estimate_median_mad()
        low, high = self.signals_min, self.signals_max
        if self.params["scale_mode"] == "same_for_all":
            visible = self.visible_channels
            low = np.full(self.nb_channel, np.nanmin(low[visible]) if visible.any() else -1.)
            high = np.full(self.nb_channel, np.nanmax(high[visible]) if visible.any() else 1.)
        with self.all_params.treeChangeBlocker():
            for group, lo, hi in zip(self.by_channel_params.children(), low, high):
                margin = (hi - lo) * 0.05 or 1.
                group["ylim_min"], group["ylim_max"] = float(lo - margin), float(hi + margin)
        self.refresh()

    def apply_gain_zoom(self, factor, y_baseline=None):
        with self.all_params.treeChangeBlocker():
            for group in self.by_channel_params.children():
                low, high = group["ylim_min"], group["ylim_max"]
                half = (high - low) / factor / 2.
                group["ylim_min"], group["ylim_max"] = (low + high) / 2. - half, (low + high) / 2. + half
        self.refresh()

    def _param_changed(self, name, param, data):
        if name in ("visible", "display_labels", "show_left_axis", "show_bottom_axis"):
            self.create_plots()
