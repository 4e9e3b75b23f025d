"""Runs one of the original pyacq's viewer examples with ``import pyacq`` meaning libpyacq
(tests/python/pyacq_as_libpyacq.py) and closes it after a few seconds, printing what its
viewers drew as one JSON line (``example-result: {...}``) and saving screenshots.

    python3 tests/python/run_pyacq_example.py EXAMPLE.py SECONDS SCREENSHOT_PREFIX

The examples read a sound card through pyacq's PyAudio node; here the audio device is a
simulator: a NumpyDeviceBuffer playing an int16 440 Hz tone over a 2 Hz swell with PyAudio's configure keywords and
device-listing methods (also when a node group is asked for 'PyAudio'). Nothing of the example
is changed or stored in the repository.
"""

import json
import os
import runpy
import sys
import types

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pyacq_as_libpyacq  # noqa: E402,F401  (installs the pyacq -> libpyacq import hook)
import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from pyqtgraph.Qt import QtCore  # noqa: E402

import libpyacq  # noqa: E402
from libpyacq.manager import NodeGroup  # noqa: E402


class SimulatedPyAudio(libpyacq.NumpyDeviceBuffer):
    """PyAudio's surface over a NumpyDeviceBuffer playing int16 sound: a 440 Hz tone (2000)
    over a 2 Hz swell (8000)."""

    _type_name = "NumpyDeviceBuffer"

    def __init__(self, name="", **kwargs):
        libpyacq.NumpyDeviceBuffer.__init__(self, name=name or "PyAudio")

    def configure(self, nb_channel=2, sample_rate=44100., input_device_index=None, output_device_index=None,
                  format="int16", chunksize=1024):
        n = chunksize * max(1, int(round(sample_rate / chunksize)))   # about 1 s, whole chunks
        cycles = round(440. * n / sample_rate)                       # a seamless loop near 440 Hz
        phase = 2 * np.pi * np.arange(n) / n
        # A 440 Hz tone over a slow swell: the swell crosses the trigger threshold twice a second.
        tone = 2000 * np.sin(cycles * phase) + 8000 * np.sin(2 * phase)
        buffer = np.repeat(tone[:, None], nb_channel, axis=1).astype(format)
        libpyacq.NumpyDeviceBuffer.configure(self, nb_channel=nb_channel, sample_interval=1. / sample_rate,
                                             chunksize=chunksize, buffer=buffer)

    def default_input_device(self):
        return 0

    def default_output_device(self):
        return 0

    def list_device_specs(self):
        return [{"index": 0, "name": "libpyacq audio simulator (440 Hz)", "maxInputChannels": 2,
                 "maxOutputChannels": 0, "defaultSampleRate": 44100.}]


def install_simulator():
    module = types.ModuleType("pyacq.devices.audio_pyaudio")
    module.PyAudio = SimulatedPyAudio
    sys.modules["pyacq.devices.audio_pyaudio"] = module
    original = NodeGroup.create_node

    def create_node(self, node_class, *args, **kwargs):
        if node_class == "PyAudio":
            return SimulatedPyAudio(**kwargs)
        return original(self, node_class, *args, **kwargs)
    NodeGroup.create_node = create_node


def drawn(widget):
    """What a viewer shows, as numbers the test checks."""
    name = type(widget).__name__
    if name == "QTriggeredOscilloscope":
        return {"total_trig": int(widget.triggeraccumulator.total_trig)}
    if name == "QTimeFreq":
        return {"map_max": float(max(np.max(i.image) for i in widget.images if i is not None))}
    if hasattr(widget, "curves_data"):
        return {"ptp": float(max(np.ptp(c) for c in widget.curves_data))}
    return {}


def main(path, seconds, prefix):
    install_simulator()
    app = pg.mkQApp()
    result = {}

    def finish():
        for k, widget in enumerate(app.topLevelWidgets()):
            if isinstance(widget, libpyacq.Node) and widget.isVisible():
                result[type(widget).__name__] = dict(drawn(widget), running=widget.running())
                widget.grab().save("%s_%d_%s.png" % (prefix, k, type(widget).__name__))
        print("example-result: " + json.dumps(result), flush=True)
        for widget in app.topLevelWidgets():
            if isinstance(widget, libpyacq.Node) and not widget.closed():
                widget.close()
        app.quit()

    QtCore.QTimer.singleShot(int(seconds * 1000), finish)
    runpy.run_path(path, run_name="__main__")
    if not result:
        sys.exit("the example ended before its viewers were checked")


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), sys.argv[3])
