"""libpyacq binding: bad input becomes a Python exception with a clear message; malformed
messages are rejected one by one; a stalled consumer never blocks the producer."""

import struct
import threading

import blosc
import numpy as np
import pytest
import zmq

import libpyacq
import specpeer
from binding_support import TIMEOUT, chunk, connected

# ------------------------------------------------------------------ output streams


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(transfermode="carrier-pigeon"), libpyacq.ParamsError, "transfermode"),
    (dict(protocol="udp"), libpyacq.ParamsError, "protocol"),
    (dict(shape=[0, 2]), libpyacq.ParamsError, "shape"),
    (dict(shape=[-1, 0]), libpyacq.ParamsError, "shape"),
    (dict(shape=[]), libpyacq.ParamsError, "shape"),
    (dict(shape="wide"), libpyacq.ParamsError, "shape"),
    (dict(transfermode="sharedmem"), libpyacq.ParamsError, "buffer_size"),
    (dict(transfermode="sharedmem", buffer_size=4, shape=[8, 2]), libpyacq.ParamsError, "buffer_size"),
    (dict(compression="zip"), libpyacq.ParamsError, "compression"),
    (dict(dtype="float33"), libpyacq.DTypeError, "float33"),
    (dict(dtype=[["a"]]), libpyacq.DTypeError, "field"),
    (dict(interface="256.1.1.1"), libpyacq.PyAcqIOError, "bind"),
    (dict(transfermode="sharedmem", buffer_size=4, axisorder="C"), libpyacq.ParamsError, "axisorder"),
    (dict(transfermode="sharedmem", buffer_size=4, shape=[-1, 2], axisorder=[0, 2]), libpyacq.ParamsError,
     "axisorder"),
    (dict(gain=object()), libpyacq.InvalidArgument, "JSON"),
])
def test_bad_params(kwargs, error, message):
    with libpyacq.OutputStream() as output:
        with pytest.raises(error, match=message):
            output.configure(**kwargs)
        output.configure(shape=[-1, 2])  # still usable afterwards
        assert output.params["shape"] == [-1, 2]


@pytest.mark.parametrize("data, error, message", [
    (np.zeros((4, 2), "float64"), libpyacq.DTypeError, "dtype"),
    (np.zeros((4, 2), ">f4"), libpyacq.DTypeError, "dtype"),
    (np.zeros((4, 3), "float32"), libpyacq.InvalidArgument, "shape"),
    (np.zeros((4, 2, 1), "float32"), libpyacq.InvalidArgument, "dimensions"),
    (np.zeros(4, "float32"), libpyacq.InvalidArgument, "dimensions"),
    (np.float32(1.0), libpyacq.InvalidArgument, "scalar"),
    (np.zeros((4, 2), object), libpyacq.DTypeError, "object"),
    (np.zeros((1,) * 33, "float32"), libpyacq.InvalidArgument, "dimensions"),
    ([[1.0, 2.0]], libpyacq.DTypeError, "float64"),
    (np.zeros((2, 2), [("a", "u1"), ("b", "<f4")]), libpyacq.DTypeError, "dtype"),
    (np.zeros((2, 2), np.dtype([("a", "u1"), ("b", "<f8")], align=True)), libpyacq.DTypeError, "padding"),
])
def test_wrong_chunks_to_send(data, error, message):
    with libpyacq.OutputStream() as output:
        output.configure(dtype="float32", shape=[-1, 2])
        with pytest.raises(error, match=message):
            output.send(data)
        output.send(np.zeros((4, 2), "float32"))  # still usable
        assert output.last_index == 4


def test_fixed_chunk_length_and_negative_index():
    with libpyacq.OutputStream() as output:
        output.configure(dtype="int16", shape=[4, 2])
        with pytest.raises(libpyacq.InvalidArgument, match="shape"):
            output.send(np.zeros((3, 2), "int16"))
        with pytest.raises(libpyacq.InvalidArgument, match="index"):
            output.send(np.zeros((4, 2), "int16"), index=-1)


