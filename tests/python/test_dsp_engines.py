"""pyacq's filter engine classes (libpyacq.dsp.sosfilter.sosfilter_engines,
libpyacq.dsp.overlapfiltfilt.sosfiltfilt_engines), chunk by chunk against scipy offline."""

import numpy as np
import scipy.signal

from libpyacq.dsp.overlapfiltfilt import sosfiltfilt_engines
from libpyacq.dsp.sosfilter import sosfilter_engines

SAMPLE_RATE, CHUNK, CHANNELS = 1000.0, 100, 3
COEFFICIENTS = scipy.signal.iirfilter(4, [20 / SAMPLE_RATE * 2, 80 / SAMPLE_RATE * 2], btype="bandpass", output="sos")
SIGNAL = np.random.RandomState(1).randn(CHUNK * 30, CHANNELS).astype("float32")


def test_sosfilter_engine_chunk_by_chunk_equals_offline():
    engine = sosfilter_engines["scipy"](COEFFICIENTS, CHANNELS, "float32", CHUNK)
    online = np.concatenate([engine.compute_one_chunk((i + 1) * CHUNK, SIGNAL[i * CHUNK:(i + 1) * CHUNK])
                             for i in range(30)])
    offline = scipy.signal.sosfilt(COEFFICIENTS, SIGNAL, axis=0)
    assert online.dtype == np.float32
    np.testing.assert_allclose(online, offline, rtol=1e-4, atol=1e-5)


def test_sosfiltfilt_engine_returns_final_samples_behind_by_the_overlap():
    overlap = 200
    engine = sosfiltfilt_engines["scipy"](COEFFICIENTS, CHANNELS, "float32", CHUNK, overlap)
    pieces, positions = [], []
    for i in range(30):
        pos, chunk = engine.compute_one_chunk((i + 1) * CHUNK, SIGNAL[i * CHUNK:(i + 1) * CHUNK])
        if pos is None:
            assert (i + 1) * CHUNK <= overlap
            continue
        positions.append(pos)
        pieces.append(chunk)
    assert positions[0] == CHUNK * 3 - overlap and positions[-1] == CHUNK * 30 - overlap
    online = np.concatenate(pieces)
    assert online.shape[0] == positions[-1]
    # The last piece is the backward pass run from the end of the data (3000) over the forward-filtered signal.
    forward = scipy.signal.sosfilt(COEFFICIENTS, SIGNAL, axis=0)
    last = slice(positions[-1] - CHUNK, positions[-1])
    expected = scipy.signal.sosfilt(COEFFICIENTS, forward[last.start - CHUNK:last.stop + overlap][::-1], axis=0)[::-1]
    np.testing.assert_allclose(online[last], expected[CHUNK:2 * CHUNK], rtol=1e-3, atol=1e-3)
