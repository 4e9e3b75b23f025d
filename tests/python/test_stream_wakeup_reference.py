"""Original pyacq peers are unaffected by libpyacq's socket-free sharedmem wake-up (issue 17):
an original InputStream reads a libpyacq sharedmem output (which offers the wake-up page to
libpyacq readers at the same time), and a libpyacq InputStream reads an original sharedmem
output (no page offered: it falls back to the PROTOCOL §11.4 notification messages).

Run on request, with PYACQ_REFERENCE_PYTHON=<python of an original pyacq install, e.g. one made
by shared/tools/setup_pyacq_reference.sh>; skipped, saying why, otherwise (as the other
reference checks)."""
import json
import os
import subprocess

import numpy as np
import pytest

import libpyacq

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.environ.get("PYACQ_REFERENCE_PYTHON", "")
PEER = os.path.join(HERE, "reference", "original_sharedmem_peer.py")
NCHAN = 4
ROWS = (16, 1, 33, 7)
CHUNKS = 60  # ~14 laps of the 256-sample ring

pytestmark = pytest.mark.skipif(not REFERENCE or not os.access(REFERENCE, os.X_OK),
                                reason="reference checks: set PYACQ_REFERENCE_PYTHON to the python of an original pyacq install")


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # ipc pipe names are relative to the working directory


def chunk(start, rows):
    return (np.arange(start, start + rows)[:, None] * 1000 + np.arange(NCHAN)[None, :]).astype("float32")


def peer(*args):
    return subprocess.Popen([REFERENCE, PEER, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def tell(process, line):
    process.stdin.write(line + "\n")
    process.stdin.flush()


@pytest.mark.parametrize("proto", ["tcp", "ipc"])
def test_original_reader_and_libpyacq_reader_share_a_libpyacq_output(proto):
    output = libpyacq.OutputStream()
    output.configure(protocol=proto, transfermode="sharedmem", buffer_size=256, double=True, dtype="float32",
                     shape=(-1, NCHAN))
    assert isinstance(output.params["shm_wakeup"], str)
    original = peer("read", str(CHUNKS))
    try:
        tell(original, json.dumps(output.params))
        assert original.stdout.readline().strip() == "subscribed"
        ours = libpyacq.InputStream()
        ours.connect(output)
        assert ours.socket_free_wakeup
        assert output.wait_for_subscribers(2, timeout=10)
        start = 0
        for k in range(CHUNKS):
            rows = ROWS[k % len(ROWS)]
            output.send(chunk(start, rows))
            index, data = ours.recv(timeout=10)
            assert index == start + rows and np.array_equal(data, chunk(start, rows))
            assert json.loads(original.stdout.readline()) == [start + rows, True]
            start += rows
        assert ours.stats["samples_lost"] == 0
        ours.close()
        assert original.wait(timeout=30) == 0
    finally:
        if original.poll() is None:
            original.kill()
        output.close()


@pytest.mark.parametrize("proto", ["tcp", "ipc"])
def test_libpyacq_reader_falls_back_on_an_original_output(proto):
    original = peer("write", proto)
    try:
        params = json.loads(original.stdout.readline())
        assert "shm_wakeup" not in params
        ours = libpyacq.InputStream()
        ours.connect(params)
        assert not ours.socket_free_wakeup
        ours.spin_us = 50  # the busy-poll path of the notification socket, too
        # The original PUB drops chunks sent before our subscription reaches it, and cannot
        # tell when it has: ask for chunks until one arrives, then go in lockstep.
        for _ in range(300):
            tell(original, "next")
            if ours.poll(timeout=100):
                break
        index, data = ours.recv(timeout=10)
        k = ROWS_ENDS.index(index)  # which chunk arrived first
        assert np.array_equal(data, chunk(index - ROWS[k % len(ROWS)], ROWS[k % len(ROWS)]))
        for k in range(k + 1, k + 1 + CHUNKS):
            tell(original, "next")
            start, rows = ROWS_ENDS[k - 1], ROWS[k % len(ROWS)]
            index, data = ours.recv(timeout=10)
            assert index == start + rows and np.array_equal(data, chunk(start, rows))
        assert ours.stats["samples_lost"] == 0
        ours.close()
        original.stdin.close()
        assert original.wait(timeout=30) == 0
    finally:
        if original.poll() is None:
            original.kill()


ROWS_ENDS = list(np.cumsum([ROWS[k % len(ROWS)] for k in range(1000)]))
