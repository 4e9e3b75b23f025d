"""libpyacq binding: close(), context managers, garbage collection and interpreter exit leave
no socket, thread, shared-memory file or ipc pipe behind."""

import gc
import json
import os
import subprocess
import sys
import textwrap
import weakref

import numpy as np
import pytest

import libpyacq
from binding_support import TIMEOUT, chunk, connected, subprocess_env


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def threads():
    return len(os.listdir("/proc/self/task"))


def cycle(protocol="tcp", **kwargs):
    with connected("float32", shape=(-1, 2), protocol=protocol, **kwargs) as (output, stream):
        output.send(np.zeros((3, 2), "float32"))
        stream.recv(timeout=TIMEOUT)


@pytest.mark.parametrize("kwargs", [dict(), dict(protocol="ipc"), dict(transfermode="sharedmem", buffer_size=16)])
def test_open_close_cycles_do_not_leak(kwargs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cycle(**kwargs)  # warm up: zmq context and its I/O threads are created once
    fds, tasks = open_fds(), threads()
    for _ in range(30):
        cycle(**kwargs)
    gc.collect()
    assert open_fds() <= fds + 2
    assert threads() <= tasks
    assert os.listdir(tmp_path) == []  # no ipc pipe left behind


def test_garbage_collection_destroys_handles_and_removes_the_shared_file():
    output = libpyacq.OutputStream()
    output.configure(transfermode="sharedmem", buffer_size=8, shape=[-1, 2])
    path = output.params["shm_id"]
    assert os.path.exists(path)
    keeper = weakref.ref(output._keeper)
    del output
    gc.collect()
    assert keeper() is None
    assert not os.path.exists(path)


def test_recv_views_keep_their_frame_alive_without_the_handle():
    with libpyacq.OutputStream() as output:
        output.configure(dtype="int16", shape=[-1, 2])
        stream = libpyacq.InputStream()
        stream.connect(output)
        output.wait_for_subscribers(1, timeout=TIMEOUT)
        data = chunk("int16", 50, (2,))
        output.send(data)
        _, view = stream.recv(timeout=TIMEOUT)
        keeper = weakref.ref(stream._keeper)
        del stream
        gc.collect()
        # The view owns the received frame itself: the handle may go, the data stays valid.
        assert keeper() is None
        assert np.array_equal(view, data)
        del view
        gc.collect()


def test_input_buffer_outlives_the_input():
    with connected("int16", shape=(-1, 2)) as (output, stream):
        stream.set_buffer(10)
        output.send(chunk("int16", 4, (2,)))
        stream.recv(timeout=TIMEOUT)
        buffer = stream.buffer
    assert stream.closed
    assert buffer.closed  # closed with its input...
    view = None
    with connected("int16", shape=(-1, 2)) as (output, stream):
        stream.set_buffer(10)
        output.send(chunk("int16", 4, (2,)))
        stream.recv(timeout=TIMEOUT)
        view = stream.buffer[0:4]
    assert np.array_equal(view, chunk("int16", 4, (2,)))  # ...but its views stay valid


SCRIPT = textwrap.dedent("""
    import json, os, sys
    import numpy as np
    import libpyacq

    shared = libpyacq.OutputStream()
    shared.configure(transfermode="sharedmem", buffer_size=100, shape=[-1, 2])
    pipe = libpyacq.OutputStream()
    pipe.configure(protocol="ipc", shape=[-1, 2])
    reader = libpyacq.InputStream()
    reader.connect(shared)
    other = libpyacq.InputStream()
    other.connect(pipe)
    pipe.wait_for_subscribers(1, timeout=5)
    reader.set_buffer(10)
    ring = libpyacq.RingBuffer((10, 2), "float32")
    shared.send(np.zeros((4, 2), "float32"))
    index, view = reader.recv(timeout=5)
    pipe.send(np.ones((4, 2), "float32"))
    cycle = [shared, pipe, reader, other, ring, view]
    cycle.append(cycle)  # a reference cycle too: only the at-exit finalizers can clean it
    print(json.dumps({"shm": shared.params["shm_id"],
                      "ipc": os.path.abspath(pipe.params["interface"])}), flush=True)
    # no close(): the interpreter ends with everything open
""")


def test_script_ending_without_close_leaves_nothing(tmp_path):
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=str(tmp_path), env=subprocess_env(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    paths = json.loads(result.stdout.splitlines()[-1])
    assert not os.path.exists(paths["shm"])
    assert not os.path.exists(paths["ipc"])
    assert os.listdir(tmp_path) == []
