"""libpyacq binding: OutputStream -> InputStream through every transport and dtype."""

import json
import os
import re

import numpy as np
import pytest

import libpyacq
from binding_support import (ALL_DTYPES, LAYOUTS, TIMEOUT, TRANSPORTS, assert_same, byte_range, chunk,
                             connected, layout, pointer)
from libpyacq._arrays import CallerArray


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """ipc pipes are relative paths: create them in a temporary directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ------------------------------------------------------------------ dtype x transport

@pytest.mark.parametrize("transport", sorted(TRANSPORTS))
@pytest.mark.parametrize("dtype_name", sorted(ALL_DTYPES))
def test_every_dtype_through_every_transport(dtype_name, transport, in_tmp):
    dtype = ALL_DTYPES[dtype_name]
    with connected(dtype, **TRANSPORTS[transport]) as (output, stream):
        assert stream.dtype == dtype
        index = 0
        for rows, how in [(5, "c"), (1, "reversed"), (7, "strided"), (3, "transposed"), (4, "column-slice")]:
            data = chunk(dtype, rows, start=index)
            index += rows
            output.send(layout(data, how))
            got_index, got = stream.recv(timeout=TIMEOUT)
            assert got_index == index
            assert_same(got, data)
            assert not got.flags.writeable
        assert output.last_index == index
        assert stream.stats["samples_lost"] == 0
        assert stream.stats["chunks_received"] == 5


@pytest.mark.parametrize("how", LAYOUTS)
@pytest.mark.parametrize("transport", ["tcp", "tcp-blosc-lz4", "sharedmem-double-axisorder10"])
def test_non_contiguous_sends(how, transport):
    with connected("float64", shape=(-1, 5), **TRANSPORTS[transport]) as (output, stream):
        data = chunk("float64", 9, frame_shape=(5,))
        sent = layout(data, how)
        output.send(sent, index=9)
        index, got = stream.recv(timeout=TIMEOUT)
        assert index == 9
        assert_same(got, data)


def test_plaindata_keeps_the_senders_memory_layout():
    """PROTOCOL §9: contiguous blocks travel as they are (strides and offset), the receiver's
    view has the sender's strides -- negative ones included."""
    with connected("float32", shape=(-1, 6)) as (output, stream):
        base = chunk("float32", 4, frame_shape=(6,))
        output.send(base[::-1])
        assert stream.recv(timeout=TIMEOUT)[1].strides == (-24, 4)
        output.send(base.T.copy().T)  # Fortran order
        assert stream.recv(timeout=TIMEOUT)[1].strides == (4, 16)
        wide = chunk("float32", 8, frame_shape=(6,))
        output.send(wide[::2])  # not contiguous: compacted, axis order kept
        assert stream.recv(timeout=TIMEOUT)[1].strides == (24, 4)


def test_send_passes_the_callers_memory_without_copying():
    base = chunk("int16", 10, frame_shape=(4,))
    for view in (base, base[::-1], base[::2, ::-1], base.T, np.asfortranarray(base)):
        described = CallerArray(view)
        assert described.pointer == pointer(view)  # element [0, ...] of the caller's array
        assert list(described.shape) == list(view.shape)
        assert list(described.strides) == list(view.strides)
        assert described.array is view
    assert CallerArray(base).dtype == b"<i2"
    structured = CallerArray(np.zeros(3, ALL_DTYPES["structured-subarray"]))
    assert json.loads(structured.dtype) == [["index", "<i8"], ["xyz", "<f4", [3]], ["flag", "|b1"]]


# ------------------------------------------------------------------ zero copy on receive

def test_recv_view_is_zero_copy_of_library_memory():
    with connected("float32", shape=(-1, 4)) as (output, stream):
        output.send(chunk("float32", 6, frame_shape=(4,)))
        _, data = stream.recv(timeout=TIMEOUT)
        assert not data.flags.owndata
        interface = data.base.__array_interface__  # the library's pyacq_view, as numpy sees it
        assert interface["data"][0] == pointer(data)
        output.send(chunk("float32", 6, frame_shape=(4,), start=6))
        _, copied = stream.recv(timeout=TIMEOUT, copy=True)
        assert copied.flags.owndata and copied.flags.writeable and copied.flags.c_contiguous


