"""What pyacq's oscilloscopes share: the input ring (``max_xsize`` seconds, channel-major),
a poller that follows the head index, a refresh timer, the parameter trees and their dialog,
decimation and the scan / scroll layout of the curves."""

import numpy as np

from ..node import ThreadPollInput
from ._qt import QtCore, QtWidgets, WidgetNode, pg
from .controller import ViewerController, channel_names_of, make_params, show_dialog, value_changes, zoomed_xsize
from .viewbox import MyViewBox

#: pyacq's oscilloscope parameters (each viewer picks its own list with `param_specs`).
PARAM_SPECS = {spec["name"]: spec for spec in [
    {"name": "xsize", "type": "float", "value": 3., "step": 0.1},
    {"name": "ylim_max", "type": "float", "value": 10.},
    {"name": "ylim_min", "type": "float", "value": -10.},
    {"name": "scale_mode", "type": "list", "value": "real_scale", "limits": ["real_scale", "same_for_all", "by_channel"]},
    {"name": "background_color", "type": "color", "value": "k"},
    {"name": "refresh_interval", "type": "int", "value": 100, "limits": [5, 1000]},
    {"name": "mode", "type": "list", "value": "scan", "limits": ["scan", "scroll"]},
    {"name": "auto_decimate", "type": "bool", "value": True},
    {"name": "decimate", "type": "int", "value": 1, "limits": [1, None]},
    {"name": "decimation_method", "type": "list", "value": "pure_decimate", "limits": ["pure_decimate", "min_max", "mean"]},
    {"name": "display_labels", "type": "bool", "value": False},
    {"name": "show_bottom_axis", "type": "bool", "value": False},
    {"name": "show_left_axis", "type": "bool", "value": False},
    {"name": "gain", "type": "float", "value": 1, "step": 0.1},
    {"name": "offset", "type": "float", "value": 0., "step": 0.1},
    {"name": "visible", "type": "bool", "value": True},
]}


def param_specs(names, **values):
    """Parameter specs of `names` from PARAM_SPECS, with other default values where given."""
    return [dict(PARAM_SPECS[name], **({"value": values[name]} if name in values else {})) for name in names]


#: Points per curve aimed at by auto_decimate.
AUTO_DECIMATE_POINTS = 4000


