"""Swift nodes created in this process from Python (libpyacq.swiftnode), used the way pyacq's
node classes are: whole graphs in one process, checked sample by sample against scipy; graphs
mixing local nodes with nodes in a spawned node group; bad input giving clear errors."""

import json
import os
import time

import numpy as np
import pytest
import scipy.signal

import libpyacq
from libpyacq import (AnalogTrigger, ChannelSplitter, DigitalTrigger, InputStream, NumpyDeviceBuffer, OverlapFiltfilt,
                      RawRecorder, SosFilter, StreamConverter, SwiftNode, TriggerAccumulator)

TIMEOUT = 10.0
TCP = dict(protocol="tcp", interface="127.0.0.1", transfermode="plaindata")
SR = 20000.0
CHUNK = 100


def wait_until(predicate, timeout=TIMEOUT, message="condition not reached"):
    """Bounded polling of a node attribute (the nodes run on their own threads)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, message
        time.sleep(0.01)


def collect(stream, nb_samples):
    """Reads `nb_samples` rows from an InputStream, checking that indexes are contiguous."""
    chunks, last = [], 0
    while last < nb_samples:
        index, data = stream.recv(timeout=TIMEOUT, copy=True)
        assert index == last + len(data), "samples lost: index %d after %d + %d" % (index, last, len(data))
        chunks.append(data)
        last = index
    return np.concatenate(chunks)[:nb_samples]


def collect_from_any(stream, nb_samples):
    """(first index, `nb_samples` contiguous rows) from wherever the stream starts for us."""
    index, data = stream.recv(timeout=TIMEOUT, copy=True)
    first, chunks, last = index - len(data), [data], index
    while last - first < nb_samples:
        index, data = stream.recv(timeout=TIMEOUT, copy=True)
        assert index == last + len(data), "samples lost: index %d after %d + %d" % (index, last, len(data))
        chunks.append(data)
        last = index
    return first, np.concatenate(chunks)[:nb_samples]


def pulses(length, nb_channel, seed=0):
    """float32 noise with square pulses of 2.0 on channel 0 every 2000 samples."""
    rng = np.random.default_rng(seed)
    buffer = rng.random((length, nb_channel)) * 0.3
    buffer[:, 0] = 0.0
    for start in range(500, length - 1000, 2000):
        buffer[start:start + 800, 0] = 2.0
    return buffer.astype("float32")


def rising_crossings(values, threshold):
    """Sample k where values[k-1] <= threshold < values[k] (the trigger rule of pyacq)."""
    above = values > threshold
    return (np.nonzero(~above[:-1] & above[1:])[0] + 1).tolist()


def make_device(buffer, chunksize=CHUNK, **output):
    dev = NumpyDeviceBuffer()
    dev.configure(nb_channel=buffer.shape[1], sample_interval=1.0 / SR, chunksize=chunksize, buffer=buffer)
    dev.output.configure(**dict(TCP, **output))
    dev.initialize()
    return dev


def make_processor(node, source, **config):
    """`node` (local or remote) configured with `config`, fed by `source`, output on TCP, initialized."""
    node.configure(**config)
    node.input.connect(source)
    node.output.configure(**TCP)
    node.initialize()
    return node


def reader(output, wait=True):
    """A local InputStream on `output` (subscribed before anything is sent when `wait`)."""
    stream = InputStream()
    stream.connect(output)
    if wait:
        output.wait_for_subscribers(1, TIMEOUT)
    return stream


def close_all(*nodes):
    for node in nodes:
        node.close()


# ----------------------------------------------------------------------------- whole local graph

def test_local_graph_sos_trigger_accumulator_recorder(tmp_path):
    length, nb_channel = 16000, 3
    buffer = pulses(length, nb_channel)
    sos = scipy.signal.butter(2, 0.2, output="sos")
    expected = scipy.signal.sosfilt(sos, buffer.astype("float64"), axis=0).astype("float32")
    expected_trigs = rising_crossings(expected[:, 0].astype("float64"), 1.0)
    assert len(expected_trigs) == 8

    dev = make_device(buffer)
    filt = make_processor(SosFilter(), dev.output, coefficients=sos)
    trig = make_processor(AnalogTrigger(), filt.output)
    trig.params["threshold"] = 1.0
    trig.params["front"] = "+"
    trig.params["debounce_mode"] = "no-debounce"
    assert trig.params["threshold"] == 1.0
    assert trig.params._get_value()["front"] == "+"

    acc = TriggerAccumulator()
    acc.configure(max_stack_size=5)
    acc.inputs["signals"].connect(filt.output)
    acc.inputs["events"].connect(trig.output)
    acc.initialize()
    acc.params["stack_size"] = 3
    acc.params["left_sweep"] = -0.005
    acc.params["right_sweep"] = 0.01

    dirname = str(tmp_path / "rec")
    rec = RawRecorder()
    rec.configure(streams=[dev.output, filt.output], autoconnect=True, dirname=dirname)
    rec.initialize()
    rec.add_annotations(subject="mouse", trial=3)

    filtered_in = InputStream()
    filtered_in.connect(filt.output)
    events_in = InputStream()
    events_in.connect(trig.output)
    dev.output.wait_for_subscribers(2, TIMEOUT)      # filter, recorder
    filt.output.wait_for_subscribers(4, TIMEOUT)     # trigger, accumulator, recorder, test
    trig.output.wait_for_subscribers(2, TIMEOUT)     # accumulator, test

    for node in (acc, trig, filt, rec):
        node.start()
    dev.start()
    assert dev.running() and filt.running()
    try:
        got = collect(filtered_in, length)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)

        events = []
        while len(events) < len(expected_trigs):
            _, chunk = events_in.recv(timeout=TIMEOUT, copy=True)
            events.extend(chunk.tolist())
        assert events == expected_trigs

        wait_until(lambda: acc.total_trig >= len(expected_trigs), message="accumulator missed triggers")
        stack = acc.stack
        left, right = int(-0.005 * SR), int(0.01 * SR)
        assert stack.shape == (3, nb_channel, right - left)
        for k in range(len(expected_trigs) - 3, len(expected_trigs)):
            t = expected_trigs[k]
            window = expected[t + left:t + right].astype("float64").T
            np.testing.assert_allclose(stack[k % 3], window, rtol=1e-5, atol=1e-5)

        raw = os.path.join(dirname, "input1.raw")
        wait_until(lambda: os.path.exists(raw) and os.path.getsize(raw) >= length * nb_channel * 4,
                   message="recorder did not write the filtered stream")
    finally:
        dev.stop()
        for node in (filt, trig, acc, rec):
            node.stop()
        close_all(dev, filt, trig, acc, rec)
    assert rec.closed() and not dev.running()

    with open(os.path.join(dirname, "stream_properties.json")) as f:
        properties = json.load(f)
    assert properties["input0"]["dtype"] == "float32" and properties["input0"]["start_index"] == 0
    assert properties["input0"]["sample_rate"] == SR
    raw0 = np.fromfile(os.path.join(dirname, "input0.raw"), dtype="float32").reshape(-1, nb_channel)
    raw1 = np.fromfile(os.path.join(dirname, "input1.raw"), dtype="float32").reshape(-1, nb_channel)
    assert len(raw0) >= length and len(raw1) >= length
    np.testing.assert_array_equal(raw0[:length], buffer)
    np.testing.assert_allclose(raw1[:length], expected, rtol=1e-5, atol=1e-5)
    with open(os.path.join(dirname, "annotations.json")) as f:
        assert json.load(f) == {"subject": "mouse", "trial": 3}


def test_local_nodes_surface():
    dev = NumpyDeviceBuffer(name="dev0")
    assert dev.name == "dev0" and not dev.configured() and not dev.running()
    assert list(dev.outputs) == ["signals"] and dev.inputs == {}
    dev.configure(nb_channel=2, sample_interval=0.001, chunksize=10, buffer=np.zeros((100, 2), "int16"))
    assert dev.configured() and dev.chunksize == 10 and dev.sample_interval == 0.001
    assert dev.output is dev.outputs["signals"]
    assert isinstance(dev.output, libpyacq.OutputStream)
    dev.output.configure(**TCP)
    assert dev.output.params["dtype"] == "int16" and dev.output.params["shape"] == [-1, 2]
    dev.initialize()
    assert dev.initialized()

    acc = TriggerAccumulator()
    assert sorted(acc.inputs) == ["events", "signals"]
    assert all(isinstance(s, libpyacq.InputStream) for s in acc.inputs.values())
    with pytest.raises(libpyacq.NodeStateError, match="exactly 1 input"):
        acc.input
    generic = SwiftNode(type_name="SosFilter")
    assert generic.type_name == "SosFilter" and list(generic.inputs) == ["signals"]
    close_all(dev, acc, generic)
    assert dev.closed()
    dev.close()  # idempotent


def test_set_coefficients_while_running():
    buffer = np.random.default_rng(1).standard_normal((4000, 2)).astype("float32")
    sos1 = scipy.signal.butter(2, 0.1, output="sos")
    dev = make_device(buffer)
    filt = make_processor(SosFilter(), dev.output, coefficients=sos1)
    inp = reader(filt.output)
    filt.start()
    dev.start()
    try:
        got = collect(inp, 1000)
        np.testing.assert_allclose(got, scipy.signal.sosfilt(sos1, buffer[:1000].astype("float64"), axis=0),
                                   rtol=1e-5, atol=1e-5)
        filt.set_coefficients(np.array([[1.0, 0, 0, 1.0, 0, 0]]))  # identity, a different section count
        deadline = time.monotonic() + TIMEOUT
        while True:  # once the identity applies, output == input
            index, data = inp.recv(timeout=TIMEOUT, copy=True)
            if np.array_equal(data, buffer[index - len(data):index]):
                break
            assert time.monotonic() < deadline, "set_coefficients had no effect"
    finally:
        close_all(dev, filt)


def test_stream_converter_and_channel_splitter():
    buffer = np.arange(2000 * 6, dtype="float32").reshape(2000, 6)
    dev = make_device(buffer)
    conv = StreamConverter()
    conv.configure()
    conv.input.connect(dev.output)
    conv.output.configure(protocol="tcp", interface="127.0.0.1", transfermode="sharedmem", buffer_size=4000,
                          double=True)
    conv.initialize()
    split = ChannelSplitter()
    split.configure(output_channels={"a": [0, 2], "b": [5]})
    assert split.outputs == {}
    split.input.connect(conv.output)
    assert sorted(split.outputs) == ["a", "b"]
    readers = {}
    for name, output in split.outputs.items():
        output.configure(**TCP)
        readers[name] = InputStream()
        readers[name].connect(output)
        output.wait_for_subscribers(1, TIMEOUT)
    split.initialize()
    conv_in = InputStream()
    conv_in.connect(conv.output)
    assert conv_in.params["transfermode"] == "sharedmem"
    for node in (split, conv):
        node.start()
    dev.start()
    try:
        np.testing.assert_array_equal(collect(readers["a"], 1000), buffer[:1000, [0, 2]])
        np.testing.assert_array_equal(collect(readers["b"], 1000), buffer[:1000, [5]])
        wait_until(lambda: conv_in.buffer is not None and conv_in.buffer.index() >= 1000)
        np.testing.assert_array_equal(conv_in.get_data(0, 1000), buffer[:1000])
    finally:
        close_all(dev, conv, split)


def test_overlapfiltfilt_matches_offline_filtfilt_in_the_middle():
    length, chunksize, overlap = 8000, 400, 200
    t = np.arange(length) / SR
    buffer = (np.sin(2 * np.pi * 300 * t)[:, None] * [1.0, 0.5] + 0.2).astype("float32")
    sos = scipy.signal.butter(3, 0.05, output="sos")
    dev = make_device(buffer, chunksize)
    node = make_processor(OverlapFiltfilt(), dev.output, chunksize=chunksize, overlapsize=overlap, coefficients=sos)
    inp = reader(node.output)
    node.start()
    dev.start()
    try:
        chunks, last = [], 0
        while last < 4000:
            index, data = inp.recv(timeout=TIMEOUT, copy=True)
            assert index == last + len(data), "output index = input index - overlapsize, no gap"
            assert index % chunksize == chunksize - overlap
            chunks.append(data)
            last = index
    finally:
        close_all(dev, node)
    got = np.concatenate(chunks)
    offline = scipy.signal.sosfiltfilt(sos, buffer.astype("float64"), axis=0)
    # Away from the window edges the overlapped backward pass matches filtfilt closely.
    middle = slice(chunksize, chunksize + 100)
    np.testing.assert_allclose(got[middle], offline[middle], atol=2e-2)


def test_digital_trigger_bit_edges():
    length = 4000
    digital = np.zeros((length, 1), "uint8")
    for start in (300, 1300, 2300):
        digital[start:start + 100, 0] = 0b100
    dev = make_device(digital)
    trig = make_processor(DigitalTrigger(), dev.output)
    trig.params["channel"] = 2
    trig.params["debounce_mode"] = "no-debounce"
    inp = reader(trig.output)
    trig.start()
    dev.start()
    try:
        events = []
        while len(events) < 3:
            _, chunk = inp.recv(timeout=TIMEOUT, copy=True)
            events.extend(chunk.tolist())
        assert events[:3] == [300, 1300, 2300]
    finally:
        close_all(dev, trig)


# ----------------------------------------------------------------------------- local and remote

@pytest.fixture
def nodegroup():
    manager = libpyacq.create_manager("local")
    try:
        yield manager.create_nodegroup()
    finally:
        manager.close()


def test_local_filter_fed_by_a_node_group_device(nodegroup):
    buffer = np.random.default_rng(2).standard_normal((6000, 4)).astype("float32")
    sos = scipy.signal.butter(3, [0.05, 0.3], btype="bandpass", output="sos")
    dev = nodegroup.create_node("NumpyDeviceBuffer", name="remote_dev")
    dev.configure(nb_channel=4, sample_interval=1.0 / SR, chunksize=CHUNK, buffer=buffer)
    dev.output.configure(**TCP)
    dev.initialize()

    filt = make_processor(SosFilter(), dev.output, coefficients=sos)  # local input <- remote output
    assert filt.input.params["shape"] == [-1, 4]
    inp = reader(filt.output)
    filt.start()
    dev.start()
    try:
        got = collect(inp, 5000)
    finally:
        dev.stop()
        close_all(filt)
    np.testing.assert_allclose(got, scipy.signal.sosfilt(sos, buffer[:5000].astype("float64"), axis=0),
                               rtol=1e-4, atol=1e-5)


def test_node_group_filter_fed_by_a_local_device(nodegroup):
    buffer = np.random.default_rng(3).standard_normal((6000, 2)).astype("float32")
    sos = scipy.signal.butter(2, 0.15, output="sos")
    dev = make_device(buffer)
    filt = make_processor(nodegroup.create_node("SosFilter", name="remote_filter"), dev.output,
                          coefficients=sos)            # remote input <- local output
    inp = reader(filt.output, wait=False)               # (a remote output cannot wait for subscribers)
    dev.output.wait_for_subscribers(1, TIMEOUT)
    filt.start()
    dev.start()
    try:
        first, got = collect_from_any(inp, 4000)
    finally:
        close_all(dev)
        filt.stop()
    expected = scipy.signal.sosfilt(sos, buffer.astype("float64"), axis=0)[first:first + 4000]
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------- bad input

def test_unknown_node_type_names_it_and_lists_the_known_ones():
    with pytest.raises(libpyacq.ParamsError) as info:
        SwiftNode(type_name="NoSuchNode")
    assert "NoSuchNode" in str(info.value) and "SosFilter" in str(info.value)


def test_bad_configure_and_calls_give_clear_errors_and_the_node_keeps_working():
    filt = SosFilter()
    with pytest.raises(TypeError, match="unexpected keyword 'bogus'"):
        filt.configure(coefficients=scipy.signal.butter(2, 0.1, output="sos"), bogus=1)
    with pytest.raises(ValueError, match="coefficients"):
        filt.configure(coefficients="not an array")
    with pytest.raises(ValueError):
        filt.configure(coefficients=np.zeros((2, 5)))  # sections have 6 coefficients
    with pytest.raises(libpyacq.PyAcqError):
        filt.start()                                    # never initialized
    with pytest.raises(libpyacq.PyAcqError):
        filt.initialize()                               # input not connected
    filt.configure(coefficients=scipy.signal.butter(2, 0.1, output="sos"))
    assert filt.configured()

    trig = AnalogTrigger()
    with pytest.raises(KeyError, match="no_such_param"):
        trig.params["no_such_param"]
    with pytest.raises(KeyError, match="no_such_param"):
        trig.params["no_such_param"] = 1
    with pytest.raises(ValueError):
        trig.params["front"] = "sideways"
    trig.params["threshold"] = 0.25
    assert trig.params["threshold"] == 0.25

    rec = RawRecorder()
    with pytest.raises(ValueError, match="dirname"):
        rec.configure(streams=[])
    dev = NumpyDeviceBuffer()
    with pytest.raises(TypeError, match="nb_chanel"):
        dev.configure(nb_chanel=3)
    with pytest.raises(AttributeError, match="no_such_attribute_"):
        dev.no_such_attribute_
    with pytest.raises(AttributeError, match="no_such_method"):
        dev.call("no_such_method")
    close_all(filt, trig, rec, dev)


def test_sending_the_wrong_dtype_into_a_local_nodes_output_is_refused():
    dev = make_device(np.zeros((200, 2), "float32"))
    with pytest.raises(libpyacq.DTypeError):
        dev.output.send(np.zeros((10, 2), "int32"))
    dev.close()


def test_local_recorder_records_node_group_devices(nodegroup, tmp_path):
    buffers = [np.arange(3000 * 2, dtype="int16").reshape(3000, 2),
               np.random.default_rng(4).standard_normal((3000, 5)).astype("float64")]
    devices = []
    for k, buffer in enumerate(buffers):
        dev = nodegroup.create_node("NumpyDeviceBuffer", name="rec_dev%d" % k)
        dev.configure(nb_channel=buffer.shape[1], sample_interval=1.0 / SR, chunksize=CHUNK, buffer=buffer)
        dev.output.configure(**TCP)
        dev.initialize()
        devices.append(dev)
    dirname = str(tmp_path / "remote_rec")
    rec = RawRecorder()
    rec.configure(streams={"ints": devices[0].output, "floats": devices[1].output}, dirname=dirname)
    rec.initialize()
    assert sorted(rec.inputs) == ["floats", "ints"]
    rec.start()
    probe = InputStream()
    probe.connect(devices[1].output)
    for dev in devices:
        dev.start()
    try:
        collect_from_any(probe, 2500)  # the devices have played at least that much
        for name, buffer in (("ints", buffers[0]), ("floats", buffers[1])):
            path = os.path.join(dirname, name + ".raw")
            nbytes = 2000 * buffer.shape[1] * buffer.itemsize
            wait_until(lambda: os.path.exists(path) and os.path.getsize(path) >= nbytes)
    finally:
        for dev in devices:
            dev.stop()
        rec.close()
    with open(os.path.join(dirname, "stream_properties.json")) as f:
        properties = json.load(f)
    for name, buffer in (("ints", buffers[0]), ("floats", buffers[1])):
        raw = np.fromfile(os.path.join(dirname, name + ".raw"), dtype=buffer.dtype).reshape(-1, buffer.shape[1])
        start = properties[name]["start_index"]
        assert properties[name]["dtype"] == str(buffer.dtype)
        n = min(len(raw), len(buffer) - start)
        assert n >= 1000
        np.testing.assert_array_equal(raw[:n], buffer[start:start + n])


def test_wrong_state_and_wrong_dtype_are_refused_and_the_process_keeps_running():
    dev = NumpyDeviceBuffer()
    filt = SosFilter()
    with pytest.raises(libpyacq.StateError, match="not configured"):
        filt.input.connect(dev.output)                  # the output has no params yet
    dev.configure(nb_channel=2, sample_interval=0.001, chunksize=10, buffer=np.zeros((100, 2), "int16"))
    dev.output.configure(**TCP)
    dev.initialize()
    filt.configure(coefficients=scipy.signal.butter(2, 0.1, output="sos"))
    filt.input.connect(dev.output)
    filt.output.configure(**TCP)
    with pytest.raises(libpyacq.DTypeError, match="int16"):
        filt.initialize()                               # SosFilter filters float streams only
    dev.start()
    with pytest.raises(libpyacq.StateError, match="running"):
        dev.configure(nb_channel=3)
    dev.close()                                         # closes a running node
    assert dev.closed() and not dev.running()
    with pytest.raises(libpyacq.ClosedError):
        dev.output.send(np.zeros((10, 2), "int16"))
    with pytest.raises(libpyacq.StateError):
        dev.start()
    with pytest.raises(KeyError, match="nope"):
        filt.outputs["nope"]
    filt.close()


def test_a_running_node_nobody_references_is_closed_by_the_garbage_collector():
    import gc
    import weakref
    dev = make_device(np.zeros((1000, 2), "float32"))
    params = dict(dev.output.params)
    dev.start()
    watcher = InputStream()
    watcher.connect(params)
    watcher.recv(timeout=TIMEOUT)                       # it runs
    gone = weakref.ref(dev)
    del dev
    gc.collect()
    assert gone() is None
    watcher.empty_queue()
    for _ in range(1000):                               # (at 200 chunks/s: 5 s if it still ran)
        try:
            watcher.recv(timeout=0.5)
        except libpyacq.PyAcqIOError as error:          # closed with its handle: the reader is told
            assert "producer gone" in str(error)
            break
        except libpyacq.PyAcqTimeout:
            break                                       # (or nothing more comes)
    else:
        pytest.fail("the collected node still sends")
    watcher.close()


def test_create_local_node_makes_swift_types_too():
    node = libpyacq.create_local_node("TriggerAccumulator", name="acc")
    assert isinstance(node, TriggerAccumulator) and node.name == "acc"
    node.close()
    with pytest.raises(KeyError, match="SosFilter"):    # the message lists the Swift types
        libpyacq.create_local_node("NoSuchType")