@pytest.mark.parametrize("double", [False, True])
def test_sharedmem_recv_views_point_into_the_shared_ring(double):
    with connected("int32", shape=(-1, 3), transfermode="sharedmem", buffer_size=32, double=double,
                   axisorder=[1, 0]) as (output, stream):
        ring = stream.buffer  # the producer's ring, mapped read-only
        assert ring is not None and ring.shape == (32, 3) and ring.double == double
        output.send(chunk("int32", 8, frame_shape=(3,)))
        index, data = stream.recv(timeout=TIMEOUT)
        whole = ring.get_data(ring.first_index() if double else 0, index)
        low, high = byte_range(whole)
        assert low <= byte_range(data)[0] and byte_range(data)[1] <= high
        assert np.shares_memory(data, ring[index - 8:index])
        assert pointer(data) == pointer(ring.get_data(index - 8, index))
        # the shared file really holds what the view shows: header (read, write index) + data
        with open(output.params["shm_id"], "rb") as handle:
            raw = handle.read()
        assert np.frombuffer(raw[:16], np.int64).tolist() == [8, 8]
        rows = 64 if double else 32
        memory = np.frombuffer(raw[16:], np.int32).reshape(3, rows)  # axisorder [1, 0]
        assert np.array_equal(memory[:, :8].T, data)


def test_sharedmem_single_ring_chunk_crossing_the_end_is_joined():
    """A chunk that wraps a single ring comes back as one (copied) array; large enough that a
    dangling view of freed memory would fault (regression: the copy must outlive recv)."""
    frame = (64,)
    with connected("float64", shape=(-1, 64), transfermode="sharedmem", buffer_size=1000,
                   double=False) as (output, stream):
        for k in range(3):
            data = chunk("float64", 700, frame_shape=frame, start=700 * k)
            output.send(data)
            index, got = stream.recv(timeout=TIMEOUT)
            assert index == 700 * (k + 1)
            assert_same(got, data)


def test_blosc_large_chunks_stay_valid_until_next_recv():
    """The decompressed buffer behind a view must live until the next recv (regression)."""
    with connected("float64", shape=(-1, 64), compression="blosc-lz4") as (output, stream):
        for k in range(3):
            data = chunk("float64", 700, frame_shape=(64,), start=700 * k)
            output.send(data)
            _, got = stream.recv(timeout=TIMEOUT)
            assert_same(got, data)


# ------------------------------------------------------------------ params, index, misc

def test_params_after_configure():
    output = libpyacq.OutputStream(name="sig")
    with output:
        output.configure(dtype=np.int16, shape=(-1, 2), sample_rate=250.0, channel_info=[{"name": "a"}])
        params = output.params
        assert params["dtype"] == "int16" and params["shape"] == [-1, 2]
        assert re.fullmatch(r"[0-9]+", params["port"]) and params["interface"] == "127.0.0.1"
        assert params["channel_info"] == [{"name": "a"}] and params["sample_rate"] == 250.0
        for key in ("protocol", "transfermode", "streamtype", "axisorder", "buffer_size", "compression",
                    "scale", "offset", "units", "double", "fill"):
            assert key in params
        assert output.dtype == np.int16
    assert output.closed


@pytest.mark.parametrize("protocol", ["ipc", "inproc"])
def test_pipe_names(protocol, in_tmp):
    with libpyacq.OutputStream() as output:
        output.configure(protocol=protocol)
        assert re.fullmatch(r"pyacq_pipe_[A-Z0-9]{24}", output.params["interface"])
        if protocol == "ipc":
            assert os.path.exists(in_tmp / output.params["interface"])
    if protocol == "ipc":
        assert not os.path.exists(in_tmp / output.params["interface"])


def test_spec_fixes_params():
    with libpyacq.OutputStream(spec={"shape": [-1, 2], "dtype": "int16"}) as output:
        output.configure(sample_rate=10.0)
        assert output.params["shape"] == [-1, 2]
        with pytest.raises(libpyacq.ParamsError, match="fixed"):
            output.configure(dtype="float32")