def decimate_signals(full, decimate, method):
    """(channels, samples) -> (channels, samples // decimate) with pyacq's methods:
    'pure_decimate' keeps every decimate-th sample, 'mean' averages blocks, 'min_max' keeps the
    max then the min of each block of 2 × decimate samples (spikes stay visible)."""
    if decimate <= 1:
        return np.array(full, dtype=float)
    nb, n = full.shape
    if method == "pure_decimate":
        return np.array(full[:, ::decimate][:, :n // decimate], dtype=float)
    if method == "mean":
        return full[:, :n - n % decimate].reshape(nb, -1, decimate).mean(axis=2)
    if method == "min_max":
        blocks = full[:, :n - n % (2 * decimate)].reshape(nb, -1, 2 * decimate)
        out = np.empty((nb, blocks.shape[1] * 2), dtype=float)
        out[:, ::2] = blocks.max(axis=2)
        out[:, 1::2] = blocks.min(axis=2)
        return out
    raise ValueError("unknown decimation_method %r (pure_decimate, min_max, mean)" % (method,))


def scan_layout(small, head, decimate):
    """Scan mode: the newest point at (head // decimate) % width, the sweep wrapping around."""
    ind = (head // decimate) % small.shape[1] + 1
    return np.concatenate((small[:, -ind:], small[:, :-ind]), axis=1)


class BaseOscilloscope(WidgetNode):
    """Shared part of QOscilloscope, QOscilloscopeMultiPlot, QDigitalOscilloscope and
    QTriggeredOscilloscope (see QOscilloscope for the usage)."""

    _input_specs = {"signals": dict(streamtype="signals")}
    _default_params = []
    _default_by_channel_params = []
    _ControllerClass = ViewerController

    def __init__(self, **kwargs):
        WidgetNode.__init__(self, **kwargs)
        self.layout = QtWidgets.QVBoxLayout(self)
        self.graphicsview = pg.GraphicsView()
        self.layout.addWidget(self.graphicsview)
        self.viewBox = MyViewBox()
        self.plot = pg.PlotItem(viewBox=self.viewBox)
        self.graphicsview.setCentralItem(self.plot)
        self.plot.hideButtons()
        self.plot.showAxis("left", False)
        self.plot.showAxis("bottom", False)
        self._head = 0
        self.params_controller = None

    # ------------------------------------------------------------ node lifecycle
    def _configure(self, with_user_dialog=True, max_xsize=60.):
        if not max_xsize > 0:
            raise ValueError("max_xsize must be > 0 seconds, got %r" % (max_xsize,))
        self.with_user_dialog = with_user_dialog
        self.max_xsize = float(max_xsize)

    def _check_nb_channel(self):
        self.nb_channel = int(self.inputs["signals"].params["shape"][1])

    def _initialize(self):
        params = self.inputs["signals"].params
        shape = params.get("shape")
        if shape is None or len(shape) != 2:
            raise ValueError("%s needs a 2-D (samples, channels) signal stream, got shape %r"
                             % (type(self).__name__, shape))
        self._check_nb_channel()
        self.sample_rate = float(params["sample_rate"])
        self.inputs["signals"].set_buffer(size=int(self.sample_rate * self.max_xsize), axisorder=[1, 0], double=True)
        self.channel_names = channel_names_of(params, self.nb_channel)
        self.params, self.by_channel_params, self.all_params = make_params(
            self._default_params, self._default_by_channel_params, self.channel_names)
        if "xsize" in [p.name() for p in self.params.children()]:
            self.params.param("xsize").setLimits([2. / self.sample_rate, self.max_xsize * .95])
        self.all_params.sigTreeStateChanged.connect(self.on_param_change)
        if self.with_user_dialog and self._ControllerClass is not None:
            self.params_controller = self._ControllerClass(parent=self, viewer=self)
            self.params_controller.setWindowFlags(QtCore.Qt.Window)
            self.viewBox.doubleclicked.connect(self.show_params_controller)
        self.viewBox.gain_zoom.connect(self.apply_gain_zoom)
        self.viewBox.xsize_zoom.connect(self.apply_xsize_zoom)
        self.poller = ThreadPollInput(input_stream=self.inputs["signals"], return_data=False)
        self.poller.new_data.connect(self._on_new_data)
        self.timer = QtCore.QTimer(singleShot=False, interval=self.params["refresh_interval"])
        self.timer.timeout.connect(self.refresh)

    def _start(self):
        self._head = 0
        if self.params["auto_decimate"]:
            self.estimate_decimate()
        self.reset_curves_data()
        self.poller.start()
        self.timer.start()

    def _stop(self):
        self.poller.stop()
        self.poller.wait()
        self.timer.stop()

    def _close(self):
        if self.params_controller is not None:
            self.params_controller.close()

    def show_params_controller(self):
        show_dialog(self.params_controller)

    # ------------------------------------------------------------ data
    def _on_new_data(self, pos, data):
        self._head = pos

    def refresh(self):
        self._refresh()

    def get_visible_chunk(self, head=None, limit_to_head_0=True):
        """The last full_size samples before `head` as (samples, channels); before the first
        sample the ring's zeros (limit_to_head_0=False) or nothing."""
        head = self._head if head is None else head
        start = max(-1, head - self.full_size) if limit_to_head_0 else head - self.full_size
        return self.inputs["signals"].get_data(start, head, copy=False, join=True)

    def reset_curves_data(self):
        decimate = int(self.params["decimate"])
        self.full_size = int(self.params["xsize"] * self.sample_rate)
        self.small_size = self.full_size // decimate
        if self.small_size % 2:
            self.small_size -= 1  # min_max needs pairs
        self.small_size = max(self.small_size, 2)
        self.full_size = self.small_size * decimate
        self.t_vect = np.arange(self.small_size, dtype=float) / (self.sample_rate / decimate)
        self.t_vect -= self.t_vect[-1]
        self.curves_data = [np.zeros(self.small_size) for _ in range(self.nb_channel)]

    def estimate_decimate(self, nb_point=AUTO_DECIMATE_POINTS):
        self.params["decimate"] = max(int(self.params["xsize"] * self.sample_rate) // nb_point, 1)

    def decimated_window(self, head):
        """(head aligned on the decimation, (channels, small_size) decimated signals)."""
        decimate = int(self.params["decimate"])
        method = self.params["decimation_method"]
        if decimate > 1:
            head -= head % (decimate * 2 if method == "min_max" else decimate)
        full = np.asarray(self.get_visible_chunk(head=head, limit_to_head_0=False)).T
        small = decimate_signals(full, decimate, method)
        return head, small[:, :self.small_size]

    # ------------------------------------------------------------ scale
    @property
    def visible_channels(self):
        return np.array([p["visible"] for p in self.by_channel_params.children()], dtype=bool)

    @property
    def gains(self):
        return np.array([p["gain"] if "gain" in p.names else 1. for p in self.by_channel_params.children()])

    @property
    def offsets(self):
        return np.array([p["offset"] if "offset" in p.names else 0. for p in self.by_channel_params.children()])

    def _set_gains_offsets(self, gains, offsets):
        with self.all_params.treeChangeBlocker():
            for p, g, o in zip(self.by_channel_params.children(), gains, offsets):
                if "gain" in p.names:
                    p["gain"], p["offset"] = float(g), float(o)

    def estimate_median_mad(self):
        sigs = np.asarray(self.get_visible_chunk(), dtype=float)
        if sigs.shape[0] == 0:
            sigs = np.zeros((1, self.nb_channel))
        self.signals_med = med = np.nanmedian(sigs, axis=0)
        self.signals_mad = np.nanmedian(np.abs(sigs - med), axis=0) * 1.4826
        self.signals_min = np.nanmin(sigs, axis=0)
        self.signals_max = np.nanmax(sigs, axis=0)

    def auto_scale(self, spacing_factor=9.):
        """real_scale: ylim from the visible signals' min / max; same_for_all / by_channel:
        gains from the median absolute deviation and one row per visible channel."""
        visible = self.visible_channels
        if not visible.any():
            return
        self.estimate_median_mad()
        mode = self.params["scale_mode"]
        gains, offsets = np.ones(self.nb_channel), np.zeros(self.nb_channel)
        with self.all_params.treeChangeBlocker():
            if mode == "real_scale":
                low, high = np.nanmin(self.signals_min[visible]), np.nanmax(self.signals_max[visible])
                margin = (high - low) * 0.05 or 1.
                self.params["ylim_min"], self.params["ylim_max"] = float(low - margin), float(high + margin)
            else:
                if mode == "same_for_all":
                    inv = max(self.signals_mad[visible]) * spacing_factor or 1.
                else:
                    inv = self.signals_mad[visible] * spacing_factor
                    inv[inv == 0] = 1.
                nb_visible = int(visible.sum())
                gains[visible] = 1. / inv
                offsets[visible] = np.arange(nb_visible)[::-1] - self.signals_med[visible] * gains[visible]
                self.params["ylim_min"], self.params["ylim_max"] = -0.5, nb_visible - 0.5
            self._set_gains_offsets(gains, offsets)
        self.refresh()

    def apply_gain_zoom(self, factor, y_baseline=None):
        if self.params["scale_mode"] == "real_scale":
            low, high = self.params["ylim_min"], self.params["ylim_max"]
            half = (high - low) / factor / 2.
            with self.all_params.treeChangeBlocker():
                self.params["ylim_min"], self.params["ylim_max"] = (low + high) / 2. - half, (low + high) / 2. + half
        else:
            if not hasattr(self, "signals_med"):
                self.estimate_median_mad()
            centre = self.offsets + self.signals_med * self.gains
            gains = self.gains * factor
            self._set_gains_offsets(gains, centre - self.signals_med * gains)
        self.refresh()

    def apply_xsize_zoom(self, xmove):
        self.params["xsize"] = zoomed_xsize(self.params, xmove)

    def on_param_change(self, params, changes):
        for name, param, data in value_changes(changes):
            if name == "background_color":
                self.graphicsview.setBackground(data)
            elif name == "refresh_interval":
                self.timer.setInterval(int(data))
            elif name in ("xsize", "auto_decimate") and self.params["auto_decimate"]:
                self.estimate_decimate()
                self.reset_curves_data()
            elif name in ("xsize", "decimate", "mode", "decimation_method"):
                self.reset_curves_data()
            elif name == "scale_mode":
                self.auto_scale()
            self._param_changed(name, param, data)

    def _param_changed(self, name, param, data):
        """Subclass hook after a parameter changed."""
