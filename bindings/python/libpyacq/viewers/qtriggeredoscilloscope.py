"""QTriggeredOscilloscope: sweeps of the signal aligned on threshold crossings, stacked
(pyacq.viewers.QTriggeredOscilloscope), on libpyacq's Swift AnalogTrigger and
TriggerAccumulator nodes running in this process."""

import numpy as np

from ..swiftnode import AnalogTrigger, TriggerAccumulator
from ._qt import QtWidgets, pg
from .controller import ViewerController
from .oscilloscope_base import BaseOscilloscope, param_specs

default_params = param_specs(["xsize", "ylim_max", "ylim_min", "background_color", "refresh_interval", "auto_decimate",
                              "decimate", "decimation_method", "display_labels", "scale_mode"])
default_by_channel_params = param_specs(["gain", "offset", "visible"])

#: Node params shown in the dialog: (node attribute, param name, pyqtgraph type, choices).
NODE_PARAMS = [
    ("trigger", "channel", "int", None), ("trigger", "threshold", "float", None),
    ("trigger", "front", "list", ["+", "-"]),
    ("trigger", "debounce_mode", "list", ["no-debounce", "after-stable", "before-stable"]),
    ("trigger", "debounce_time", "float", None),
    ("triggeraccumulator", "left_sweep", "float", None), ("triggeraccumulator", "right_sweep", "float", None),
    ("triggeraccumulator", "stack_size", "int", None),
]

MAX_STACK_SIZE = 100


class TriggeredOscilloscopeController(ViewerController):
    """The oscilloscope dialog plus the trigger's and the accumulator's params."""

    def __init__(self, parent=None, viewer=None):
        ViewerController.__init__(self, parent=parent, viewer=viewer)
        children = []
        for node_name, name, kind, choices in NODE_PARAMS:
            spec = {"name": name, "type": kind, "value": getattr(viewer, node_name).params[name]}
            if choices:
                spec["limits"] = choices
            children.append(spec)
        self.node_params = pg.parametertree.Parameter.create(name="Trigger", type="group", children=children)
        self.node_params.sigTreeStateChanged.connect(self.on_node_param_change)
        tree = pg.parametertree.ParameterTree()
        tree.setParameters(self.node_params, showTop=True)
        tree.header().hide()
        self.layout().itemAt(1).layout().insertWidget(1, tree)

    def on_node_param_change(self, params, changes):
        nodes = {name: node for node, name, _, _ in NODE_PARAMS}
        for param, change, data in changes:
            if change == "value":
                getattr(self.viewer, nodes[param.name()]).params[param.name()] = data
        self.viewer.reset_stack()