def test_send_before_configure():
    with libpyacq.OutputStream() as output:
        with pytest.raises(libpyacq.StateError, match="configure"):
            output.send(np.zeros((1, 1), "float32"))
        with pytest.raises(libpyacq.StateError):
            output.wait_for_subscribers(1, timeout=0)
        assert output.params == {}


def test_calls_on_closed_objects():
    output = libpyacq.OutputStream()
    output.configure(shape=[-1, 2])
    stream = libpyacq.InputStream()
    stream.connect(output)
    output.close()
    output.close()  # idempotent
    stream.close()
    stream.close()
    for call in (lambda: output.send(np.zeros((1, 2), "float32")), lambda: output.configure(),
                 lambda: output.last_index, lambda: output.reset_index(),
                 lambda: stream.recv(timeout=0), lambda: stream.poll(0),
                 lambda: stream.connect(output.params), lambda: stream.set_buffer(10), lambda: stream.empty_queue()):
        with pytest.raises(libpyacq.ClosedError, match="closed"):
            call()
    assert stream.stats["chunks_received"] == 0  # the final count stays readable
    assert "closed" in repr(output) and "closed" in repr(stream)


def test_close_from_another_thread_ends_a_blocking_recv():
    with connected("float32", shape=(-1, 2)) as (_, stream):
        caught = []

        def receive():
            try:
                stream.recv()  # forever
            except libpyacq.PyAcqError as exc:
                caught.append(exc)

        thread = threading.Thread(target=receive)
        thread.start()
        # the receiving thread holds no GIL while it waits: this thread runs and closes
        stream.close()
        thread.join(timeout=10)
        assert not thread.is_alive()
        assert len(caught) == 1 and isinstance(caught[0], libpyacq.StateError)


# ------------------------------------------------------------------ input streams

def test_input_errors():
    with libpyacq.InputStream() as stream:
        with pytest.raises(libpyacq.StateError, match="connect"):
            stream.recv(timeout=0)
        with pytest.raises(libpyacq.StateError, match="connect"):
            stream.set_buffer(10)
        with pytest.raises(libpyacq.StateError, match="not configured"):
            stream.connect(libpyacq.OutputStream())
        with pytest.raises(libpyacq.InvalidArgument, match="params"):
            stream.connect(42)
        with pytest.raises(libpyacq.ParamsError, match="shm_id"):
            stream.connect(dict(transfermode="sharedmem", buffer_size=10, shape=[-1, 2], dtype="float32"))
        with pytest.raises(libpyacq.PyAcqIOError):
            stream.connect(dict(transfermode="sharedmem", buffer_size=10, shape=[-1, 2], dtype="float32",
                                shm_id="/nonexistent/pyacq_SharedMem_x"))
        with pytest.raises(libpyacq.ParamsError, match="dtype"):
            stream.connect(dict(protocol="tcp", interface="127.0.0.1", port="1", shape=[-1, 2],
                                transfermode="plaindata"))
        with pytest.raises(libpyacq.ParamsError, match="protocol"):
            stream.connect(dict(protocol="pigeon", transfermode="plaindata", dtype="float32", shape=[-1, 2]))
        stream.connect(dict(protocol="tcp", interface="127.0.0.1", port="1", shape=[-1, 2], dtype="float32",
                            transfermode="plaindata"))
        with pytest.raises(libpyacq.StateError, match="no buffer"):
            stream.get_data(0, 1)
        with pytest.raises(libpyacq.ParamsError, match="size"):
            stream.set_buffer(0)
        with pytest.raises(libpyacq.InvalidArgument, match="timeout"):
            stream.recv(timeout=-1)


def test_read_only_shared_ring():
    with connected("float32", shape=(-1, 2), transfermode="sharedmem", buffer_size=8) as (output, stream):
        output.send(np.ones((2, 2), "float32"))
        stream.recv(timeout=TIMEOUT)
        with pytest.raises(libpyacq.StateError, match="read-only"):
            stream.buffer.reset_index()
        with pytest.raises(libpyacq.StateError, match="read-only"):
            stream.buffer.new_chunk(np.ones((2, 2), "float32"))


