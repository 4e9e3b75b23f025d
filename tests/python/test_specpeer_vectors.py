"""The spec peer (tests/python/specpeer) against PROTOCOL.md §8-§13 and vectors/.

Vectors come from $PYACQ_SPEC_VECTORS (default /work/shared/spec/vectors).
"""

import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import pytest
import zmq

from specpeer import InputStream, OutputStream, RingBuffer, default_params, make_url, parse_dtype
from specpeer import plaindata
from specpeer.dtypes import dtype_param
from specpeer.patterns import LAYOUTS, lay_out, matches_ramp, ramp
from specpeer.sharedmem import decode_notification, encode_notification
from specpeer.streams import CONTEXT
from vectors_support import load_vectors, skip_module_without_vectors

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT_MS = 5000

skip_module_without_vectors()

PLAINDATA = load_vectors("plaindata.json")["chunks"]
BLOSC = load_vectors("blosc.json")["chunks"]
SHAREDMEM = load_vectors("sharedmem.json")["scenarios"]


# ------------------------------------------------------------------ helpers

def vector_dtype(desc):
    return parse_dtype(desc["dtype_descr"] or desc["dtype_str"])


def vector_values(desc):
    """Values as numpy accepts them (structured rows as tuples, text as bytes)."""
    dtype = vector_dtype(desc)
    if dtype.names is None:
        return np.array(desc["values"]).astype(dtype)
    rows = [tuple(v.encode() if isinstance(v, str) else v for v in row) for row in desc["values"]]
    return np.array(rows, dtype)


def array_from_vector(desc):
    """A view with exactly the vector's shape and byte strides (negative too),
    inside the smallest buffer that holds it -- like the array pyacq sent."""
    dtype, shape, strides = vector_dtype(desc), desc["shape"], desc["strides"]
    span = sum((n - 1) * abs(s) for n, s in zip(shape, strides)) + dtype.itemsize
    offset = sum((n - 1) * -s for n, s in zip(shape, strides) if s < 0)
    view = np.ndarray(shape, dtype, buffer=bytearray(span), offset=offset, strides=strides)
    view[...] = vector_values(desc)
    return view


def assert_matches_vector_array(array, desc):
    assert list(array.shape) == desc["shape"]
    assert list(array.strides) == desc["strides"]
    assert array.dtype == vector_dtype(desc)
    assert np.array_equal(array, vector_values(desc))


def connected_pair(transfer_kwargs=None, subscribers=1, input_spec=None):
    """Output with a live InputStream whose subscription is known to be active."""
    output = OutputStream(detect_subscribers=True)
    output.configure(**(transfer_kwargs or {}))
    stream = InputStream(spec=input_spec)
    stream.connect(output)
    assert output.wait_for_subscribers(subscribers, TIMEOUT_MS)
    return output, stream


def recv_one(stream):
    assert stream.poll(TIMEOUT_MS), "no chunk within timeout"
    return stream.recv()


def file_bytes(path):
    with open(path, "rb") as handle:
        return handle.read()


# ------------------------------------------------------------ params (§8)

def test_default_params_have_the_spec_keys_in_order():
    assert list(default_params().items()) == [
        ("protocol", "tcp"), ("interface", "127.0.0.1"), ("port", "*"),
        ("transfermode", "plaindata"), ("streamtype", "analogsignal"), ("dtype", "float32"),
        ("shape", [-1, 1]), ("axisorder", None), ("buffer_size", 0), ("compression", ""),
        ("scale", None), ("offset", None), ("units", ""), ("sample_rate", 1.0),
        ("double", False), ("fill", None),
    ]


def test_default_params_are_fresh_copies():
    default_params()["shape"].append(3)
    assert default_params()["shape"] == [-1, 1]


