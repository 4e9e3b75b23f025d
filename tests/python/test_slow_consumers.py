"""Issue 11: what a slow consumer can make either end hold is bounded by `max_queued_bytes`,
a stalled consumer loses chunks alone (and sees the gap), and a sharedmem reader's count covers
every sample published, also when notifications never reach it."""

import struct

import numpy as np
import pytest

import libpyacq
from binding_support import TIMEOUT, connected

MiB = 1 << 20


@pytest.mark.parametrize("shape,max_queued,chunks", [
    ((16384, 16), 64 * MiB, 63),           # 1 MiB chunks: 64 MiB / (1 MiB + 256 B)
    ((16384, 16), 2 * MiB, 16),            # never fewer than 16 (and max_queued_bytes raised to match)
    ((16, 16), 256 * MiB, 100_000),        # small chunks: capped
    ((-1, 16), 64 * MiB, 1000),            # variable length: the byte budget bounds it
])
def test_each_consumers_queue_follows_max_queued_bytes(shape, max_queued, chunks):
    with connected("float32", shape=shape, max_queued_bytes=max_queued) as (output, _):
        stats = output.stats
        assert stats["consumer_queue_chunks"] == chunks
        assert stats["max_queued_bytes"] == max(max_queued, 16 * (shape[0] * shape[1] * 4 + 256) if shape[0] > 0 else 0)
        assert stats["queued_bytes"] == 0 and stats["queued_bytes_peak"] == 0


def test_bad_max_queued_bytes_is_refused():
    output = libpyacq.OutputStream()
    try:
        with pytest.raises(libpyacq.PyAcqError, match="max_queued_bytes"):
            output.configure(shape=[-1, 4], max_queued_bytes=0)
    finally:
        output.close()


def _kernel_socket_bytes():
    """Most bytes loopback TCP may buffer for one connection (send + receive sides)."""
    total = 0
    for name in ("tcp_wmem", "tcp_rmem"):
        with open("/proc/sys/net/ipv4/" + name) as f:
            total += int(f.read().split()[2])
    return total


