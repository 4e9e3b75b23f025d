"""Issue 17's small-chunk paths keep their meaning: a C-order chunk of caller memory goes out
without a view being built (any other layout falls back and arrives the same), the header of a
layout seen before is not parsed again (but a bad index or data size in it is still caught),
and arrays a consumer keeps are never overwritten by the frames of later receives."""

import numpy as np
import pytest

import libpyacq
from binding_support import TIMEOUT, connected, plaindata_header, raw_publisher

STAMPING = [pytest.param({}, id="stamped"), pytest.param({"timestamps": False}, id="unstamped")]


def _chunk(rows, channels, start):
    return (np.arange(rows * channels, dtype="float32") + start).reshape(rows, channels)


@pytest.mark.parametrize("stamping", STAMPING)
@pytest.mark.parametrize("protocol", ["tcp", "inproc"])
def test_kept_arrays_are_never_overwritten_by_later_receives(protocol, stamping):
    sent, kept = [], []
    with connected("float32", shape=(-1, 4), protocol=protocol, **stamping) as (output, stream):
        for k in range(200):
            sent.append(_chunk(16, 4, 1000 * k))
            output.send(sent[-1])
            index, data = stream.recv(timeout=TIMEOUT)
            assert index == 16 * (k + 1)
            kept.append(data)
        assert stream.stats["samples_lost"] == 0
    for k, (expected, data) in enumerate(zip(sent, kept)):
        assert np.array_equal(data, expected), "chunk %d changed after later receives" % k


@pytest.mark.parametrize("stamping", STAMPING)
def test_every_layout_of_caller_memory_arrives_as_sent(stamping):
    base = _chunk(32, 8, 0)
    layouts = [
        ("c-order", base[:16]),
        ("same rows again", base[16:32]),
        ("other row count", base[:3]),
        ("no rows", base[:0]),
        ("one row", base[5:6]),
        ("fortran order", np.asfortranarray(base[:16])),
        ("reversed rows", base[::-1][:16]),
        ("strided rows", base[::2]),
        ("c-order after the others", base[:16]),
    ]
    with connected("float32", shape=(-1, 8), **stamping) as (output, stream):
        index = 0
        for name, chunk in layouts:
            output.send(chunk)
            index += chunk.shape[0]
            got_index, data = stream.recv(timeout=TIMEOUT)
            assert got_index == index, name
            assert data.shape == chunk.shape and np.array_equal(data, chunk), name
        assert stream.stats["chunks_received"] == len(layouts)


def test_a_chunk_that_does_not_fit_the_stream_is_refused_and_the_stream_goes_on():
    with connected("float32", shape=(-1, 4)) as (output, stream):
        with pytest.raises(libpyacq.DTypeError, match="dtype"):
            output.send(np.zeros((16, 4), dtype="int16"))
        with pytest.raises(libpyacq.PyAcqError, match="shape"):
            output.send(np.zeros((16, 5), dtype="float32"))
        with pytest.raises(libpyacq.PyAcqError, match="dimensions"):
            output.send(np.zeros(16, dtype="float32"))
        good = _chunk(16, 4, 7)
        output.send(good)
        index, data = stream.recv(timeout=TIMEOUT)
        assert index == 16 and np.array_equal(data, good)
        assert output.last_index == 16


def test_a_remembered_header_layout_still_checks_index_and_data_size():
    with raw_publisher() as (publisher, stream):
        data = _chunk(4, 4, 0)
        publisher.send_multipart([plaindata_header([4, 4], [16, 4], 4), data.tobytes()])
        publisher.send_multipart([plaindata_header([4, 4], [16, 4], 2 ** 63), data.tobytes()])
        publisher.send_multipart([plaindata_header([4, 4], [16, 4], 8), data.tobytes()[:32]])
        publisher.send_multipart([plaindata_header([4, 4], [16, 4], 12), (data + 1).tobytes()])
        index, received = stream.recv(timeout=TIMEOUT)
        assert index == 4 and np.array_equal(received, data)
        with pytest.raises(libpyacq.MalformedMessage, match="index"):
            stream.recv(timeout=TIMEOUT)
        with pytest.raises(libpyacq.MalformedMessage):
            stream.recv(timeout=TIMEOUT)
        index, received = stream.recv(timeout=TIMEOUT)
        assert index == 12 and np.array_equal(received, data + 1)
        assert stream.stats["malformed_messages"] == 2


@pytest.mark.parametrize("timeout", [0, 0.25])
def test_a_receive_that_times_out_leaves_the_stream_usable(timeout):
    with connected("float32", shape=(-1, 4)) as (output, stream):
        with pytest.raises(libpyacq.PyAcqTimeout):
            stream.recv(timeout=timeout)
        output.send(_chunk(16, 4, 0))
        index, _ = stream.recv(timeout=TIMEOUT)
        assert index == 16


@pytest.mark.parametrize("transfer", [
    pytest.param({}, id="plaindata"),
    pytest.param({"transfermode": "sharedmem", "buffer_size": 256}, id="sharedmem-notifications"),
])
def test_stamps_travel_with_each_chunk(transfer):
    spec = {"shm_wakeup": False} if transfer else None
    with connected("float32", shape=(-1, 4), input_spec=spec, **transfer) as (output, stream):
        for k in range(20):
            chunk = _chunk(16, 4, k)
            output.send(chunk, timestamp=100.0 + k / 8)
            index, data = stream.recv(timeout=TIMEOUT)
            assert index == 16 * (k + 1) and np.array_equal(data, chunk)
            assert stream.last_raw_timestamp == 100.0 + k / 8


def test_a_pyacq_consumer_joining_a_stamping_output_gets_its_chunks():
    """A stamping output with only libpyacq consumers skips its plain endpoint; an original
    pyacq consumer (a bare SUB on that endpoint) that joins later still gets pyacq's 2-frame
    messages, while the libpyacq consumer keeps getting every chunk, stamped."""
    import zmq
    with connected("float32", shape=(-1, 4), protocol="tcp", interface="127.0.0.1") as (output, stream):
        assert "timestamps" in output.params
        output.send(_chunk(16, 4, 0))
        assert stream.recv(timeout=TIMEOUT)[0] == 16
        plain = zmq.Context.instance().socket(zmq.SUB)
        plain.setsockopt(zmq.LINGER, 0)
        plain.setsockopt(zmq.SUBSCRIBE, b"")
        plain.connect("tcp://127.0.0.1:%s" % output.params["port"])
        try:
            sent = 1
            # Until the subscription has reached the producer (bounded; each poll waits for data).
            while not plain.poll(1):
                sent += 1
                assert sent < 20000, "the pyacq consumer never got a chunk"
                output.send(_chunk(16, 4, 1000 * sent))
            header, data = plain.recv_multipart()
            index = int.from_bytes(header[8:16], "big")
            assert len(header) == 56 and index % 16 == 0 and index <= 16 * sent
            assert np.array_equal(np.frombuffer(data, "float32").reshape(16, 4), _chunk(16, 4, 1000 * (index // 16)))
            for k in range(2, sent + 1):
                got, received = stream.recv(timeout=TIMEOUT)
                assert got == 16 * k and np.array_equal(received, _chunk(16, 4, 1000 * k))
            assert stream.stats["samples_lost"] == 0 and stream.last_timestamp is not None
        finally:
            plain.close()