def test_make_url_per_protocol():
    assert make_url({"protocol": "tcp", "interface": "127.0.0.1", "port": "5555"}) == "tcp://127.0.0.1:5555"
    assert make_url({"protocol": "ipc", "interface": "pyacq_pipe_X", "port": "//x"}) == "ipc://pyacq_pipe_X"
    assert make_url({"protocol": "inproc", "interface": "pyacq_pipe_Y"}) == "inproc://pyacq_pipe_Y"
    with pytest.raises(ValueError):
        make_url({"protocol": "udp", "interface": "127.0.0.1", "port": "1"})


def test_configure_binds_tcp_and_writes_the_port_back_as_str():
    output = OutputStream()
    output.configure(shape=[-1, 4], channel_info=[{"name": "a"}])
    try:
        assert re.fullmatch(r"[0-9]+", output.params["port"])
        assert output.params["channel_info"] == [{"name": "a"}]  # unknown keys carried along
        assert output.socket.linger == 1000
        assert output.socket.type == zmq.PUB
    finally:
        output.close()


@pytest.mark.parametrize("protocol", ["ipc", "inproc"])
def test_configure_generates_a_pipe_name(protocol, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # ipc pipes are relative paths (§8.2-4)
    output = OutputStream()
    output.configure(protocol=protocol)
    try:
        interface = output.params["interface"]
        assert re.fullmatch(r"pyacq_pipe_[A-Z0-9]{24}", interface)
        assert output.params["port"] == "//" + interface  # pyacq's odd but harmless value
    finally:
        output.close()
    assert not os.path.exists(tmp_path / interface)


def test_configure_spec_and_kwargs_must_agree():
    output = OutputStream(spec={"dtype": "int16", "shape": (-1, 2)})
    with pytest.raises(AssertionError):
        output.configure(dtype="float32")
    output.configure(shape=[-1, 2], sample_rate=100.0)  # tuple/list spellings are equal
    try:
        assert output.params["dtype"] == "int16"
        assert output.params["sample_rate"] == 100.0
    finally:
        output.close()


@pytest.mark.parametrize("shape", [[0, 2], [-2, 2], [-1, 0], [4, -1], []])
def test_configure_rejects_bad_shapes(shape):
    with pytest.raises(ValueError):
        OutputStream().configure(shape=shape)


def test_configure_normalises_structured_dtype_to_pairs():
    output = OutputStream()
    output.configure(dtype=[["index", "int64"], ["label", "S4"]], shape=[-1])
    try:
        assert output.params["dtype"] == [("index", "int64"), ("label", "S4")]
        assert json.loads(json.dumps(output.params))["dtype"] == [["index", "int64"], ["label", "S4"]]
    finally:
        output.close()


def test_input_spec_checks_and_overrides():
    params = dict(default_params(), port="1", dtype="float32", shape=[-1, 4], compression="blosc-lz4")
    with pytest.raises(ValueError):
        InputStream(spec={"dtype": "int16"}).connect(params)
    with pytest.raises(ValueError):
        InputStream(spec={"shape": [-1, 3]}).connect(params)
    with pytest.raises(ValueError):
        InputStream(spec={"transfermode": "sharedmem"}).connect(params)
    stream = InputStream(spec={"dtype": "<f4", "shape": [128, -1], "compression": "", "gain": 2})
    stream.connect(params)
    try:
        assert stream.params["compression"] == ""  # any other spec key overrides
        assert stream.params["gain"] == 2
        assert stream.params["shape"] == [-1, 4]
    finally:
        stream.close()


# --------------------------------------------------------------- dtypes (§13)

@pytest.mark.parametrize("text, expected", [
    ("float32", np.float32), ("<f4", np.float32), ("int16", np.int16), ("<i2", np.int16),
    ("uint8", np.uint8), ("bool", np.bool_), ("float", np.float64), ("int", np.int64),
    (">f4", np.dtype(">f4")), ("|S4", np.dtype("S4")), ("<U3", np.dtype("<U3")),
    ("datetime64[ms]", np.dtype("datetime64[ms]")),
])
def test_parse_dtype_names_and_typestrs(text, expected):
    assert parse_dtype(text) == np.dtype(expected)


def test_parse_dtype_structured_forms():
    expected = np.dtype([("index", "<i8"), ("label", "S4")])
    assert parse_dtype([["index", "int64"], ["label", "S4"]]) == expected
    assert parse_dtype([("index", "<i8"), ("label", "|S4")]) == expected
    assert parse_dtype("[('index', '<i8'), ('label', 'S4')]") == expected
    assert parse_dtype([["f", "<f4", [3]]]) == np.dtype([("f", "<f4", (3,))])


def test_dtype_param_is_always_serialisable():
    assert dtype_param(np.float32) == "float32"
    assert dtype_param(">f4") == ">f4"
    assert dtype_param(np.dtype([("a", "<i8"), ("b", "S4")])) == [["a", "<i8"], ["b", "|S4"]]


# ----------------------------------------------------------- plaindata (§9)

@pytest.mark.parametrize("case", PLAINDATA, ids=[case["name"] for case in PLAINDATA])
def test_plaindata_frames_are_byte_exact(case):
    sent = array_from_vector(case["sent_array"])
    assert_matches_vector_array(sent, case["sent_array"])
    header, data = plaindata.encode_chunk(sent, case["index"])
    assert header.hex() == case["header_hex"]
    assert bytes(data).hex() == case["data_hex"]
    assert plaindata.decode_header(header)._asdict() == dict(
        case["header_fields"], shape=tuple(case["header_fields"]["shape"]),
        strides=tuple(case["header_fields"]["strides"]))


@pytest.mark.parametrize("case", PLAINDATA, ids=[case["name"] for case in PLAINDATA])
def test_plaindata_contiguous_chunks_are_sent_without_copy(case):
    sent = array_from_vector(case["sent_array"])
    block, _, _ = plaindata.wire_layout(sent)
    assert np.shares_memory(block, sent) == (case["name"] != "noncontiguous_slice")


@pytest.mark.parametrize("case", PLAINDATA, ids=[case["name"] for case in PLAINDATA])
def test_plaindata_frames_decode_to_receiver_view(case):
    frames = [bytes.fromhex(case["header_hex"]), bytes.fromhex(case["data_hex"])]
    index, view = plaindata.decode_chunk(frames, parse_dtype(case["stream_dtype_param"]))
    assert index == case["index"]
    assert_matches_vector_array(view, case["receiver_view"])
    assert not view.flags.writeable


def _three_d():
    return np.arange(2 * 3 * 4, dtype=np.float64).reshape(2, 3, 4)


@pytest.mark.parametrize("make_view, copied", [
    (lambda: _three_d().transpose(2, 0, 1), False),
    (lambda: _three_d()[:, ::-1, ::-1], False),
    (lambda: _three_d()[::-1].transpose(1, 2, 0), False),
    (lambda: _three_d()[1:2], False),               # size-1 axis: contiguous
    (lambda: _three_d()[1:2][::-1, ::-1], False),   # ... whatever its stride sign
    (lambda: _three_d()[:, ::2, 1:], True),
    (lambda: _three_d()[::-1, :, ::2], True),
    (lambda: np.broadcast_to(np.arange(4.0), (3, 4)), True),  # stride 0
    (lambda: np.zeros((0, 4), np.float32), False),
])
def test_plaindata_layouts_round_trip(make_view, copied):
    array = make_view()
    block, offset, strides = plaindata.wire_layout(array)
    assert np.shares_memory(block, array) != copied or array.size == 0
    assert all(s >= 0 for s in strides) or not copied  # copies get positive strides
    frames = plaindata.encode_chunk(array, 7)
    index, view = plaindata.decode_chunk(frames, array.dtype)
    assert index == 7 and view.shape == array.shape and np.array_equal(view, array)


def test_plaindata_copy_keeps_axis_order():
    big = np.arange(24, dtype=np.float32).reshape(4, 6)
    _, offset, strides = plaindata.wire_layout(big.T[1:5, ::2])
    assert (offset, strides) == (0, (4, 16))  # axis 0 stays the fastest one


def test_plaindata_rejects_negative_index_and_bad_headers():
    with pytest.raises(ValueError):
        plaindata.encode_chunk(np.zeros((1, 1), np.float32), -1)
    with pytest.raises(ValueError):
        plaindata.decode_header(bytes(8 * 4))  # ndim 0 needs 24 bytes


# ------------------------------------------------------------- blosc (§10)

def blosc_payload():
    return (np.arange(1024) % 50).astype(np.float32).reshape(256, 4)


@pytest.mark.parametrize("chunk", BLOSC, ids=[f"{c['method']}-{len(c['compressed_hex'])}" for c in BLOSC])
def test_blosc_vectors_decompress_to_the_payload(chunk):
    raw = plaindata.decompress(bytes.fromhex(chunk["compressed_hex"]), chunk["method"])
    if "uncompressed_hex" in chunk:
        assert raw.hex() == chunk["uncompressed_hex"]
    else:
        assert raw == blosc_payload().tobytes()
        frames = [bytes.fromhex(chunk["header_frame_hex"]), bytes.fromhex(chunk["compressed_hex"])]
        index, view = plaindata.decode_chunk(frames, np.float32, chunk["method"])
        assert index == 256 and np.array_equal(view, blosc_payload())


@pytest.mark.parametrize("method", ["blosc-lz4", "blosc-blosclz"])
def test_blosc_peer_compression_round_trips(method):
    payload = blosc_payload()
    header, compressed = plaindata.encode_chunk(payload, 256, method)
    vector = next(c for c in BLOSC if c["method"] == method and "header_frame_hex" in c)
    assert header.hex() == vector["header_frame_hex"]  # header describes the raw buffer
    assert (compressed[0], compressed[3]) == (2, 4)  # c-blosc 1.x frame, typesize 4
    assert int.from_bytes(compressed[4:8], "little") == payload.nbytes
    assert compressed[2] & 0x01  # byte shuffle
    assert len(compressed) < payload.nbytes
    _, view = plaindata.decode_chunk([header, compressed], np.float32, method)
    assert np.array_equal(view, payload)


def test_blosc_tiny_chunk_is_stored_with_memcpy_flag():
    tiny = np.arange(6, dtype=np.float32)
    _, compressed = plaindata.encode_chunk(tiny, 6, "blosc-lz4")
    assert compressed[2] & 0x02
    assert plaindata.decompress(compressed, "blosc-lz4") == tiny.tobytes()


def test_unknown_compression_is_rejected():
    with pytest.raises(ValueError):
        plaindata.compress(np.zeros(4, np.uint8), "blosclz", 1)


# ------------------------------------------------------ sharedmem (§11, §12)

def expected_params(scenario, actual):
    """Vector params with the environment-specific values taken from `actual`."""
    expected = dict(scenario["params_after_configure"])
    keys = list(expected)
    keys.insert(keys.index("interface") + 1, "port")
    expected.update(port=actual["port"], shm_id=actual["shm_id"])
    return {key: expected[key] for key in keys}


def check_shm_id(shm_id):
    assert os.path.dirname(shm_id) == os.path.abspath(tempfile.gettempdir())
    assert re.fullmatch(r"pyacq_SharedMem_[a-z0-9_]{8}", os.path.basename(shm_id))


def step_index(step):
    return int(step["after"].split("index=")[1])


@pytest.mark.parametrize("scenario", SHAREDMEM, ids=["single_int16", "double_axisorder_fill"])
def test_sharedmem_scenario_reproduces_file_and_messages(scenario):
    output = OutputStream(detect_subscribers=True)
    output.configure(transfermode="sharedmem", **scenario["configure_kwargs"])
    shm_id = output.params["shm_id"]
    reader, raw = InputStream(), CONTEXT.socket(zmq.SUB)
    try:
        check_shm_id(shm_id)
        assert list(output.params.items()) == list(expected_params(scenario, output.params).items())
        assert os.path.getsize(shm_id) == scenario["file_size"]
        assert file_bytes(shm_id).hex() == scenario["steps"][0]["file_hex"]
        reader.connect(output.params)
        raw.linger = 0
        raw.setsockopt(zmq.SUBSCRIBE, b"")
        raw.connect(make_url(output.params))
        assert output.wait_for_subscribers(2, TIMEOUT_MS)
        for step in scenario["steps"][1:]:
            check_sharedmem_step(output, reader, raw, step)
    finally:
        raw.close()
        reader.close()
        output.close()
    assert not os.path.exists(shm_id)


def check_sharedmem_step(output, reader, raw, step):
    output.send(np.array(step["chunk"]).astype(output.dtype), index=step_index(step))
    assert raw.poll(TIMEOUT_MS)
    assert [frame.hex() for frame in raw.recv_multipart()] == step["message_frames_hex"]
    assert file_bytes(output.params["shm_id"]).hex() == step["file_hex"]
    index, data = recv_one(reader)
    assert index == step_index(step)
    assert_matches_vector_array(data, step["reader_returned"]["$ndarray"])
    assert data.flags.owndata or not data.flags.writeable  # views of a read-only map


def test_sharedmem_notification_frame():
    assert encode_notification(3, 3).hex() == "00000000000000030000000000000003"
    assert decode_notification(bytes.fromhex("00000000000000070000000000000001")) == (7, 1)


def test_sharedmem_rejects_chunks_of_the_wrong_shape():
    output = OutputStream()
    output.configure(transfermode="sharedmem", buffer_size=8, shape=[4, 2], dtype="int16")
    try:
        with pytest.raises(ValueError):
            output.send(np.zeros((3, 2), np.int16))
        with pytest.raises(ValueError):
            output.send(np.zeros((4, 3), np.int16))
        with pytest.raises(ValueError):
            output.send(np.zeros((4, 2), np.float32))
        output.send(np.zeros((4, 2), np.int16))
        assert output.ring.index() == 4
    finally:
        output.close()


def test_sharedmem_restart_resets_indexes_in_place():
    output = OutputStream()
    output.configure(transfermode="sharedmem", buffer_size=4, shape=[-1, 1], dtype="int16")
    try:
        output.send(np.ones((3, 1), np.int16))
        output.reset_index()
        head = file_bytes(output.params["shm_id"])[:16]
        assert head == bytes(16)
        output.send(np.ones((1, 1), np.int16))
        assert output.ring.index() == 1
    finally:
        output.close()


def test_sharedmem_reader_can_read_history():
    output, stream = connected_pair(dict(transfermode="sharedmem", buffer_size=8, double=True,
                                         shape=[-1, 2], dtype="float32"))
    try:
        for k in range(5):
            output.send(ramp(2 * k, 2, (2,), np.float32), index=2 * k + 2)
        assert stream.get_data(2, 10).tolist() == ramp(2, 8, (2,), np.float32).tolist()
        with pytest.raises(IndexError):
            stream.get_data(1, 10)
    finally:
        stream.close()
        output.close()


# ----------------------------------------------------------- RingBuffer (§12)

def filled_ring(n_samples, size=4, double=False, **kwargs):
    """Ring of int16 (size, 2) frames holding ramp samples 0..n_samples-1."""
    ring = RingBuffer((size, 2), np.int16, double=double, **kwargs)
    for start in range(0, n_samples, size):
        stop = min(start + size, n_samples)
        ring.new_chunk(ramp(start, stop - start, (2,), np.int16))
    return ring


def samples(start, stop):
    return ramp(start, stop - start, (2,), np.int16)


def test_ring_indexes():
    ring = filled_ring(3)
    assert (ring.index(), ring.first_index(), ring.write_index) == (3, -1, 3)
    ring.reset_index()
    assert (ring.index(), ring.write_index) == (0, 0)


def test_ring_private_buffer_starts_with_fill():
    assert np.isnan(RingBuffer((4, 2), np.float32).get_data(-4, 0)).all()
    assert (RingBuffer((4, 2), np.int16).get_data(-4, 0) == 0).all()
    assert (RingBuffer((4, 2), np.float32, fill=-1.0).get_data(-4, 0) == -1).all()
    events = RingBuffer((2,), [("i", "<i8"), ("s", "S2")], double=False)
    assert events.get_data(-2, 0).tobytes() == bytes(20)  # zero bytes, not b"0"


def test_ring_single_wraps_across_the_end():
    ring = filled_ring(3)
    ring.new_chunk(samples(3, 5))
    assert np.array_equal(ring.get_data(2, 5), samples(2, 5))
    first, second = ring.get_data(3, 5, join=False)
    assert np.array_equal(first, samples(3, 4)) and np.array_equal(second, samples(4, 5))


def test_ring_single_same_lap_is_a_view():
    ring = filled_ring(4)
    ring.new_chunk(samples(4, 6))
    view = ring.get_data(4, 6)
    assert np.array_equal(view, samples(4, 6)) and np.shares_memory(view, ring._rows)
    copied = ring.get_data(4, 6, copy=True)
    assert not np.shares_memory(copied, ring._rows)
    first, second = ring.get_data(4, 6, join=False)
    assert np.array_equal(first, samples(4, 6)) and second.shape == (0, 2)


def test_ring_double_is_always_one_view():
    ring = filled_ring(3, double=True)
    ring.new_chunk(samples(3, 6))
    view = ring.get_data(2, 6)
    assert np.array_equal(view, samples(2, 6)) and np.shares_memory(view, ring._rows)
    assert np.array_equal(ring._rows[:4], ring._rows[4:])  # both halves identical


def test_ring_negative_start_reads_initial_fill():
    ring = RingBuffer((4, 2), np.float32, double=True)
    ring.new_chunk(np.ones((1, 2), np.float32))
    data = ring.get_data(-2, 1)
    assert np.isnan(data[:2]).all() and (data[2] == 1).all()


@pytest.mark.parametrize("double", [False, True])
def test_ring_get_data_bounds(double):
    ring = filled_ring(6, double=double)
    for start, stop in [(1, 6), (2, 7), (4, 3)]:
        with pytest.raises(IndexError):
            ring.get_data(start, stop)
    assert np.array_equal(ring.get_data(2, 6), samples(2, 6))
    assert ring.get_data(6, 6).shape == (0, 2)


@pytest.mark.parametrize("double", [False, True])
def test_ring_skipped_samples_are_filled(double):
    ring = RingBuffer((4, 2), np.float32, double=double, fill=-1.0)
    ring.new_chunk(np.ones((2, 2), np.float32))
    ring.new_chunk(np.full((1, 2), 5, np.float32), index=5)  # samples 2..3 skipped
    assert ring.get_data(1, 5)[:, 0].tolist() == [1, -1, -1, 5]
    ring.new_chunk(np.full((1, 2), 9, np.float32), index=20)  # skip longer than the ring
    assert ring.get_data(16, 20)[:, 0].tolist() == [-1, -1, -1, 9]


def test_ring_new_chunk_errors_keep_indexes():
    ring = filled_ring(3)
    for chunk, index in [(samples(0, 5), None), (samples(0, 2).astype(np.int32), None),
                         (samples(0, 2), 4), (np.zeros((1, 3), np.int16), None)]:
        with pytest.raises(ValueError):
            ring.new_chunk(chunk, index)
        assert (ring.index(), ring.write_index) == (3, 3)


def test_ring_axisorder_stores_channel_major():
    ring = RingBuffer((4, 3), np.int16, double=False, axisorder=[1, 0])
    ring.new_chunk(ramp(0, 4, (3,), np.int16))
    assert ring._rows.strides == (2, 8)
    assert np.array_equal(ring.get_data(0, 4), ramp(0, 4, (3,), np.int16))


def test_ring_integer_indexing():
    ring = filled_ring(6)
    assert ring[5].tolist() == samples(5, 6)[0].tolist()
    assert ring[-1].tolist() == samples(5, 6)[0].tolist()
    assert ring[-4].tolist() == samples(2, 3)[0].tolist()
    for bad in (1, 6, -5):
        with pytest.raises(IndexError):
            ring[bad]


@pytest.mark.parametrize("item, expected", [
    (slice(None), list(range(2, 6))),
    (slice(-3, None), [3, 4, 5]),
    (slice(3, 5), [3, 4]),
    (slice(None, None, 2), [2, 4]),
    (slice(-1, -4, -1), [5, 4, 3]),
    (slice(5, 2, -2), [5, 3]),
    (slice(None, -4, -1), [5, 4, 3]),
])
def test_ring_slices(item, expected):
    ring = filled_ring(6)
    assert (ring[item][:, 0] // 1000).tolist() == expected


def test_ring_slice_out_of_range():
    ring = filled_ring(6)
    with pytest.raises(IndexError):
        ring[1:4]
    with pytest.raises(IndexError):
        ring[3:8]


def test_ring_tuple_indexing():
    ring = filled_ring(6)
    assert ring[-2:, 1].tolist() == samples(4, 6)[:, 1].tolist()
    assert ring[-1, 0] == samples(5, 6)[0, 0]


# --------------------------------------------------------- live round trips

def send_and_receive_layouts(output, stream, nchan):
    for k, layout in enumerate(LAYOUTS):
        chunk = ramp(10 * k, 10, (nchan,), output.dtype)
        output.send(lay_out(chunk, layout), index=10 * k + 10)
        index, data = recv_one(stream)
        assert index == 10 * k + 10 and matches_ramp(index, data), layout


@pytest.mark.parametrize("protocol", ["tcp", "ipc", "inproc"])
@pytest.mark.parametrize("compression", ["", "blosc-lz4", "blosc-blosclz"])
def test_live_plaindata_round_trip(protocol, compression, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # ipc pipe files land in (and vanish from) tmp_path
    output, stream = connected_pair(dict(protocol=protocol, compression=compression,
                                         dtype="int16", shape=[-1, 3]))
    try:
        send_and_receive_layouts(output, stream, 3)
    finally:
        stream.close()
        output.close()
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("double", [False, True])
def test_live_sharedmem_round_trip(double):
    output, stream = connected_pair(dict(transfermode="sharedmem", buffer_size=64, double=double,
                                         dtype="float32", shape=[-1, 3], axisorder=[1, 0]))
    shm_id = output.params["shm_id"]
    try:
        send_and_receive_layouts(output, stream, 3)
    finally:
        stream.close()
        output.close()
    assert not os.path.exists(shm_id)


def test_live_structured_event_stream():
    dtype = [["index", "int64"], ["label", "S4"]]
    output, stream = connected_pair(dict(dtype=dtype, shape=[-1], streamtype="event"))
    try:
        events = ramp(0, 3, (), parse_dtype(dtype))
        output.send(events)
        index, data = recv_one(stream)
        assert index == 3 and data.tolist() == [(0, b"100"), (1000, b"1100"), (2000, b"2100")]
    finally:
        stream.close()
        output.close()


def test_live_plain_pub_with_probe_handshake():
    """Plain PUB: repeat an empty probe chunk until one gets through, then the
    consumer skips empty chunks (later probes may still be in flight)."""
    output = OutputStream()
    output.configure(dtype="float32", shape=[-1, 2])
    stream = InputStream()
    stream.connect(output.params)
    try:
        probe = np.zeros((0, 2), np.float32)
        for _ in range(100):  # bounded: 100 x 50 ms
            output.send(probe, index=0)
            if stream.poll(50):
                break
        else:
            pytest.fail("subscription never propagated")
        output.send(ramp(0, 4, (2,), np.float32), index=4)
        index, data = recv_one(stream)
        while data.shape[0] == 0:
            index, data = recv_one(stream)
        assert index == 4 and matches_ramp(index, data)
    finally:
        stream.close()
        output.close()


def test_input_buffer_and_history():
    output, stream = connected_pair(dict(dtype="int16", shape=[-1, 2]))
    stream.set_buffer(8, double=False)
    try:
        for k in range(5):
            output.send(ramp(3 * k, 3, (2,), np.int16))
            recv_one(stream)
        assert np.array_equal(stream.get_data(7, 15), samples(7, 15))
        first, second = stream.get_data(7, 15, join=False)
        assert np.array_equal(np.concatenate([first, second]), samples(7, 15))
        assert stream.buffer[-1].tolist() == samples(14, 15)[0].tolist()
    finally:
        stream.close()
        output.close()


def test_recv_without_data_and_empty_queue():
    output, stream = connected_pair(dict(protocol="inproc", dtype="int16", shape=[-1, 1]))
    try:
        for k in range(3):
            output.send(np.zeros((1, 1), np.int16))
        assert recv_one(stream)[1] is not None
        stream.empty_queue()
        assert not stream.poll(0)
        output.send(np.zeros((2, 1), np.int16))
        assert stream.poll(TIMEOUT_MS)
        assert stream.recv(return_data=False) == (5, None)
    finally:
        stream.close()
        output.close()


# --------------------------------------------------------------------- CLI

def run_cli_pair(send_args, recv_args, tmp_path):
    """`python -m specpeer send` then `recv` with the params it printed."""
    env = dict(os.environ, PYTHONPATH=HERE)
    sender = subprocess.Popen([sys.executable, "-m", "specpeer", "send", *send_args],
                              stdout=subprocess.PIPE, text=True, cwd=tmp_path, env=env)
    try:
        params = sender.stdout.readline()
        assert params, "sender printed no params"
        receiver = subprocess.run([sys.executable, "-m", "specpeer", "recv", "--params", params,
                                   *recv_args], capture_output=True, text=True, cwd=tmp_path,
                                  env=env, timeout=60)
        sender_tail = sender.communicate(timeout=60)[0]
    finally:
        if sender.poll() is None:
            sender.kill()
    return json.loads(params), receiver, sender_tail


@pytest.mark.parametrize("params, layout", [
    ({}, "strided"),
    ({"protocol": "ipc", "compression": "blosc-lz4"}, "f"),
    ({"transfermode": "sharedmem", "buffer_size": 640, "double": True}, "reversed"),
])
def test_cli_send_recv(params, layout, tmp_path):
    dump = tmp_path / "dump.npy"
    send_args = ["--params", json.dumps(params), "--dtype", "int16", "--nchan", "3", "--chunk", "64",
                 "--nchunks", "10", "--layout", layout, "--wait-subscriber"]
    recv_args = ["--nchunks", "10", "--check", "ramp", "--dump", str(dump)]
    stream_params, receiver, sender_tail = run_cli_pair(send_args, recv_args, tmp_path)
    assert receiver.returncode == 0, receiver.stderr
    lines = [json.loads(line) for line in receiver.stdout.splitlines()]
    assert lines[0]["ready"] and lines[-1] == {"chunks": 10, "index": 640, "complete": True, "ramp_ok": True}
    assert [line["index"] for line in lines[1:-1]] == list(range(64, 641, 64))
    assert json.loads(sender_tail.splitlines()[-1]) == {"sent": 10, "index": 640}
    assert np.array_equal(np.load(dump), ramp(0, 640, (3,), np.int16))
    assert "shm_id" not in stream_params or not os.path.exists(stream_params["shm_id"])
    assert sorted(os.listdir(tmp_path)) == ["dump.npy"]
