"""Viewer figures, each next to a baseline measured in the same run:

* QOscilloscope refresh (64 channels × 30 kHz, 10 s window, auto decimation, default 100 ms
  interval): time of one refresh (ring read, decimation, 64 setData, offscreen paint) next to
  plain pyqtgraph PlotCurveItem.setData + paint of the same decimated points.
* TimeFreqWorker maps/s for 16 channels (20 kHz, pyacq's QTimeFreq defaults: xsize 10 s,
  3-90 Hz by 3 Hz), 16 worker nodes computing in parallel, next to the same Morlet transform in
  numpy/scipy as pyacq's worker does it (sosfiltfilt sub-sampling, scipy.fftpack), one channel
  after the other as pyacq's local workers share the Python interpreter.

Usage: LIBPYACQ_PATH=build/lib python3 benchmarks/viewers_bench.py [rounds]
"""
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bindings", "python"))

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
import scipy.fftpack  # noqa: E402
import scipy.signal  # noqa: E402

from libpyacq import InputStream, OutputStream, TimeFreqWorker  # noqa: E402
from libpyacq.viewers import QOscilloscope  # noqa: E402


def wait(predicate, app, timeout=60.):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("bench: timed out")
        app.processEvents()
        time.sleep(0.002)


def bench_oscilloscope(app, rounds):
    nb, sr, xsize = 64, 30000., 10.
    out = OutputStream()
    out.configure(protocol="tcp", interface="127.0.0.1", dtype="float32", shape=(-1, nb), sample_rate=sr)
    viewer = QOscilloscope()
    viewer.configure(with_user_dialog=False, max_xsize=12.)
    viewer.input.connect(out)
    viewer.initialize()
    viewer.resize(1200, 800)
    viewer.show()
    viewer.params["xsize"] = xsize
    viewer.start()
    viewer.timer.stop()  # refreshes are timed one by one below
    out.wait_for_subscribers(1, timeout=5)
    n, chunk = int(sr * xsize), 3000
    block = (np.random.default_rng(0).standard_normal((chunk, nb)) * 2).astype("float32")
    for start in range(0, n, chunk):
        out.send(block, index=start + chunk)
    wait(lambda: viewer._head == n, app)
    viewer.refresh()
    app.processEvents()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        viewer.refresh()
        viewer.graphicsview.repaint()
        times.append(time.perf_counter() - t0)
    value = float(np.median(times))
    points = [np.array(c) for c in viewer.curves_data]
    t_vect = viewer.t_vect
    interval = viewer.params["refresh_interval"] / 1000.
    viewer.close()
    out.close()

    view = pg.GraphicsView()
    plot = pg.PlotItem()
    view.setCentralItem(plot)
    curves = [pg.PlotCurveItem(pen="#7FFF00") for _ in range(nb)]
    for c in curves:
        plot.addItem(c)
    view.resize(1200, 800)
    view.show()
    app.processEvents()
    base = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for c, y in zip(curves, points):
            c.setData(t_vect, y, antialias=False)
        view.repaint()
        base.append(time.perf_counter() - t0)
    baseline = float(np.median(base))
    view.close()
    print("bench: qoscilloscope_refresh_64ch_30khz_10s value=%.1fms baseline=pyqtgraph_setData_paint:%.1fms ratio=%.2f "
          "(%.0f%% of the %d ms refresh interval, %d points per curve)"
          % (value * 1e3, baseline * 1e3, value / baseline, 100 * value / interval, interval * 1e3, len(t_vect)))


def pyacq_style_maps(signal, nb_channel, g, rounds):
    """The transform as pyacq's TimeFreqWorker runs it (sosfiltfilt + scipy.fftpack)."""
    l, q, plot_length = g["len_wavelet"], g["downsample_factor"], g["plot_length"]
    sub_rate = g["sub_sample_rate"]
    scales = 2.5 / np.arange(3., 90., 3.) * sub_rate
    xsd = np.arange(-l / 2., l / 2.)[:, None] / scales
    wf = scipy.fftpack.fft(np.exp(2j * np.pi * 2.5 * xsd) * np.exp(-xsd ** 2 / 2.) * scales[None, :] ** -1., axis=0).conj()
    sos = scipy.signal.cheby1(8, 0.05, 0.8 / q, output="sos")
    t0 = time.perf_counter()
    for _ in range(rounds):
        for c in range(nb_channel):
            small = scipy.signal.sosfiltfilt(sos, signal[-q * l:, c])[::q].copy()
            wt = scipy.fftpack.ifft(scipy.fftpack.fft(small)[:, None] * wf, axis=0)
            np.abs(scipy.fftpack.fftshift(wt, axes=[0])).astype("float32")[-plot_length:]
    return rounds * nb_channel / (time.perf_counter() - t0)


def bench_timefreq(app, rounds):
    nb, sr, xsize = 16, 20000., 10.
    n = int(sr * 11)
    out = OutputStream()
    out.configure(protocol="inproc", dtype="float32", shape=(-1, nb), sample_rate=sr, transfermode="sharedmem",
                  buffer_size=int(sr * 12), axisorder=[1, 0], double=True)
    workers, maps = [], []
    for c in range(nb):
        w = TimeFreqWorker()
        w.configure(channel=c, max_xsize=12., xsize=xsize)
        w.input.connect(out)
        w.output.configure(protocol="inproc")
        w.initialize()
        m = InputStream()
        m.connect(w.output)
        w.start()
        workers.append(w)
        maps.append(m)
    signal = np.random.default_rng(1).standard_normal((n, nb)).astype("float32")
    for start in range(0, n, 20000):
        out.send(signal[start:start + 20000], index=start + 20000)
    wait(lambda: all(w.input.buffer.index() >= n for w in workers), app)

    def one_round():
        for w in workers:
            w.compute_one_map(n)
        for m in maps:
            m.recv(timeout=30)

    one_round()  # FFTW plans and the wavelet bank
    t0 = time.perf_counter()
    for _ in range(rounds):
        one_round()
    value = rounds * nb / (time.perf_counter() - t0)
    g = workers[0].worker_params
    for w in workers:
        w.close()
    for m in maps:
        m.close()
    out.close()
    baseline = pyacq_style_maps(signal, nb, g, max(1, rounds // 2))
    print("bench: timefreqworker_maps_16ch_20khz value=%.1f maps/s baseline=numpy_scipy_pyacq_worker:%.1f maps/s ratio=%.2f "
          "(map %dx%d from %d samples)" % (value, baseline, value / baseline, g["plot_length"], g["nb_freq"], g["sig_chunk_size"]))


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    app = pg.mkQApp()
    bench_oscilloscope(app, max(rounds, 5))
    bench_timefreq(app, rounds)


if __name__ == "__main__":
    main()
