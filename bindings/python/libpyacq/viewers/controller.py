"""The parameter dialog of the viewers (double click on a plot): the global options and the
per-channel options as pyqtgraph parameter trees, a channel list to show / hide a selection,
and the gain buttons."""

import weakref

import numpy as np

from ._qt import QtCore, QtWidgets, pg


class ViewerController(QtWidgets.QWidget):
    """`viewer` needs ``params``, ``by_channel_params``, ``channel_names``, ``nb_channel`` and
    ``auto_scale()``; ``apply_gain_zoom(factor)`` when it has gain buttons."""

    def __init__(self, parent=None, viewer=None, gain_label="Gain zoom (mouse wheel on graph):"):
        QtWidgets.QWidget.__init__(self, parent)
        self._viewer = weakref.ref(viewer)
        layout = QtWidgets.QVBoxLayout(self)
        title = "Options for {}".format(viewer.name)
        self.setWindowTitle(title)
        layout.addWidget(QtWidgets.QLabel("<b>%s</b>" % title))
        row = QtWidgets.QHBoxLayout()
        layout.addLayout(row)

        self.tree_params = pg.parametertree.ParameterTree()
        self.tree_params.setParameters(viewer.params, showTop=True)
        self.tree_params.header().hide()
        row.addWidget(self.tree_params)
        self.tree_by_channel_params = pg.parametertree.ParameterTree()
        self.tree_by_channel_params.setParameters(viewer.by_channel_params, showTop=True)
        self.tree_by_channel_params.header().hide()
        row.addWidget(self.tree_by_channel_params)

        side = QtWidgets.QVBoxLayout()
        row.addLayout(side)
        button = QtWidgets.QPushButton("Auto scale")
        button.clicked.connect(lambda: self.viewer.auto_scale())
        side.addWidget(button)
        self.qlist = None
        if viewer.nb_channel > 1:
            side.addWidget(QtWidgets.QLabel("<b>Channels:</b>"))
            self.qlist = QtWidgets.QListWidget()
            self.qlist.addItems(["{}: {}".format(c, name) for c, name in enumerate(viewer.channel_names)])
            self.qlist.setSelectionMode(QtWidgets.QAbstractItemView.ExtendedSelection)
            for i in range(viewer.nb_channel):
                self.qlist.item(i).setSelected(True)
            self.qlist.doubleClicked.connect(self.on_double_clicked)
            side.addWidget(self.qlist, 2)
        button = QtWidgets.QPushButton("Set visible (selection)")
        button.clicked.connect(self.on_set_visible)
        side.addWidget(button)
        if hasattr(viewer, "apply_gain_zoom"):
            side.addWidget(QtWidgets.QLabel("<b>%s</b>" % gain_label))
            buttons = QtWidgets.QHBoxLayout()
            side.addLayout(buttons)
            for label, factor in [("--", 1 / 10.), ("-", 1 / 1.3), ("+", 1.3), ("++", 10.)]:
                button = QtWidgets.QPushButton(label)
                button.clicked.connect(lambda _checked=False, f=factor: self.viewer.apply_gain_zoom(f))
                buttons.addWidget(button)
        side.addStretch()

    @property
    def viewer(self):
        return self._viewer()

    @property
    def selected(self):
        """Boolean array: channels selected in the list (all with one channel)."""
        selected = np.ones(self.viewer.nb_channel, dtype=bool)
        if self.qlist is not None:
            selected[:] = False
            selected[[index.row() for index in self.qlist.selectedIndexes()]] = True
        return selected

    def on_set_visible(self):
        for visible, group in zip(self.selected, self.viewer.by_channel_params.children()):
            group["visible"] = bool(visible)

    def on_double_clicked(self, index):
        for c, group in enumerate(self.viewer.by_channel_params.children()):
            group["visible"] = c == index.row()


def make_params(default_params, default_by_channel_params, channel_names):
    """(params, by_channel_params, all_params) parameter trees as pyacq's viewers name them:
    'Global options' and one group 'ch<i>' per channel with a read-only label."""
    groups = []
    for i, name in enumerate(channel_names):
        children = [{"name": "label", "type": "str", "value": name, "readonly": True}] + \
            [dict(p) for p in default_by_channel_params]
        groups.append({"name": "ch{}".format(i), "type": "group", "children": children})
    by_channel = pg.parametertree.Parameter.create(name="AnalogSignals", type="group", children=groups)
    for i, group in enumerate(by_channel.children()):
        # Earlier pyacq named the groups 'Signal<i>' (its examples still do): accepted for lookups.
        by_channel.names.setdefault("Signal{}".format(i), group)
    params = pg.parametertree.Parameter.create(name="Global options", type="group",
                                               children=[dict(p) for p in default_params])
    all_params = pg.parametertree.Parameter.create(name="all param", type="group", children=[params, by_channel])
    return params, by_channel, all_params


def channel_names_of(params, nb_channel):
    """Channel names from a stream's channel_info, else ch0, ch1..."""
    info = (params or {}).get("channel_info") or []
    names = [c.get("name") if isinstance(c, dict) else None for c in info]
    if len(names) != nb_channel or any(n is None for n in names):
        return ["ch{}".format(c) for c in range(nb_channel)]
    return [str(n) for n in names]


def show_dialog(controller):
    if controller is not None:
        controller.setWindowFlags(QtCore.Qt.Window)
        controller.show()


def value_changes(changes):
    """(name, param, value) of the value changes in a sigTreeStateChanged batch."""
    for param, change, data in changes:
        if change == "value":
            yield param.name(), param, data


def zoomed_xsize(params, xmove):
    """The time window after a horizontal drag of `xmove` pixels (1 % per pixel), in its limits."""
    factor = min(max(xmove / 100., -0.999), 1.)
    low, high = params.param("xsize").opts["limits"]
    return float(min(max(params["xsize"] * (factor + 1.), low), high))
