"""Graph throughput: NumpyDeviceBuffer -> SosFilter -> consumer, as filtered samples x channels
per second delivered to the consumer, with the device playing as fast as it can (so the figure
is the graph's capacity; samples the graph could not take are dropped by the streams and not
counted). Measured in the same run:

* libpyacq local nodes in this process (libpyacq.NumpyDeviceBuffer / SosFilter);
* the same graph with the device and the filter in two spawned node groups (consumer here);
* baseline: the original pyacq's own graph driven from Python (its NumpyDeviceBuffer and scipy
  SosFilter engine under a Qt event loop) in the reference venv; without that venv, a Python
  thread graph doing what pyacq's SosFilter does (recv, scipy.signal.sosfilt with state, send)
  over libpyacq streams.

Each figure is the best of `repeats` interleaved runs (other jobs share the cores).

Usage: LIBPYACQ_PATH=build/lib python3 benchmarks/local_graph_bench.py [seconds] [ref_python] [repeats]
"""

import os
import subprocess
import sys
import threading
import time

import numpy as np
import scipy.signal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "bindings", "python"))
os.environ.setdefault("LIBPYACQ_PATH", os.path.join(os.path.dirname(HERE), "build", "lib"))

import libpyacq  # noqa: E402

NB_CHANNEL = 32
CHUNK = 1024
SAMPLE_INTERVAL = 1e-7           # far faster than any graph: the device never waits
SOS = scipy.signal.butter(4, [0.05, 0.3], btype="bandpass", output="sos")  # 4 sections
TCP = dict(protocol="tcp", interface="127.0.0.1", transfermode="plaindata")
REF_PYTHON = "/tmp/pyacq-ref-venv/bin/python"


def signal_buffer():
    return np.random.default_rng(0).standard_normal((16 * CHUNK, NB_CHANNEL)).astype("float32")


def consume(stream, seconds):
    """Rows x channels per second received on `stream` over `seconds` from its first chunk."""
    stream.recv(timeout=30)
    rows, start = 0, time.perf_counter()
    while True:
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return rows * NB_CHANNEL / elapsed
        try:
            _, data = stream.recv(timeout=1.0)
        except libpyacq.PyAcqTimeout:
            continue
        rows += data.shape[0]


def run_graph(dev, filt, seconds, wait):
    """Configures dev -> filt (local nodes or proxies), reads filt's output here for `seconds`."""
    dev.configure(nb_channel=NB_CHANNEL, sample_interval=SAMPLE_INTERVAL, chunksize=CHUNK, buffer=signal_buffer())
    dev.output.configure(**TCP)
    dev.initialize()
    filt.configure(coefficients=SOS)
    filt.input.connect(dev.output)
    filt.output.configure(**TCP)
    filt.initialize()
    consumer = libpyacq.InputStream()
    consumer.connect(filt.output)
    if wait:  # local outputs can wait for their subscribers (proxies cannot)
        filt.output.wait_for_subscribers(1, 10)
        dev.output.wait_for_subscribers(1, 10)
    filt.start()
    dev.start()
    try:
        return consume(consumer, seconds)
    finally:
        dev.stop()
        filt.stop()
        consumer.close()


def local_graph(seconds):
    dev, filt = libpyacq.NumpyDeviceBuffer(), libpyacq.SosFilter()
    try:
        return run_graph(dev, filt, seconds, wait=True)
    finally:
        dev.close()
        filt.close()


def nodegroup_graph(seconds):
    manager = libpyacq.create_manager("local")
    try:
        dev = manager.create_nodegroup().create_node("NumpyDeviceBuffer")
        filt = manager.create_nodegroup().create_node("SosFilter")
        return run_graph(dev, filt, seconds, wait=False)
    finally:
        manager.close()