# ------------------------------------------------------------------ malformed messages

@pytest.fixture
def raw_publisher():
    """A raw pyzmq XPUB on 127.0.0.1 and a function connecting a libpyacq InputStream to it
    once its subscription has arrived."""
    context = zmq.Context.instance()
    socket = context.socket(zmq.XPUB)
    socket.linger = 0
    socket.bind("tcp://127.0.0.1:*")
    port = socket.getsockopt_string(zmq.LAST_ENDPOINT).rsplit(":", 1)[1]
    streams = []

    def connect(**params):
        base = dict(protocol="tcp", interface="127.0.0.1", port=port, transfermode="plaindata",
                    dtype="float32", shape=[-1, 2], compression="")
        base.update(params)
        stream = libpyacq.InputStream()
        stream.connect(base)
        streams.append(stream)
        assert socket.poll(int(TIMEOUT * 1000)), "no subscription"
        assert socket.recv()[:1] == b"\x01"
        return stream

    yield socket, connect
    for stream in streams:
        stream.close()
    socket.close()


def header(index, offset, shape, strides, ndim=None):
    ndim = len(shape) if ndim is None else ndim
    return struct.pack(">QQQ%dQ%dq" % (len(shape), len(strides)), ndim, index, offset, *shape, *strides)


GOOD = np.arange(8, dtype="float32").reshape(4, 2)
MALFORMED_PLAINDATA = {
    "one frame": [header(4, 0, (4, 2), (8, 4)) + GOOD.tobytes()],
    "three frames": [header(4, 0, (4, 2), (8, 4)), GOOD.tobytes(), b"extra"],
    "short header": [header(4, 0, (4, 2), (8, 4))[:16], GOOD.tobytes()],
    "header size vs ndim": [header(4, 0, (4, 2), (8, 4), ndim=3), GOOD.tobytes()],
    "ndim over 32": [header(4, 0, (1,) * 40, (4,) * 40), GOOD.tobytes()],
    "offset outside data": [header(4, 1000, (4, 2), (8, 4)), GOOD.tobytes()],
    "shape outside data": [header(40, 0, (40, 2), (8, 4)), GOOD.tobytes()],
    "negative stride before data": [header(4, 0, (4, 2), (-8, 4)), GOOD.tobytes()],
    "huge stride": [header(4, 0, (4, 2), (1 << 60, 4)), GOOD.tobytes()],
    "zero dimensions": [header(4, 0, (), ()), GOOD.tobytes()],
    "truncated data": [header(4, 0, (4, 2), (8, 4)), GOOD.tobytes()[:20]],
    "index out of range": [header(1 << 63, 0, (4, 2), (8, 4)), GOOD.tobytes()],
}


def test_malformed_plaindata_messages(raw_publisher):
    socket, connect = raw_publisher
    stream = connect()
    for k, (name, frames) in enumerate(MALFORMED_PLAINDATA.items()):
        socket.send_multipart(frames)
        with pytest.raises(libpyacq.MalformedMessage) as info:
            stream.recv(timeout=TIMEOUT)
        assert str(info.value), name
        assert stream.stats["malformed_messages"] == k + 1, name
        # a valid chunk right after is received normally
        socket.send_multipart([header(4 * (k + 1), 0, (4, 2), (8, 4)), GOOD.tobytes()])
        index, data = stream.recv(timeout=TIMEOUT)
        assert index == 4 * (k + 1) and np.array_equal(data, GOOD), name
    stats = stream.stats
    assert stats["malformed_messages"] == len(MALFORMED_PLAINDATA)
    assert stats["chunks_received"] == len(MALFORMED_PLAINDATA)
    assert stats["last_error"]


