"""Scalograms: the Swift TimeFreqWorker's maps equal the same Morlet transform written plainly
in numpy; QTimeFreq's image peaks at an injected sine's frequency; ImageViewer shows the frame
sent, pixel for pixel. Screenshots: build/screenshots/."""

import numpy as np
import pytest

import viewer_support as vs
from libpyacq import InputStream, TimeFreqWorker
from libpyacq.viewers import ImageViewer, QTimeFreq


def numpy_scalogram(signal, sample_rate, xsize, f_start, f_stop, deltafreq, f0, normalisation):
    """pyacq's QTimeFreq geometry and wavelet bank; the sub-sampling is an ideal low-pass
    (bins below the sub-sampled Nyquist), as the worker documents."""
    wanted = f_stop * 4 if f_stop * 4 < sample_rate else sample_rate
    l = int(2 ** np.ceil(np.log2(xsize * wanted)))
    q = int(np.ceil(xsize * sample_rate / l))
    sub_rate = sample_rate / q
    plot_length = int(xsize * sub_rate)
    scales = f0 / np.arange(f_start, f_stop, deltafreq) * sub_rate
    xsd = np.arange(-l / 2., l / 2.)[:, None] / scales
    wavelets = np.exp(2j * np.pi * f0 * xsd) * np.exp(-xsd ** 2 / 2.) * scales[None, :] ** (-(1. + normalisation))
    bank = np.fft.fft(wavelets, axis=0).conj()
    window = signal[-q * l:]
    spectrum = np.fft.fft(window.astype(float))
    small = np.zeros(l, complex)
    small[:l // 2] = spectrum[:l // 2] / q
    small[l // 2 + 1:] = spectrum[-(l // 2 - 1):] / q
    if q == 1:
        small[l // 2] = spectrum[l // 2]
    wt = np.fft.fftshift(np.fft.ifft(small[:, None] * bank, axis=0), axes=0)
    return np.abs(wt)[-plot_length:].astype("float32"), np.arange(f_start, f_stop, deltafreq)


@pytest.fixture
def app():
    return vs.app()


@pytest.mark.parametrize("sample_rate,freq,normalisation", [(1000., 23., 0.), (20000., 41., 0.5), (200., 17., 0.)])
def test_worker_maps_equal_numpy(sample_rate, freq, normalisation):
    settings = dict(xsize=2., f_start=5., f_stop=60., deltafreq=2., f0=2.5, normalisation=normalisation)
    rng = np.random.default_rng(1)
    n = int(3 * sample_rate)
    signal = (np.sin(2 * np.pi * freq * np.arange(n) / sample_rate) + 0.3 * rng.standard_normal(n)).astype("float32")
    data = np.stack([np.zeros(n, "float32"), signal], axis=1)
    out = vs.source(2, sample_rate)
    worker = TimeFreqWorker()
    worker.configure(channel=1, max_xsize=4., **settings)
    worker.input.connect(out)
    worker.output.configure(protocol="tcp", interface="127.0.0.1", transfermode="plaindata")
    worker.initialize()
    maps = InputStream()
    maps.connect(worker.output)
    worker.start()
    try:
        out.wait_for_subscribers(1, timeout=5)
        worker.output.wait_for_subscribers(1, timeout=5)
        vs.send_in_chunks(out, data, chunk=500)
        vs.process_until(lambda: worker.input.buffer.index() >= n)  # the worker's ring holds it all
        worker.compute_one_map(n)
        index, got = maps.recv(timeout=10, copy=True)
        expected, freqs = numpy_scalogram(signal[:n - n % worker.worker_params["downsample_factor"]], sample_rate, **settings)
        assert index == n - n % worker.worker_params["downsample_factor"]
        assert got.shape == expected.shape and got.dtype == np.float32
        assert np.max(np.abs(got - expected)) <= 2e-3 * np.max(expected)
        middle = got[len(got) // 4: 3 * len(got) // 4]
        assert abs(freqs[np.argmax(middle.mean(axis=0))] - freq) <= settings["deltafreq"]
        assert worker.frequencies == pytest.approx(list(freqs))
    finally:
        worker.close()
        maps.close()
        out.close()


def test_worker_refuses_bad_settings():
    worker = TimeFreqWorker()
    with pytest.raises(TypeError, match="chanel"):
        worker.configure(chanel=0)
    out = vs.source(1, 1000.)
    worker.configure(channel=3)
    worker.input.connect(out)
    worker.output.configure(protocol="tcp", interface="127.0.0.1")
    with pytest.raises(ValueError, match="channel 3"):
        worker.initialize()
    with pytest.raises(ValueError, match="f_start < f_stop"):
        worker.params["f_stop"] = 1.
    worker.close()
    out.close()


def test_qtimefreq_image_peaks_at_the_sine(app):
    sample_rate, freq = 1000., 20.
    out = vs.source(2, sample_rate)
    viewer = QTimeFreq()
    viewer.configure(with_user_dialog=True, nodegroup_friends=None)
    viewer.input.connect(out)
    viewer.initialize()
    viewer.params["xsize"] = 2.
    viewer.params["refresh_interval"] = 50
    vs.process_until(lambda: viewer.plot_length == 2 * viewer.sub_sample_rate, message="xsize change not applied")
    viewer.resize(800, 600)
    viewer.show()
    viewer.start()
    try:
        out.wait_for_subscribers(1, timeout=5)
        n = 4000
        t = np.arange(n) / sample_rate
        data = np.stack([np.sin(2 * np.pi * freq * t), np.zeros(n)], axis=1).astype("float32")
        vs.send_in_chunks(out, data)
        vs.process_until(lambda: viewer.global_poller.pos() == n)
        image = viewer.images[0]
        vs.process_until(lambda: image.image is not None and image.image[-1].max() > 0 and
                         np.max(image.image[len(image.image) // 2]) > 0, message="no map drawn")
        vs.process_until(lambda: viewer.workers[0].maps_computed >= 2)
        vs.app().processEvents()
        wt = np.asarray(image.image)
        peak = viewer.frequencies[np.argmax(wt[len(wt) // 2:].mean(axis=0))]
        assert abs(peak - freq) <= viewer.params["timefreq", "deltafreq"]
        assert np.max(np.asarray(viewer.images[1].image)) == 0.     # a silent channel stays dark
        viewer.auto_scale()
        assert viewer.by_channel_params["ch0", "clim"] == pytest.approx(1.1 * wt.max(), rel=1e-3)
        vs.save(viewer, "qtimefreq_sine")
    finally:
        viewer.close()
        out.close()


def test_image_viewer_shows_the_frame_sent(app):
    h, w = 48, 64
    frame = np.random.default_rng(2).integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    out = vs.OutputStream()
    out.configure(protocol="tcp", interface="127.0.0.1", transfermode="plaindata", streamtype="video", dtype="uint8",
                  shape=(h, w, 3), sample_rate=30.)
    viewer = ImageViewer()
    viewer.configure()
    viewer.input.connect(out)
    viewer.initialize()
    viewer.resize(400, 300)
    viewer.show()
    viewer.start()
    try:
        out.wait_for_subscribers(1, timeout=5)
        out.send(frame, index=1)
        item = viewer.image_items[0]
        vs.process_until(lambda: item.image is not None, message="no frame shown")
        assert np.array_equal(item.image, frame)
        item.render()   # the pixels pyqtgraph draws, before scaling to the widget
        assert np.array_equal(vs.qimage_rgb(item.qimage), frame)
        vs.save(viewer, "imageviewer")
    finally:
        viewer.close()
        out.close()