def test_input_spec_overrides_and_checks():
    with libpyacq.OutputStream() as output:
        output.configure(dtype="float32", shape=[-1, 4], compression="blosc-lz4")
        with libpyacq.InputStream(spec={"dtype": "<f4", "gain": 2}) as stream:
            stream.connect(output)
            assert stream.params["gain"] == 2
        with pytest.raises(libpyacq.DTypeError):
            libpyacq.InputStream(spec={"dtype": "int16"}).connect(output)
        with pytest.raises(libpyacq.ParamsError):
            libpyacq.InputStream(spec={"shape": [-1, 3]}).connect(output)


def test_explicit_and_implicit_indexes_and_gaps():
    with connected("int16", shape=(-1, 2)) as (output, stream):
        output.send(chunk("int16", 4, (2,)))
        assert stream.recv(timeout=TIMEOUT)[0] == 4
        output.send(chunk("int16", 4, (2,)), index=100)  # 92 samples skipped
        assert stream.recv(timeout=TIMEOUT)[0] == 100
        output.send(chunk("int16", 2, (2,)))
        assert stream.recv(timeout=TIMEOUT)[0] == 102
        stats = stream.stats
        assert stats["samples_lost"] == 92 and stats["samples_received"] == 10
        output.reset_index()
        assert output.last_index == 0
        output.send(chunk("int16", 3, (2,)))
        assert stream.recv(timeout=TIMEOUT)[0] == 3


def test_recv_without_data_poll_and_empty_queue():
    with connected("float32", shape=(-1, 3)) as (output, stream):
        assert stream.poll(timeout=0) is False
        for k in range(5):
            output.send(chunk("float32", 2, start=2 * k))
        assert stream.poll(timeout=TIMEOUT * 1000) is True  # milliseconds, as pyacq
        assert stream.recv(return_data=False, timeout=TIMEOUT) == (2, None)
        assert stream.recv(timeout=TIMEOUT)[0] == 4
        # the three others are queued (or arriving): drain them by index
        discarded = 0
        while discarded < 3:
            assert stream.poll(timeout=TIMEOUT * 1000)
            discarded += stream.empty_queue()
        assert discarded == 3
        assert stream.poll(timeout=0) is False


def test_subscriber_count():
    with connected("float32") as (output, stream):
        assert output.subscriber_count == 1
        other = libpyacq.InputStream()
        other.connect(output)
        output.wait_for_subscribers(2, timeout=TIMEOUT)
        assert output.subscriber_count == 2
        other.close()


def test_input_buffer_get_data_and_indexing():
    with connected("float32", shape=(-1, 3)) as (output, stream):
        assert stream.buffer is None
        stream.set_buffer(20)
        index = 0
        for rows in (8, 8, 8):
            output.send(chunk("float32", rows, start=index))
            index, _ = stream.recv(timeout=TIMEOUT)
        assert index == 24
        expected = chunk("float32", 20, start=4)
        assert_same(stream.get_data(4, 24), expected)
        assert_same(stream.buffer[-5:], expected[-5:])
        assert_same(stream.buffer[10:20:3], expected[6:16:3])
        assert_same(stream.buffer[-1], expected[-1])
        assert_same(stream.buffer[10:14, 1], expected[6:10, 1])
        with pytest.raises(libpyacq.BufferIndexError):
            stream.get_data(0, 10)
        stream.reset_buffer_index()
        assert stream.buffer.index() == 0


def test_set_buffer_on_sharedmem_reader():
    with connected("int16", shape=(-1, 2), transfermode="sharedmem", buffer_size=10) as (output, stream):
        stream.set_buffer(50, double=False)
        for k in range(4):
            output.send(chunk("int16", 8, (2,), start=8 * k))
            stream.recv(timeout=TIMEOUT)
        assert stream.buffer.shape == (50, 2)
        assert_same(stream.get_data(0, 32), chunk("int16", 32, (2,)))


def test_recv_timeout_is_in_seconds_and_a_timeout_error():
    with connected("float32") as (_, stream):
        with pytest.raises(TimeoutError):
            stream.recv(timeout=0.05)
        with pytest.raises(libpyacq.PyAcqTimeout, match="within"):
            stream.recv(timeout=0)
