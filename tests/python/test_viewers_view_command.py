"""`python -m libpyacq.view`: from a params JSON file (what a C or MATLAB producer can write) and
from an RPC address + node name (a node in a spawned node group), it opens the right viewer and
draws the running stream; bad arguments end with a clear message."""

import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import viewer_support as vs
import libpyacq

BINDING = os.path.join(vs.REPO, "bindings", "python")


def run_view(*args, seconds=2.5):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=BINDING,
               LIBPYACQ_PATH=os.environ.get("LIBPYACQ_PATH", os.path.join(vs.REPO, "build", "lib")))
    return subprocess.run([sys.executable, "-m", "libpyacq.view", *args, "--seconds", str(seconds)], env=env,
                          capture_output=True, text=True, timeout=60)


def screenshot_path(name):
    os.makedirs(vs.SCREENSHOTS, exist_ok=True)
    return os.path.join(vs.SCREENSHOTS, name + ".png")


def read_png(path):
    from pyqtgraph.Qt import QtGui
    vs.app()
    image = QtGui.QImage(path)
    assert not image.isNull(), "no screenshot at %s" % path
    return vs.qimage_rgb(image)


def view_live(out, make, rows, params_path, shot_name):
    """Runs the view command on `out`'s params file while `make(index)` chunks are sent."""
    feeder = Feeder(out, make, rows)
    params_path.write_text(json.dumps(dict(out.params)))
    shot = screenshot_path(shot_name)
    feeder.start()
    try:
        done = run_view(str(params_path), "--screenshot", shot)
    finally:
        feeder.stopping.set()
        feeder.join()
        out.close()
    assert done.returncode == 0, done.stderr[-2000:]
    return done, read_png(shot)


class Feeder(threading.Thread):
    """Sends `make(index)` chunks until stopped (a live producer for the viewer process)."""

    def __init__(self, out, make, rows):
        threading.Thread.__init__(self, daemon=True)
        self.out, self.make, self.rows, self.stopping = out, make, rows, threading.Event()

    def run(self):
        index = 0
        while not self.stopping.wait(0.02):
            index += self.rows
            self.out.send(self.make(index), index=index)


def test_view_a_signal_stream_from_its_params_file(tmp_path):
    out = vs.source(2, 1000.)
    t = lambda index: np.arange(index - 20, index)[:, None] / 1000.
    make = lambda index: np.hstack([np.sin(2 * np.pi * 3 * t(index)), np.zeros((20, 1))]).astype("float32")
    done, rgb = view_live(out, make, 20, tmp_path / "params.json", "view_params_json")
    assert "QOscilloscope" in done.stdout
    rows = vs.rows_with_color(rgb)
    assert len(rows) > 50, "no trace drawn"   # auto scale spreads the sine over the height


def test_view_a_node_of_a_node_group_by_name():
    manager = libpyacq.create_manager()
    try:
        nodegroup = manager.create_nodegroup()
        dev = nodegroup.create_node("NumpyDeviceBuffer", name="sine_dev")
        buffer = (np.sin(2 * np.pi * np.arange(10000) / 500.)[:, None] * [1., 2., 3.]).astype("float32")
        dev.configure(nb_channel=3, sample_interval=0.001, chunksize=50, buffer=buffer)
        dev.output.configure(protocol="tcp", interface="127.0.0.1", transfermode="plaindata")
        dev.initialize()
        dev.start()
        shot = screenshot_path("view_rpc_node")
        done = run_view(nodegroup._rpc_addr, "sine_dev", "--screenshot", shot)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "QOscilloscope" in done.stdout and "[-1, 3]" in done.stdout.replace("(", "[").replace(")", "]")
        assert len(vs.rows_with_color(read_png(shot))) > 50
        missing = run_view(nodegroup._rpc_addr, "no_such_node")
        assert missing.returncode != 0 and "no node 'no_such_node'" in missing.stderr
        dev.stop()
    finally:
        manager.close()


def test_view_an_image_stream_opens_the_image_viewer(tmp_path):
    frame = np.zeros((60, 80, 3), np.uint8)
    frame[:, :40] = (255, 0, 0)
    frame[:, 40:] = (0, 0, 255)
    out = vs.OutputStream()
    out.configure(protocol="tcp", interface="127.0.0.1", streamtype="video", dtype="uint8", shape=(60, 80, 3),
                  sample_rate=25.)
    done, rgb = view_live(out, lambda index: frame, 1, tmp_path / "video.json", "view_video")
    assert "ImageViewer" in done.stdout
    red = np.all(rgb == (255, 0, 0), axis=2)
    blue = np.all(rgb == (0, 0, 255), axis=2)
    assert red.sum() > 1000 and blue.sum() > 1000
    assert np.flatnonzero(red.any(axis=0)).max() < np.flatnonzero(blue.any(axis=0)).min()  # red left of blue


def test_bad_arguments_are_explained(tmp_path):
    done = run_view(str(tmp_path / "missing.json"))
    assert done.returncode != 0 and "no such params file" in done.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    done = run_view(str(bad))
    assert done.returncode != 0 and "is not JSON stream params" in done.stderr
