"""QTimeFreq: live Morlet wavelet scalogram per channel (pyacq.viewers.QTimeFreq), computed by
libpyacq's Swift TimeFreqWorker nodes."""

import numpy as np

from ..node import ThreadPollInput, ThreadPollOutput
from ..stream import InputStream
from ..swiftnode import StreamConverter, TimeFreqWorker
from ._qt import QtCore, QtWidgets, WidgetNode, pg
from .colormaps import lookup_table
from .controller import ViewerController, channel_names_of, make_params, show_dialog, value_changes, zoomed_xsize
from .viewbox import MyViewBox

#: pyacq's flag for its scipy-based workers; libpyacq's workers need no scipy.
HAVE_SCIPY = True

default_params = [
    {"name": "xsize", "type": "float", "value": 10., "step": 0.1, "limits": (.1, 60)},
    {"name": "nb_column", "type": "int", "value": 1},
    {"name": "background_color", "type": "color", "value": "k"},
    {"name": "colormap", "type": "list", "value": "viridis", "limits": ["viridis", "jet", "gray", "hot"]},
    {"name": "scale_mode", "type": "list", "value": "by_channel", "limits": ["same_for_all", "by_channel"]},
    {"name": "refresh_interval", "type": "int", "value": 500, "limits": [5, 1000]},
    {"name": "mode", "type": "list", "value": "scroll", "limits": ["scan", "scroll"]},
    {"name": "show_axis", "type": "bool", "value": False},
    {"name": "display_labels", "type": "bool", "value": True},
    {"name": "timefreq", "type": "group", "children": [
        {"name": "f_start", "type": "float", "value": 3., "step": 1.},
        {"name": "f_stop", "type": "float", "value": 90., "step": 1.},
        {"name": "deltafreq", "type": "float", "value": 3., "step": 1., "limits": [0.1, 1.e6]},
        {"name": "f0", "type": "float", "value": 2.5, "step": 0.1},
        {"name": "normalisation", "type": "float", "value": 0., "step": 0.1}]},
]

default_by_channel_params = [
    {"name": "visible", "type": "bool", "value": True},
    {"name": "clim", "type": "float", "value": 1.},
]

#: Parameters whose change rebuilds the workers / the plot grid (applied 300 ms later, once).
REBUILD_WORKERS = {"xsize", "f_start", "f_stop", "deltafreq", "f0", "normalisation"}
REBUILD_GRID = {"nb_column", "visible", "display_labels", "colormap"}