class QTriggeredOscilloscope(BaseOscilloscope):
    """Shows the last ``stack_size`` sweeps ``[left_sweep, right_sweep]`` seconds around each
    threshold crossing, time 0 on the crossing (red line)::

        viewer = QTriggeredOscilloscope()
        viewer.configure(with_user_dialog=True)
        viewer.input.connect(device.output)
        viewer.initialize()
        viewer.trigger.params['threshold'] = 1.
        viewer.triggeraccumulator.params['stack_size'] = 3
        viewer.show()
        viewer.start()

    ``trigger`` (AnalogTrigger: channel, threshold, front, debounce_mode, debounce_time) and
    ``triggeraccumulator`` (TriggerAccumulator: left_sweep, right_sweep, stack_size) are local
    libpyacq nodes fed by the same stream. The sweeps drawn after the last refresh are
    ``list_curves[channel][slot]`` (pyqtgraph curves) over ``t_vect``."""

    _default_params = default_params
    _default_by_channel_params = default_by_channel_params
    _ControllerClass = TriggeredOscilloscopeController

    def __init__(self, **kwargs):
        BaseOscilloscope.__init__(self, **kwargs)
        row = QtWidgets.QHBoxLayout()
        self.layout.addLayout(row)
        self.but_startstop = QtWidgets.QPushButton("Start/Stop", checkable=True, checked=True)
        self.but_startstop.toggled.connect(self.start_or_stop_trigger)
        row.addWidget(self.but_startstop)
        button = QtWidgets.QPushButton("Reset")
        button.clicked.connect(self.reset_stack)
        row.addWidget(button)
        self.label_count = QtWidgets.QLabel("Nb events:")
        row.addWidget(self.label_count)
        row.addStretch()
        self.trigger = AnalogTrigger(name="trigger")
        self.triggeraccumulator = TriggerAccumulator(name="triggeraccumulator")

    def _initialize(self):
        source = dict(self.input.params)
        self.trigger.configure()
        self.trigger.input.connect(source)
        self.trigger.output.configure(protocol="inproc", transfermode="plaindata")
        self.trigger.initialize()
        self.triggeraccumulator.configure(max_stack_size=MAX_STACK_SIZE, max_xsize=self.max_xsize)
        self.triggeraccumulator.inputs["signals"].connect(source)
        self.triggeraccumulator.inputs["events"].connect(self.trigger.output)
        self.triggeraccumulator.initialize()
        BaseOscilloscope._initialize(self)
        self.channel_labels = []
        for c in range(self.nb_channel):
            label = pg.TextItem("{}: {}".format(c, self.channel_names[c]), color="#7FFF00", anchor=(0.5, 0.5),
                                fill=pg.mkColor((128, 128, 128, 200)))
            label.setVisible(False)
            self.plot.addItem(label)
            self.channel_labels.append(label)
        self.vline = pg.InfiniteLine(pos=0, angle=90, pen="r")
        self.plot.addItem(self.vline)
        self.list_curves = [[] for _ in range(self.nb_channel)]
        self.recreate_stack()
        self.reset_curves_data()

    def _start(self):
        BaseOscilloscope._start(self)
        self.start_or_stop_trigger(self.but_startstop.isChecked())

    def _stop(self):
        BaseOscilloscope._stop(self)
        self.start_or_stop_trigger(False)

    def _close(self):
        BaseOscilloscope._close(self)
        self.trigger.close()
        self.triggeraccumulator.close()

    def start_or_stop_trigger(self, state):
        for node in (self.trigger, self.triggeraccumulator):
            if state and not node.running():
                node.start()
            elif not state and node.running():
                node.stop()

    @property
    def t_vect_sweep(self):
        acc = self.triggeraccumulator.params
        sr = self.sample_rate
        width = int(acc["right_sweep"] * sr) - int(acc["left_sweep"] * sr)
        return np.arange(width) / sr + int(acc["left_sweep"] * sr) / sr

    def recreate_stack(self):
        """One curve per (channel, stack slot), for the current stack_size."""
        for curves in self.list_curves:
            for curve in curves:
                self.plot.removeItem(curve)
        stack_size = int(self.triggeraccumulator.params["stack_size"])
        self.list_curves = [[self.plot.plot(pen="#7FFF00") for _ in range(stack_size)] for _ in range(self.nb_channel)]
        self.plotted_trig = 0

    def reset_stack(self):
        """Empties the stack (setting left_sweep again does it in the accumulator)."""
        self.triggeraccumulator.params["left_sweep"] = self.triggeraccumulator.params["left_sweep"]
        self.recreate_stack()
        self._refresh()

    def _refresh(self):
        total = int(self.triggeraccumulator.total_trig)
        stack_size = int(self.triggeraccumulator.params["stack_size"])
        if len(self.list_curves[0]) != stack_size:
            self.recreate_stack()
        self.t_vect = t = self.t_vect_sweep
        if total != self.plotted_trig:
            stack = np.asarray(self.triggeraccumulator.stack)
            gains, offsets, visibles = self.gains, self.offsets, self.visible_channels
            first = max(self.plotted_trig, total - stack_size)
            for trig in range(first, total):
                slot = trig % stack_size
                for c in range(self.nb_channel):
                    curve = self.list_curves[c][slot]
                    curve.setVisible(bool(visibles[c]))
                    curve.setData(t, stack[slot, c, :] * gains[c] + offsets[c], antialias=False)
            self.plotted_trig = total
        self.plot.setXRange(t[0], t[-1], padding=0)
        self.plot.setYRange(self.params["ylim_min"], self.params["ylim_max"], padding=0)
        self.label_count.setText("Nb events: {}".format(total))
        for c, label in enumerate(self.channel_labels):
            show = bool(self.visible_channels[c] and self.params["display_labels"])
            if show:
                label.setPos(t[0], self.offsets[c])
            label.setVisible(show)

    def get_visible_chunk(self, head=None, limit_to_head_0=True):
        stack = np.asarray(self.triggeraccumulator.stack)
        return stack.transpose(0, 2, 1).reshape(-1, self.nb_channel)

    def _param_changed(self, name, param, data):
        if name in ("gain", "offset", "visible"):
            self.plotted_trig = 0