# The original pyacq's graph, run by the reference venv's interpreter (our script, its library).
PYACQ_GRAPH = r"""
import sys, threading, time
import numpy as np, scipy.signal
import pyqtgraph as pg
from pyqtgraph.Qt import QtCore
from pyacq import NumpyDeviceBuffer, InputStream
from pyacq.dsp.sosfilter import SosFilter

seconds, nb_channel, chunk, interval = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
app = pg.mkQApp()
buffer = np.random.default_rng(0).standard_normal((16 * chunk, nb_channel)).astype("float32")
tcp = dict(protocol="tcp", interface="127.0.0.1", transfermode="plaindata")
dev = NumpyDeviceBuffer()
dev.configure(nb_channel=nb_channel, sample_interval=interval, chunksize=chunk, buffer=buffer)
dev.output.configure(**tcp)
dev.initialize()
filt = SosFilter()
filt.configure(coefficients=scipy.signal.butter(4, [0.05, 0.3], btype="bandpass", output="sos"), engine="scipy")
filt.input.connect(dev.output)
filt.output.configure(**tcp)
filt.initialize()
consumer = InputStream()
consumer.connect(filt.output)
result = {}

def count():
    while not consumer.poll(1000):
        pass
    consumer.recv()
    rows, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        if consumer.poll(200):
            rows += consumer.recv()[1].shape[0]
    result["value"] = rows * nb_channel / (time.perf_counter() - start)
    QtCore.QMetaObject.invokeMethod(app, "quit", QtCore.Qt.QueuedConnection)

thread = threading.Thread(target=count, daemon=True)
thread.start()
time.sleep(0.3)  # pyacq has no wait_for_subscribers: let the subscriptions settle
filt.start()
dev.start()
app.exec_()
print("value=%r" % result.get("value", 0.0), flush=True)
dev.stop()
filt.stop()
"""


def pyacq_graph(seconds, ref_python):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([ref_python, "-c", PYACQ_GRAPH, str(seconds), str(NB_CHANNEL), str(CHUNK),
                           str(SAMPLE_INTERVAL)], capture_output=True, text=True, env=env, timeout=seconds + 60)
    lines = [line for line in done.stdout.splitlines() if line.startswith("value=")]
    if not lines or float(lines[-1].split("=", 1)[1]) <= 0:  # (pyacq may crash at exit, after the figure)
        raise RuntimeError("pyacq reference graph failed (exit %d): %s" % (done.returncode, done.stderr[-2000:]))
    return float(lines[-1].split("=", 1)[1])


def python_thread_graph(seconds):
    """What pyacq's graph does, in Python threads over libpyacq streams (no pyacq needed)."""
    buffer = signal_buffer()
    source, filtered = libpyacq.OutputStream(), libpyacq.OutputStream()
    source.configure(dtype="float32", shape=[-1, NB_CHANNEL], **TCP)
    filtered.configure(dtype="float32", shape=[-1, NB_CHANNEL], **TCP)
    filter_in, consumer = libpyacq.InputStream(), libpyacq.InputStream()
    filter_in.connect(source)
    consumer.connect(filtered)
    source.wait_for_subscribers(1, 10)
    filtered.wait_for_subscribers(1, 10)
    stop = threading.Event()

    def device():
        k = 0
        while not stop.is_set():
            source.send(buffer[k * CHUNK % len(buffer):][:CHUNK])
            k += 1

    def sos_filter():
        zi = np.zeros((SOS.shape[0], 2, NB_CHANNEL))
        while not stop.is_set():
            try:
                index, data = filter_in.recv(timeout=0.2)
            except libpyacq.PyAcqTimeout:
                continue
            out, zi = scipy.signal.sosfilt(SOS, data, axis=0, zi=zi)
            filtered.send(out.astype("float32"), index=index)

    threads = [threading.Thread(target=device, daemon=True), threading.Thread(target=sos_filter, daemon=True)]
    for thread in threads:
        thread.start()
    try:
        return consume(consumer, seconds)
    finally:
        stop.set()
        for thread in threads:
            thread.join(5)
        for stream in (source, filtered, filter_in, consumer):
            stream.close()


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    ref_python = sys.argv[2] if len(sys.argv) > 2 else REF_PYTHON
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    if os.access(ref_python, os.X_OK):
        baseline_name, run_baseline = "pyacq_python_graph", lambda: pyacq_graph(seconds, ref_python)
    else:
        baseline_name, run_baseline = "python_scipy_thread_graph", lambda: python_thread_graph(seconds)
    # Runs interleaved, best of `repeats` each: capacity, robust to other jobs sharing the cores.
    local = nodegroups = baseline = 0.0
    for _ in range(repeats):
        local = max(local, local_graph(seconds))
        nodegroups = max(nodegroups, nodegroup_graph(seconds))
        baseline = max(baseline, run_baseline())
    for name, value in (("local_graph_numpy_sos", local), ("nodegroups_graph_numpy_sos", nodegroups)):
        print("bench: %s value=%.1f Msamples*ch/s baseline=%s:%.1f ratio=%.2f"
              % (name, value / 1e6, baseline_name, baseline / 1e6, value / baseline))


if __name__ == "__main__":
    main()