class QTimeFreq(WidgetNode):
    """Morlet wavelet scalogram of each channel, one image per channel in a grid::

        viewer = QTimeFreq()
        viewer.configure(with_user_dialog=True, nodegroup_friends=None)
        viewer.input.connect(device.output)
        viewer.initialize()
        viewer.show()
        viewer.start()
        viewer.params['timefreq', 'f_stop'] = 40.

    The input goes through a StreamConverter to a float32 shared-memory ring that one
    TimeFreqWorker node per channel reads; every refresh_interval each visible channel's
    worker computes the map of the last xsize seconds. The workers are libpyacq Swift nodes
    running in this process on their own threads: ``nodegroup_friends`` (pyacq's way of
    spreading them over other node groups) is accepted and the workers still run locally.

    ``params``: xsize, nb_column, background_color, colormap, scale_mode, refresh_interval,
    mode (scroll or scan), show_axis, display_labels, and the group timefreq (f_start,
    f_stop, deltafreq, f0, normalisation). ``by_channel_params['ch<i>', …]``: visible, clim.
    The last map of channel c is ``images[c].image`` ((time bins, frequencies)).
    """

    _input_specs = {"signals": dict(streamtype="signals")}
    _default_params = default_params
    _default_by_channel_params = default_by_channel_params

    def __init__(self, **kwargs):
        WidgetNode.__init__(self, **kwargs)
        self.mainlayout = QtWidgets.QHBoxLayout(self)
        self.graphiclayout = pg.GraphicsLayoutWidget()
        self.mainlayout.addWidget(self.graphiclayout)
        self.workers, self.input_maps, self.map_pollers = [], [], []
        self.params_controller = None

    def _configure(self, with_user_dialog=True, max_xsize=60., nodegroup_friends=None):
        if not max_xsize > 0:
            raise ValueError("max_xsize must be > 0 seconds, got %r" % (max_xsize,))
        self.with_user_dialog = with_user_dialog
        self.max_xsize = float(max_xsize)
        self.nodegroup_friends = nodegroup_friends
        self.local_workers = True  # see the class docstring

    def show_params_controller(self):
        show_dialog(self.params_controller)

    def _initialize(self):
        params = self.input.params
        if len(params.get("shape") or []) != 2:
            raise ValueError("QTimeFreq needs a 2-D (samples, channels) signal stream, got shape %r" % (params.get("shape"),))
        self.sample_rate = float(params["sample_rate"])
        self.nb_channel = int(params["shape"][1])
        self.channel_names = channel_names_of(params, self.nb_channel)
        self.conv = StreamConverter(name=self.name + "-converter")
        self.conv.configure()
        self.conv.input.connect(dict(params))
        self.conv.output.configure(protocol="inproc", transfermode="sharedmem", dtype="float32",
                                   buffer_size=int(self.sample_rate * self.max_xsize), axisorder=[1, 0],
                                   shape=[-1, self.nb_channel], double=True, fill=0)
        self.conv.initialize()
        self.global_poller = ThreadPollOutput(self.conv.output, return_data=False)
        self.global_timer = QtCore.QTimer(interval=500)
        self.global_timer.timeout.connect(self.compute_maps)
        self.params, self.by_channel_params, self.all_params = make_params(
            self._default_params, self._default_by_channel_params, self.channel_names)
        self.params.param("xsize").setLimits([16. / self.sample_rate, self.max_xsize * .95])
        self.all_params.sigTreeStateChanged.connect(self.on_param_change)
        self._pending = set()
        self.timer_action = QtCore.QTimer(singleShot=True, interval=300)
        self.timer_action.timeout.connect(self.apply_actions)
        if self.with_user_dialog:
            self.params_controller = ViewerController(parent=self, viewer=self, gain_label="Clim change (mouse wheel on graph):")
            self.params_controller.setWindowFlags(QtCore.Qt.Window)
        self.create_grid()
        self.initialize_time_freq()
        self.initialize_plots()

    # ------------------------------------------------------------ workers
    def initialize_time_freq(self):
        """(Re)creates one TimeFreqWorker per channel with the current settings."""
        was_running = self.running()
        self._close_workers()
        tfr = self.params.param("timefreq")
        settings = dict(xsize=self.params["xsize"], f_start=tfr["f_start"], f_stop=tfr["f_stop"],
                        deltafreq=tfr["deltafreq"], f0=tfr["f0"], normalisation=tfr["normalisation"])
        for c in range(self.nb_channel):
            worker = TimeFreqWorker(name="%s-tfr%d" % (self.name, c))
            worker.configure(channel=c, max_xsize=self.max_xsize, **settings)
            worker.input.connect(self.conv.output)
            worker.output.configure(protocol="inproc", transfermode="plaindata")
            worker.initialize()
            input_map = InputStream()
            input_map.connect(worker.output)
            poller = ThreadPollInput(input_map, return_data=True)
            poller.new_data.connect(lambda head, wt_map, chan=c: self.update_image(chan, head, wt_map))
            self.workers.append(worker)
            self.input_maps.append(input_map)
            self.map_pollers.append(poller)
        sizes = self.workers[0].worker_params
        self.downsample_factor = sizes["downsample_factor"]
        self.plot_length = sizes["plot_length"]
        self.sub_sample_rate = sizes["sub_sample_rate"]
        self.frequencies = np.array(self.workers[0].frequencies)
        self.wanted_size = self.params["xsize"]
        if was_running:
            self._start_workers()

    def _start_workers(self):
        for worker, poller in zip(self.workers, self.map_pollers):
            worker.start()
            poller.start()

    def _close_workers(self):
        for poller in self.map_pollers:
            poller.stop()
            poller.wait()
        for worker in self.workers:
            worker.close()
        for input_map in self.input_maps:
            input_map.close()
        self.workers, self.input_maps, self.map_pollers = [], [], []

    def _start(self):
        self.conv.start()
        self.global_poller.start()
        self._start_workers()
        self.global_timer.setInterval(int(self.params["refresh_interval"]))
        self.global_timer.start()

    def _stop(self):
        self.global_timer.stop()
        self.global_poller.stop()
        self.global_poller.wait()
        for worker, poller in zip(self.workers, self.map_pollers):
            poller.stop()
            poller.wait()
            worker.stop()
        self.conv.stop()

    def _close(self):
        if self.params_controller is not None:
            self.params_controller.close()
        self._close_workers()
        self.conv.close()

    def compute_maps(self):
        head = self.global_poller.pos()
        if head is None:
            return
        for c, group in enumerate(self.by_channel_params.children()):
            if group["visible"]:
                self.workers[c].compute_one_map(int(head))

    # ------------------------------------------------------------ display
    def create_grid(self):
        self.graphiclayout.clear()
        self.graphiclayout.setBackground(self.params["background_color"])
        self.plots, self.images = [None] * self.nb_channel, [None] * self.nb_channel
        nb_column = max(1, min(int(self.params["nb_column"]), self.nb_channel))
        visible = [c for c, group in enumerate(self.by_channel_params.children()) if group["visible"]]
        for k, c in enumerate(visible):
            viewbox = MyViewBox()
            if self.params_controller is not None:
                viewbox.doubleclicked.connect(self.show_params_controller)
            viewbox.gain_zoom.connect(lambda factor, _y: self.apply_gain_zoom(factor))
            viewbox.xsize_zoom.connect(self.xsize_zoom)
            plot = pg.PlotItem(viewBox=viewbox)
            plot.hideButtons()
            plot.showAxis("left", self.params["show_axis"])
            plot.showAxis("bottom", self.params["show_axis"])
            plot.setTitle(self.channel_names[c] if self.params["display_labels"] else None)
            self.graphiclayout.addItem(plot, row=k // nb_column, col=k % nb_column)
            self.plots[c] = plot

    def initialize_plots(self):
        self.lut = lookup_table(self.params["colormap"])
        f_start = float(self.frequencies[0]) if len(self.frequencies) else self.params["timefreq", "f_start"]
        f_stop = f_start + len(self.frequencies) * self.params["timefreq", "deltafreq"]
        for c, group in enumerate(self.by_channel_params.children()):
            plot = self.plots[c]
            if plot is None:
                continue
            plot.clear()
            image = pg.ImageItem()
            image.setImage(np.zeros((self.plot_length, len(self.frequencies)), dtype="float32"), lut=self.lut,
                           levels=[0, group["clim"]])
            plot.addItem(image)
            image.setRect(QtCore.QRectF(-self.wanted_size, f_start, self.wanted_size, f_stop - f_start))
            plot.setXRange(-self.wanted_size, 0., padding=0)
            plot.setYRange(f_start, f_stop, padding=0)
            self.images[c] = image

    def update_image(self, chan, head, wt_map):
        image = self.images[chan]
        if image is None or wt_map.shape != (self.plot_length, len(self.frequencies)):
            return  # a map from before a settings change
        if self.params["mode"] == "scan":
            ind = (int(head) // self.downsample_factor) % self.plot_length + 1
            wt_map = np.concatenate([wt_map[-ind:], wt_map[:-ind]], axis=0)
        image.updateImage(wt_map)

    def apply_gain_zoom(self, factor):
        for group in self.by_channel_params.children():
            group["clim"] = group["clim"] / factor

    clim_zoom = apply_gain_zoom

    def xsize_zoom(self, xmove):
        self.params["xsize"] = zoomed_xsize(self.params, xmove)

    def auto_scale(self):
        """clim = 1.1 × the largest value shown (per channel, or one for all)."""
        maxima = [float(np.max(self.images[c].image)) if self.images[c] is not None else 0.
                  for c in range(self.nb_channel)]
        groups = self.by_channel_params.children()
        for c, group in enumerate(groups):
            if group["visible"]:
                value = max(maxima) if self.params["scale_mode"] == "same_for_all" else maxima[c]
                group["clim"] = value * 1.1 or 1.

    auto_clim = auto_scale

    def on_param_change(self, params, changes):
        for name, param, data in value_changes(changes):
            if name == "background_color":
                self.graphiclayout.setBackground(data)
            elif name == "refresh_interval":
                self.global_timer.setInterval(int(data))
            elif name == "clim":
                c = self.by_channel_params.children().index(param.parent())
                if self.images[c] is not None:
                    self.images[c].setLevels([0, data])
            elif name == "show_axis":
                for plot in self.plots:
                    if plot is not None:
                        plot.showAxis("left", data)
                        plot.showAxis("bottom", data)
            elif name == "scale_mode":
                self.auto_scale()
            if name in REBUILD_WORKERS | REBUILD_GRID:
                self._pending.add("workers" if name in REBUILD_WORKERS else "grid")
                if not self.timer_action.isActive():
                    self.timer_action.start()

    def apply_actions(self):
        """Heavy changes, grouped: new workers and / or a new grid, then new images."""
        pending, self._pending = self._pending, set()
        if "workers" in pending:
            self.initialize_time_freq()
        if "grid" in pending:
            self.create_grid()
        self.initialize_plots()