def test_a_stalled_consumer_loses_chunks_alone_and_sees_the_gap():
    rows, channels, count = 16384, 16, 80  # 1 MiB chunks
    chunk_bytes = rows * channels * 4
    max_queued = 20 * MiB
    with connected("float32", shape=(rows, channels), max_queued_bytes=max_queued) as (output, fast):
        slow = libpyacq.InputStream()
        try:
            slow.connect(output)
            output.wait_for_subscribers(2, timeout=TIMEOUT)
            queue = output.stats["consumer_queue_chunks"]
            for k in range(1, count + 1):
                output.send(np.full((rows, channels), k, "float32"))
                index, data = fast.recv(timeout=TIMEOUT)  # the fast consumer keeps up
                assert index == k * rows and data[0, 0] == k and data[-1, -1] == k
            stats = output.stats
            assert stats["chunks_dropped"] == 0  # the stalled consumer cost the fast one nothing
            assert stats["queued_bytes_peak"] <= 2 * max_queued
            assert fast.stats["samples_lost"] == 0

            received = []
            while True:
                try:
                    index, data = slow.recv(timeout=0.5)
                except libpyacq.PyAcqTimeout:
                    break
                assert np.all(data == index // rows)  # intact
                received.append(index // rows)
            # What it got before losing chunks: its queue at the producer, its own queue and the
            # kernel's socket buffers, no more.
            assert received == list(range(1, len(received) + 1))
            bound = 2 * queue + _kernel_socket_bytes() // chunk_bytes + 2
            assert 0 < len(received) < count and len(received) <= bound, (len(received), bound)
            # The next chunk shows it the gap, counted.
            output.send(np.full((rows, channels), count + 1, "float32"))
            assert fast.recv(timeout=TIMEOUT)[0] == (count + 1) * rows
            index, data = slow.recv(timeout=TIMEOUT)
            assert index == (count + 1) * rows and np.all(data == count + 1)
            stats = slow.stats
            assert stats["samples_lost"] == (count - len(received)) * rows
            assert stats["samples_received"] + stats["samples_lost"] == index
            assert output.stats["queued_bytes"] <= 2 * max_queued
        finally:
            slow.close()


def _notification(index, rows):
    return struct.pack(">QQ", index, rows)


def _sharedmem_reader(ring, port, length, channels):
    stream = libpyacq.InputStream()
    stream.connect({"protocol": "tcp", "interface": "127.0.0.1", "port": str(port), "transfermode": "sharedmem",
                    "streamtype": "analogsignal", "dtype": "float32", "shape": [8, channels],
                    "buffer_size": length, "double": False, "axisorder": None, "fill": None, "shm_id": ring.shm_id})
    return stream


@pytest.fixture
def raw_sharedmem_producer():
    """A shared ring written by the test and a bare XPUB sending pyacq's notifications for it
    (so the test decides which notifications are ever sent)."""
    import zmq
    length, channels = 64, 4
    ring = libpyacq.RingBuffer((length, channels), "float32", double=False, shmem=True)
    publisher = zmq.Context.instance().socket(zmq.XPUB)
    publisher.setsockopt(zmq.LINGER, 0)
    port = publisher.bind_to_random_port("tcp://127.0.0.1")
    stream = _sharedmem_reader(ring, port, length, channels)
    try:
        assert publisher.poll(TIMEOUT * 1000)
        publisher.recv()  # the subscription
        yield ring, publisher, stream
    finally:
        stream.close()
        if not publisher.closed:
            publisher.close()
        ring.close()


def _write(ring, first, last, rows=8):
    for k in range(first, last + 1):
        ring.new_chunk(np.full((rows, 4), k, "float32"), index=k * rows)


def test_rows_a_gone_producer_never_announced_reach_the_reader(raw_sharedmem_producer):
    ring, publisher, stream = raw_sharedmem_producer
    _write(ring, 1, 2)
    publisher.send(_notification(16, 8), copy=True)
    index, data = stream.recv(timeout=TIMEOUT)
    assert index == 16 and np.all(data == 2)
    _write(ring, 3, 5)  # notifications dropped (a full queue) or in flight when it died
    publisher.close()
    got = []
    with pytest.raises(libpyacq.PyAcqIOError, match="producer gone"):
        while True:
            index, data = stream.recv(timeout=TIMEOUT)
            got.append(index)
            assert np.all(data == index // 8)
    assert got == [24, 32, 40]  # in chunks of the stream's length
    with pytest.raises(libpyacq.PyAcqIOError, match="producer gone"):
        stream.recv(timeout=TIMEOUT)  # at once, not after the timeout
    stats = stream.stats
    assert stats["samples_received"] == 8 + 24 and stats["samples_lost"] == 0


def test_overwritten_unannounced_rows_are_counted_lost_when_the_producer_goes(raw_sharedmem_producer):
    ring, publisher, stream = raw_sharedmem_producer
    _write(ring, 1, 1)
    publisher.send(_notification(8, 8), copy=True)
    assert stream.recv(timeout=TIMEOUT)[0] == 8
    _write(ring, 2, 13)  # 96 rows into a 64-row ring: chunks 2-5 are overwritten
    publisher.close()
    with pytest.raises(libpyacq.PyAcqError, match="overwritten"):
        stream.recv(timeout=TIMEOUT)
    got = []
    with pytest.raises(libpyacq.PyAcqIOError, match="producer gone"):
        while True:
            index, data = stream.recv(timeout=TIMEOUT)
            got.append(index // 8)
            assert np.all(data == index // 8)
    assert got == list(range(6, 14))
    stats = stream.stats
    assert stats["samples_lost"] == 4 * 8
    assert stats["samples_received"] + stats["samples_lost"] == 13 * 8


def test_closing_a_sharedmem_reader_counts_what_it_never_read():
    rows = 8
    with connected("float32", shape=(-1, 4), transfermode="sharedmem", buffer_size=1024) as (output, stream):
        for k in range(1, 11):
            output.send(np.full((rows, 4), k, "float32"))
        for k in range(1, 4):
            index, data = stream.recv(timeout=TIMEOUT)
            assert index == k * rows and np.all(data == k)
        stream.close()
        stats = stream.stats  # still readable: the final count
        assert stats["samples_received"] == 3 * rows
        assert stats["samples_lost"] == 7 * rows
        assert stats["samples_received"] + stats["samples_lost"] == output.last_index
