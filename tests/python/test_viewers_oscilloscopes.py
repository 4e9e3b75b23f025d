"""The oscilloscopes draw what they receive: a sine's peak-to-peak on the curve data and in the
grabbed image (the pixel rows of the trace), scan vs scroll layout, gain / offset / visible,
auto scale, decimation, one plot per channel, bits of a digital stream, and sweeps aligned on
the trigger. Screenshots: build/screenshots/."""

import contextlib

import numpy as np
import pytest

import viewer_support as vs
import pyqtgraph as pg
from libpyacq.viewers import QDigitalOscilloscope, QOscilloscope, QOscilloscopeMultiPlot, QTriggeredOscilloscope
from libpyacq.viewers.oscilloscope_base import decimate_signals

SR = 1000.
AMPLITUDE = 3.
FREQ = 5.


def sine_signals(n, nb_channel=2):
    t = np.arange(n) / SR
    data = np.zeros((n, nb_channel), dtype="float32")
    data[:, 0] = AMPLITUDE * np.sin(2 * np.pi * FREQ * t)
    if nb_channel > 1:
        data[:, 1] = 0.5 * np.sin(2 * np.pi * 2 * FREQ * t)
    return data


@contextlib.contextmanager
def running(cls, out, size=(800, 400), **configure):
    """A started viewer `cls` on the source `out`; both closed afterwards."""
    try:
        viewer = started(cls, out, size, **configure)
        try:
            yield viewer, out
        finally:
            viewer.close()
    finally:
        out.close()


def started(cls, out, size=(800, 400), **configure):
    viewer = cls()
    viewer.configure(**configure)
    viewer.input.connect(out)
    viewer.initialize()
    viewer.resize(*size)
    viewer.show()
    vs.process_until(lambda: viewer.graphicsview.width() < viewer.width(), message="layout not applied")
    viewer.start()
    out.wait_for_subscribers(1, timeout=5)
    return viewer


@pytest.fixture
def app():
    return vs.app()


def fed(viewer, out, data):
    vs.send_in_chunks(out, data)
    vs.process_until(lambda: viewer._head == len(data), message="the viewer did not receive every sample")
    viewer.refresh()
    vs.app().processEvents()


def test_oscilloscope_draws_the_sine_peak_to_peak(app):
    with running(QOscilloscope, vs.source(2, SR), with_user_dialog=True) as (viewer, out):
        viewer.params["xsize"] = 2.
        viewer.params["ylim_min"], viewer.params["ylim_max"] = -5., 5.
        viewer.by_channel_params["ch1", "visible"] = False
        data = sine_signals(3000)
        fed(viewer, out, data)
        curve = viewer.curves_data[0]
        assert len(curve) == 2000 and viewer.params["decimate"] == 1
        assert np.ptp(curve) == pytest.approx(2 * AMPLITUDE, rel=1e-3)
        x, y = viewer.curves[0].getData()
        assert np.ptp(y) == pytest.approx(2 * AMPLITUDE, rel=1e-3)
        # Scan mode: the sweep wraps; the newest sample (head 3000) sits at column 3000 % 2000.
        assert curve[3000 % 2000] == pytest.approx(data[2999, 0], abs=1e-5)
        assert curve[3000 % 2000 + 1] == pytest.approx(data[1000, 0], abs=1e-5)
        # Red reference lines at +A and -A drawn in the same render: the trace's top and bottom
        # pixel rows must be theirs.
        for level in (AMPLITUDE, -AMPLITUDE):
            viewer.plot.addItem(pg.InfiniteLine(pos=level, angle=0, pen=(255, 0, 0)))
        rgb = vs.save(viewer.graphicsview, "qoscilloscope_sine")
        rows, red = vs.rows_with_color(rgb), vs.rows_with_color(rgb, (255, 0, 0), tolerance=10)
        assert len(red) >= 2 and red.max() - red.min() > 100
        assert abs(rows.min() - red.min()) <= 2 and abs(rows.max() - red.max()) <= 2


def test_scroll_mode_gain_offset_and_visible(app):
    with running(QOscilloscope, vs.source(2, SR), with_user_dialog=False) as (viewer, out):
        viewer.params["xsize"] = 2.
        viewer.params["mode"] = "scroll"
        viewer.by_channel_params["ch0", "gain"] = 2.
        viewer.by_channel_params["ch0", "offset"] = 1.
        data = sine_signals(3000)
        fed(viewer, out, data)
        curve = viewer.curves_data[0]
        assert curve[-1] == pytest.approx(2 * data[-1, 0] + 1, abs=1e-5)   # newest at the right
        assert curve == pytest.approx(2 * data[1000:, 0] + 1, abs=1e-5)
        viewer.by_channel_params["ch1", "visible"] = False
        assert not viewer.curves[1].isVisible() and viewer.curves[0].isVisible()
        viewer.params["scale_mode"] = "by_channel"   # auto scale: one row per visible channel
        assert viewer.params["ylim_min"] == -0.5 and viewer.params["ylim_max"] == 0.5
        assert abs(np.median(viewer.curves_data[0])) < 0.1 and np.ptp(viewer.curves_data[0]) < 1.
        vs.save(viewer, "qoscilloscope_scroll_by_channel")


