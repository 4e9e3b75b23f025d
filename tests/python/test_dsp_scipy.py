"""DSP nodes running in a spawned NodeGroup, checked against scipy on multichannel signals fed in
chunks of varying size: SosFilter against scipy.signal.sosfilt, OverlapFiltfilt against a
reference written here from PROTOCOL §14.2 and against sosfiltfilt away from the window edges;
bad configurations give clear errors."""

import numpy as np
import pytest
import scipy.signal

import libpyacq
from binding_support import wait_until

TIMEOUT = 10


@pytest.fixture(scope="module")
def nodegroup():
    manager = libpyacq.create_manager("local")
    group = manager.create_nodegroup("dsp")
    yield group
    manager.close()


def run_filter(nodegroup, node_type, signal, chunks, name, **configure):
    """Feeds `signal` through a remote node in the given chunk sizes; returns what it emits."""
    node = nodegroup.create_node(node_type, name=name)
    node.configure(**configure)
    with libpyacq.OutputStream() as source, libpyacq.InputStream() as sink:
        source.configure(protocol="tcp", dtype=signal.dtype.str, shape=[-1, signal.shape[1]], sample_rate=1000.0)
        node.input.connect(source.params)
        node.output.configure(protocol="tcp")
        node.initialize()
        sink.connect(node.output)
        # The node emits as soon as input arrives: its output must know of the sink by then.
        wait_until(lambda: node.output.subscriber_count._get_value() >= 1, what="the sink's subscription at the node")
        node.start()
        source.wait_for_subscribers(1, timeout=TIMEOUT)
        received, last_index, sent = [], None, 0
        for size in chunks:
            source.send(signal[sent:sent + size], index=sent + size)
            sent += size
        while last_index is None or last_index < expected_last(node_type, sent, configure):
            index, data = sink.recv(timeout=TIMEOUT, copy=True)
            received.append(data)
            last_index = index
        node.stop()
        node.close()
    return np.concatenate(received), last_index


def expected_last(node_type, sent, configure):
    return sent - configure.get("overlapsize", 512) if node_type == "OverlapFiltfilt" else sent


def bandpass(order=4):
    return scipy.signal.iirfilter(order, [10, 80], btype="bandpass", ftype="butter", fs=1000.0, output="sos")


def chunk_sizes(total, seed):
    rng = np.random.default_rng(seed)
    sizes = []
    while sum(sizes) < total:
        sizes.append(int(min(rng.integers(1, 700), total - sum(sizes))))
    return sizes


@pytest.mark.parametrize("dtype, rtol", [("float32", 1e-5), ("float64", 1e-10)])
def test_sosfilter_equals_one_shot_sosfilt(nodegroup, dtype, rtol):
    sos = bandpass()
    signal = np.random.default_rng(1).standard_normal((6000, 8)).astype(dtype)
    out, index = run_filter(nodegroup, "SosFilter", signal, chunk_sizes(len(signal), 2), "sos_" + dtype, coefficients=sos)
    reference = scipy.signal.sosfilt(sos, signal.astype(np.float64), axis=0)
    assert index == len(signal) and out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out, reference, rtol=rtol, atol=rtol * np.abs(reference).max())


def test_sosfilter_per_channel_coefficients(nodegroup):
    channels = 4
    per_channel = np.stack([scipy.signal.iirfilter(2, 20 + 20 * c, btype="lowpass", fs=1000.0, output="sos") for c in range(channels)])
    signal = np.random.default_rng(3).standard_normal((3000, channels))
    out, _ = run_filter(nodegroup, "SosFilter", signal, chunk_sizes(len(signal), 4), "sos_per_channel", coefficients=per_channel)
    for c in range(channels):
        np.testing.assert_allclose(out[:, c], scipy.signal.sosfilt(per_channel[c], signal[:, c]), rtol=1e-10, atol=1e-12)


def overlap_filtfilt_reference(sos, signal, chunksize, overlapsize):
    """PROTOCOL §14.2, written independently: forward with state, backward over the last
    chunksize + overlapsize forward samples, emit all but the last overlapsize."""
    zi = np.zeros((sos.shape[0], 2, signal.shape[1]))
    forward = np.zeros((0, signal.shape[1]))
    out = []
    for pos in range(chunksize, len(signal) + 1, chunksize):
        chunk, zi = scipy.signal.sosfilt(sos, signal[pos - chunksize:pos], axis=0, zi=zi)
        forward = np.concatenate([forward, chunk])[-(chunksize + overlapsize):]
        if pos > overlapsize:
            backward = scipy.signal.sosfilt(sos, forward[::-1], axis=0)[::-1]
            out.append(backward[:len(backward) - overlapsize])
    return np.concatenate(out)


@pytest.mark.parametrize("chunksize, overlapsize", [(256, 128), (100, 250)])  # overlap may exceed the chunk, as in pyacq
def test_overlap_filtfilt_matches_the_reference_and_sosfiltfilt(nodegroup, chunksize, overlapsize):
    sos = bandpass(2)
    signal = np.random.default_rng(5).standard_normal((chunksize * 20, 3))
    out, index = run_filter(nodegroup, "OverlapFiltfilt", signal, [chunksize] * 20, "filtfilt",
                            coefficients=sos, chunksize=chunksize, overlapsize=overlapsize)
    assert index == len(signal) - overlapsize
    reference = overlap_filtfilt_reference(sos, signal, chunksize, overlapsize)
    np.testing.assert_allclose(out, reference, rtol=1e-10, atol=1e-12)
    # Away from the window edges the result is a true zero-phase filtering.
    whole = scipy.signal.sosfiltfilt(sos, signal, axis=0)
    middle = slice(2 * chunksize, len(out) - chunksize)
    residual = np.abs(out[middle] - whole[middle]).max() / np.abs(whole).max()
    assert residual < 0.05, residual


@pytest.mark.parametrize("node_type, configure, message", [
    ("SosFilter", {"coefficients": np.zeros((3, 5))}, "(n_sections, 6)"),
    ("SosFilter", {"coefficients": np.array([[1, 0, 0, 1, np.nan, 0.0]])}, "NaN"),
    ("OverlapFiltfilt", {"coefficients": bandpass(2), "chunksize": 100, "overlapsize": -1}, "overlapsize"),
    ("RawRecorder", {"streams": [], "dirname": "/tmp/x"}, "at least one stream"),
])
def test_bad_configurations_are_refused_clearly(nodegroup, node_type, configure, message):
    node = nodegroup.create_node(node_type)
    with pytest.raises(Exception) as info:
        node.configure(**configure)
    assert message in str(info.value)


def test_bad_runtime_parameters_and_directories(nodegroup):
    trigger = nodegroup.create_node("AnalogTrigger", name="trig_params")
    trigger.configure()
    with pytest.raises(Exception) as info:
        trigger.set_params(debounce_mode="sometimes")
    assert "after-stable" in str(info.value)
    recorder = nodegroup.create_node("RawRecorder", name="rec_bad_dir")
    source = libpyacq.OutputStream()
    source.configure(protocol="tcp", dtype="float32", shape=[-1, 2])
    recorder.configure(streams=[source.params], dirname="/proc/nonexistent/recording")
    with pytest.raises(Exception) as info:
        recorder.initialize()
    assert "/proc/nonexistent/recording" in str(info.value)
    source.close()
