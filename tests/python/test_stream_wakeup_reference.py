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
PROBE = 5  # the original writer's probe chunks (see reference/original_sharedmem_peer.py)

pytestmark = pytest.mark.skipif(not REFERENCE or not os.access(REFERENCE, os.X_OK),
                                reason="reference checks: set PYACQ_REFERENCE_PYTHON to the python of an original pyacq install")


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # ipc pipe names are relative to the working directory


def chunk(start, rows):
    return (np.arange(start, start + rows)[:, None] * 1000 + np.arange(NCHAN)[None, :]).astype("float32")


def expected_indexes():
    out, start = [], 0
    for k in range(CHUNKS):
        start += ROWS[k % len(ROWS)]
        out.append(start)
    return out


def read_all(stream, skip=None):
    start, indexes = 0, []
    while len(indexes) < CHUNKS:
        index, data = stream.recv(timeout=10)
        if index == skip:
            continue
        assert np.array_equal(data, chunk(start, index - start)), "wrong samples ending at %d" % index
        indexes.append(index)
        start = index
    return indexes


@pytest.mark.parametrize("proto", ["tcp", "ipc"])
def test_original_reader_and_libpyacq_reader_share_a_libpyacq_output(proto):
    output = libpyacq.OutputStream()
    output.configure(protocol=proto, transfermode="sharedmem", buffer_size=256, double=True, dtype="float32",
                     shape=(-1, NCHAN))
    assert isinstance(output.params["shm_wakeup"], str)
    original = subprocess.Popen([REFERENCE, PEER, "read", str(CHUNKS)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
    try:
        original.stdin.write(json.dumps(output.params) + "\n")
        original.stdin.flush()
        assert original.stdout.readline().strip() == "subscribed"
        ours = libpyacq.InputStream()
        ours.connect(output)
        assert ours.socket_free_wakeup
        assert output.wait_for_subscribers(2, timeout=10)
        start = 0
        for k in range(CHUNKS):
            rows = ROWS[k % len(ROWS)]
            output.send(chunk(start, rows))
            start += rows
        assert read_all(ours) == expected_indexes()
        assert ours.stats["samples_lost"] == 0
        summary = json.loads(original.communicate(timeout=30)[0].strip().splitlines()[-1])
        assert summary == {"indexes": expected_indexes(), "equal": True}
        ours.close()
    finally:
        if original.poll() is None:
            original.kill()
        output.close()


@pytest.mark.parametrize("proto", ["tcp", "ipc"])
def test_libpyacq_reader_falls_back_on_an_original_output(proto):
    original = subprocess.Popen([REFERENCE, PEER, "write", proto, str(CHUNKS)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
    try:
        params = json.loads(original.stdout.readline())
        assert "shm_wakeup" not in params
        ours = libpyacq.InputStream()
        ours.connect(params)
        assert not ours.socket_free_wakeup
        ours.spin_us = 50  # the busy-poll path of the notification socket, too
        # The original PUB cannot report subscribers: a received probe proves the link.
        assert ours.recv(timeout=10)[0] == PROBE
        original.stdin.write("go\n")
        original.stdin.flush()
        assert read_all(ours, skip=PROBE) == expected_indexes()
        assert ours.stats["samples_lost"] == 0
        original.stdin.close()
        original.wait(timeout=30)
        ours.close()
    finally:
        if original.poll() is None:
            original.kill()