def test_decimation_methods():
    full = np.zeros((1, 40))
    full[0, 13] = 9.
    assert decimate_signals(full, 4, "min_max")[0].max() == 9.      # the spike survives
    assert decimate_signals(full, 4, "pure_decimate")[0].max() == 0.
    assert decimate_signals(full, 4, "mean")[0].max() == pytest.approx(9. / 4)
    with pytest.raises(ValueError, match="decimation_method"):
        decimate_signals(full, 4, "median")


def test_auto_decimate_keeps_the_envelope(app):
    with running(QOscilloscope, vs.source(1, 30000.), with_user_dialog=False) as (viewer, out):
        viewer.params["decimation_method"] = "min_max"
        viewer.params["xsize"] = 1.
        assert viewer.params["decimate"] == 30000 // 4000
        n = 30000
        data = (AMPLITUDE * np.sin(2 * np.pi * 50 * np.arange(n) / 30000.)).astype("float32")[:, None]
        fed(viewer, out, data)
        assert len(viewer.curves_data[0]) == viewer.small_size <= 4000 * 1.1  # about AUTO_DECIMATE_POINTS
        assert np.ptp(viewer.curves_data[0]) == pytest.approx(2 * AMPLITUDE, rel=1e-3)


def test_multiplot_one_plot_per_channel(app):
    with running(QOscilloscopeMultiPlot, vs.source(2, SR), with_user_dialog=True) as (viewer, out):
        viewer.params["xsize"] = 2.
        fed(viewer, out, sine_signals(3000))
        assert np.ptp(viewer.curves_data[0]) == pytest.approx(2 * AMPLITUDE, rel=1e-3)
        assert np.ptp(viewer.curves_data[1]) == pytest.approx(1., rel=1e-3)
        viewer.auto_scale()
        ch1 = viewer.by_channel_params.children()[1]
        assert ch1["ylim_min"] < -0.5 < 0.5 < ch1["ylim_max"] < 1.
        viewer.by_channel_params["ch1", "visible"] = False
        assert viewer.plots[1] is None and viewer.plots[0] is not None
        vs.save(viewer, "qoscilloscopemultiplot")


def test_digital_oscilloscope_shows_each_bit(app):
    with running(QDigitalOscilloscope, vs.source(1, SR, dtype="uint8"), with_user_dialog=False) as (viewer, out):
        viewer.params["xsize"] = 1.
        viewer.params["mode"] = "scroll"
        assert viewer.nb_channel == 8
        counter = (np.arange(1000) // 10 % 256).astype("uint8")[:, None]
        fed(viewer, out, counter)
        for bit in range(8):  # bit 0 on the top row (7), levels 0 / 0.8 above the row
            expected = (counter[:, 0] >> bit) & 1
            assert np.array_equal(np.round((viewer.curves_data[bit] - (7 - bit)) / 0.8), expected), bit
        vs.save(viewer, "qdigitaloscilloscope")


def test_triggered_sweeps_are_aligned_on_the_trigger(app):
    with running(QTriggeredOscilloscope, vs.source(1, SR), with_user_dialog=True) as (viewer, out):
        viewer.trigger.params["threshold"] = 1.
        viewer.trigger.params["front"] = "+"
        acc = viewer.triggeraccumulator
        acc.params["left_sweep"] = -0.05
        acc.params["right_sweep"] = 0.1
        acc.params["stack_size"] = 5
        # A ramp crossing 1.0 every 200 samples, then noise-free decay: every sweep identical.
        period = np.concatenate([np.linspace(0, 2, 40), np.linspace(2, 0, 160)])
        data = np.tile(period, 12).astype("float32")[:, None]
        vs.send_in_chunks(out, data)
        vs.process_until(lambda: acc.total_trig >= 10, message="the trigger did not fire")
        viewer.refresh()
        sweeps = np.array([viewer.list_curves[0][slot].getData()[1] for slot in range(5)])
        t = viewer.list_curves[0][0].getData()[0]
        assert t[0] == pytest.approx(-0.05) and t[-1] == pytest.approx(0.1 - 1 / SR)
        assert np.allclose(sweeps, sweeps[0])
        zero = np.flatnonzero(t >= 0)[0]
        assert sweeps[0][zero] >= 1. and sweeps[0][zero - 1] < 1.      # crossing at t = 0
        assert viewer.label_count.text() == "Nb events: %d" % acc.total_trig
        vs.save(viewer, "qtriggeredoscilloscope")


def test_bad_input_shape_is_refused(app):
    out = vs.source(1, SR)
    out_1d = vs.OutputStream()
    out_1d.configure(protocol="tcp", interface="127.0.0.1", dtype="int64", shape=(-1,), sample_rate=SR)
    viewer = QOscilloscope()
    viewer.configure()
    viewer.input.connect(out_1d)
    with pytest.raises(ValueError, match="2-D"):
        viewer.initialize()
    viewer.close()
    with pytest.raises(ValueError, match="max_xsize"):
        QOscilloscope().configure(max_xsize=0)
    out.close()
    out_1d.close()