@pytest.mark.parametrize("compression", ["blosc-lz4", "blosc-blosclz"])
def test_malformed_blosc_frames(raw_publisher, compression):
    socket, connect = raw_publisher
    stream = connect(compression=compression)
    packed = blosc.compress(GOOD.tobytes(), typesize=4, cname=compression.split("-")[1])
    bad_frames = {
        "garbage": b"this is not a blosc frame at all!",
        "empty": b"",
        "truncated": packed[:len(packed) // 2] if len(packed) > 32 else packed[:10],
        "too small for the header": blosc.compress(GOOD.tobytes()[:8], typesize=4),
        "lies about its size": packed[:4] + struct.pack("<I", 1 << 30) + packed[8:],
    }
    for k, (name, payload) in enumerate(bad_frames.items()):
        socket.send_multipart([header(4, 0, (4, 2), (8, 4)), payload])
        with pytest.raises(libpyacq.MalformedMessage):
            stream.recv(timeout=TIMEOUT)
    socket.send_multipart([header(4, 0, (4, 2), (8, 4)), packed])
    index, data = stream.recv(timeout=TIMEOUT)
    assert index == 4 and np.array_equal(data, GOOD)
    assert stream.stats["malformed_messages"] == len(bad_frames)


def test_malformed_sharedmem_notifications():
    producer = specpeer.OutputStream(detect_subscribers=True)
    producer.configure(transfermode="sharedmem", buffer_size=16, dtype="int16", shape=[-1, 2])
    stream = libpyacq.InputStream()
    try:
        stream.connect(producer.params)
        assert producer.wait_for_subscribers(1, int(TIMEOUT * 1000))
        for frames in ([b"short"], [struct.pack(">QQ", 4, 4), b"x"], [struct.pack(">QQ", 40, 20)],
                       [struct.pack(">QQ", 2, 4)]):
            producer.socket.send_multipart(frames)
            with pytest.raises(libpyacq.MalformedMessage):
                stream.recv(timeout=TIMEOUT)
        producer.socket.send(struct.pack(">QQ", 8, 4))  # not written yet: outside the ring
        with pytest.raises(libpyacq.BufferIndexError):
            stream.recv(timeout=TIMEOUT)
        data = chunk("int16", 4, (2,))
        producer.send(data)
        index, got = stream.recv(timeout=TIMEOUT)
        assert index == 4 and np.array_equal(got, data)
        assert stream.stats["malformed_messages"] == 5
    finally:
        stream.close()
        producer.close()


# ------------------------------------------------------------------ slow consumer

@pytest.mark.parametrize("protocol", ["tcp", "inproc"])
def test_stalled_consumer_never_blocks_the_producer_and_sees_the_loss(protocol):
    rows, nchunks = 64, 6000  # far beyond the 1000-message high-water marks
    with connected("float32", shape=(-1, 16), protocol=protocol) as (output, stream):
        block = np.zeros((rows, 16), "float32")
        finished = threading.Event()

        def produce():
            for k in range(nchunks):
                output.send(block, index=(k + 1) * rows)
            finished.set()

        producer = threading.Thread(target=produce)
        producer.start()
        producer.join(timeout=120)  # the consumer reads nothing meanwhile
        assert finished.is_set(), "the producer blocked on a stalled consumer"

        # Drain what was queued until nothing comes for a second, then publish a sentinel
        # chunk into the now empty queues (again, should it be dropped) and drain up to it.
        first_start = last = sentinel = None
        for attempt in range(20):
            while True:
                try:
                    last, _ = stream.recv(timeout=1.0)
                except libpyacq.PyAcqTimeout:
                    break
                first_start = last - rows if first_start is None else first_start
            if sentinel is not None and last == sentinel:
                break
            sentinel = (nchunks + 1 + attempt) * rows
            output.send(block, index=sentinel)
        assert last == sentinel
        stats = stream.stats
        assert stats["samples_lost"] > 0
        assert stats["chunks_received"] < nchunks
        assert stats["samples_received"] == stats["chunks_received"] * rows
        assert stats["samples_received"] + stats["samples_lost"] == sentinel - first_start

