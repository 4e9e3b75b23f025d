"""Issue 11 through the Python binding: hostile peers and arguments get errors naming the
problem, received arrays own their memory, concurrent receives do not corrupt each other."""

import threading

import numpy as np
import pytest

import libpyacq
from binding_support import TIMEOUT, connected, plaindata_header, raw_publisher


@pytest.mark.parametrize("rows,row_stride", [(2, -2 ** 63), (3, -2 ** 62), (5, -2 ** 61)])
def test_crafted_plaindata_header_is_malformed_and_the_stream_goes_on(rows, row_stride):
    with raw_publisher() as (publisher, stream):
        data = np.arange(16, dtype="float32").reshape(4, 4)
        publisher.send_multipart([plaindata_header([rows, 4], [row_stride, 4], rows), data.tobytes()])
        publisher.send_multipart([plaindata_header([4, 4], [16, 4], rows + 4), data.tobytes()])
        with pytest.raises(libpyacq.MalformedMessage, match="shape"):
            stream.recv(timeout=TIMEOUT)
        index, received = stream.recv(timeout=TIMEOUT)
        assert index == rows + 4 and np.array_equal(received, data)
        assert stream.stats["malformed_messages"] == 1


@pytest.mark.parametrize("size", [2 ** 40, 2 ** 62])
def test_huge_sizes_raise(size):
    with pytest.raises(libpyacq.PyAcqError):
        libpyacq.RingBuffer((size, 4), "float32")
    with connected("float32", shape=(-1, 4)) as (_, stream):
        with pytest.raises(libpyacq.PyAcqError):
            stream.set_buffer(size)
        stream.set_buffer(16)  # still usable
    output = libpyacq.OutputStream()
    try:
        with pytest.raises(libpyacq.PyAcqError):
            output.configure(transfermode="sharedmem", buffer_size=size, shape=[-1, 4])
    finally:
        output.close()


@pytest.mark.parametrize("transfermode", ["plaindata", "sharedmem"])
def test_four_threads_receiving_on_one_stream_get_intact_chunks(transfermode):
    rows, channels, count = 1024, 50, 400  # 200 KB chunks
    # A ring that holds every chunk: this test is about concurrent receives, not about a
    # producer recycling rows that a slow reader still uses.
    extra = {"transfermode": transfermode, "buffer_size": rows * (count + 1)} if transfermode == "sharedmem" else {}
    with connected("float32", shape=(-1, channels), **extra) as (output, stream):
        results, errors = [], []
        done = threading.Event()

        def consume():
            try:
                while not done.is_set():
                    try:
                        index, data = stream.recv(timeout=0.2, copy=True)
                    except libpyacq.PyAcqTimeout:
                        continue
                    results.append((index, bool(np.all(data == index))))
            except Exception as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=consume) for _ in range(4)]
        for thread in threads:
            thread.start()
        block = np.empty((rows, channels), "float32")
        for n in range(1, count + 1):
            block.fill(n * rows)
            output.send(block)
        while len(results) + stream.stats["samples_lost"] // rows < count and not errors:
            threading.Event().wait(0.01)
        done.set()
        for thread in threads:
            thread.join()
        assert not errors
        corrupted = [index for index, intact in results if not intact]
        assert corrupted == []
        assert len(results) == count


@pytest.mark.parametrize("transfermode", ["plaindata", "sharedmem"])
def test_received_arrays_survive_closing_their_stream(transfermode):
    rows, channels = 1 << 14, 32  # 2 MiB: ZeroMQ gives large frames their own allocation
    extra = {"transfermode": transfermode, "buffer_size": rows * 2} if transfermode == "sharedmem" else {}
    expected = np.arange(rows * channels, dtype="float32").reshape(rows, channels)
    with connected("float32", shape=(-1, channels), **extra) as (output, stream):
        output.send(expected)
        _, data = stream.recv(timeout=TIMEOUT)
        stream.close()
        output.close()
    assert np.array_equal(data, expected)


@pytest.mark.parametrize("index", [2 ** 64 + 7, 2 ** 63, 2 ** 62, 1.5, "3", True, -1])
def test_send_index_is_never_silently_converted(index):
    with connected("float32", shape=(-1, 4)) as (output, _):
        with pytest.raises(libpyacq.InvalidArgument):
            output.send(np.zeros((1, 4), "float32"), index=index)


@pytest.mark.parametrize("count", [2 ** 32, -1, 1.5])
def test_wait_for_subscribers_count_is_checked(count):
    output = libpyacq.OutputStream()
    try:
        output.configure(shape=[-1, 4])
        with pytest.raises(libpyacq.InvalidArgument):
            output.wait_for_subscribers(count, timeout=0.01)
    finally:
        output.close()


@pytest.mark.parametrize("port", ["99999", "-1", "65536", 70000])
def test_ports_outside_the_tcp_range_are_refused(port):
    output = libpyacq.OutputStream()
    try:
        with pytest.raises(libpyacq.ParamsError, match="port"):
            output.configure(port=port)
    finally:
        output.close()


_PRODUCER = r"""
import sys
import numpy as np
import libpyacq
output = libpyacq.OutputStream()
output.configure(transfermode="sharedmem", buffer_size=4096, shape=[-1, 4], dtype="float32")
print(output.params["port"], output.params["shm_id"], flush=True)
output.wait_for_subscribers(1, timeout=10)
output.send(np.ones((8, 4), "float32"))
sys.stdin.read()  # until killed
"""


def test_reader_learns_that_a_killed_producer_is_gone_and_its_file_goes(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    from binding_support import subprocess_env
    child = subprocess.Popen([sys.executable, "-c", _PRODUCER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             env=subprocess_env(), text=True)
    stream = libpyacq.InputStream()
    try:
        port, shm_id = child.stdout.readline().split()
        stream.connect({"protocol": "tcp", "interface": "127.0.0.1", "port": port, "transfermode": "sharedmem",
                        "streamtype": "analogsignal", "dtype": "float32", "shape": [-1, 4], "buffer_size": 4096,
                        "double": False, "axisorder": None, "fill": None, "shm_id": shm_id})
        index, data = stream.recv(timeout=TIMEOUT)
        assert index == 8 and np.all(data == 1)
        child.send_signal(signal.SIGKILL)
        child.wait()
        with pytest.raises(libpyacq.PyAcqIOError, match="producer gone"):
            stream.recv(timeout=TIMEOUT)
        assert np.all(data == 1)  # the array still maps the (now orphaned) ring
        assert os.path.exists(shm_id)
        # The next producer to create a ring removes rings whose creator is gone.
        with libpyacq.OutputStream() as other:
            other.configure(transfermode="sharedmem", buffer_size=16, shape=[-1, 4])
        assert not os.path.exists(shm_id)
    finally:
        stream.close()
        if child.poll() is None:
            child.kill()
            child.wait()


def test_a_stalled_consumer_makes_the_producer_drop_and_count_within_its_budget():
    rows = 16384  # 1 MiB chunks
    with connected("float32", shape=(-1, 16), max_queued_bytes=4 << 20) as (output, stream):
        block = np.zeros((rows, 16), "float32")
        for _ in range(300):
            output.send(block)
        stats = output.stats
        assert stats["chunks_dropped"] > 0  # visible while it happens, at the producer
        assert stats["samples_dropped"] == stats["chunks_dropped"] * rows
        assert stats["chunks_sent"] + stats["chunks_dropped"] == 300
        assert stats["last_index"] == 300 * rows

