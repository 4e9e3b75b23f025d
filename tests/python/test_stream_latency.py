"""Closed-loop latency features of streams (issue 17) through the Python binding: the
socket-free wake-up of sharedmem streams between libpyacq processes and its opt-outs, and the
spin-then-sleep receive (InputStream.spin_us). No timing assertions: the figures are in
`make bench` (benchmarks/latency_bench.c)."""
import json
import textwrap

import numpy as np
import pytest

import libpyacq
from binding_support import spawn
from libpyacq.errors import BufferIndexError, InvalidArgument, OverrunError

NCHAN = 4


def chunk(start, rows):
    return (np.arange(start, start + rows)[:, None] * 1000 + np.arange(NCHAN)[None, :]).astype("float32")


def sharedmem_output(**extra):
    output = libpyacq.OutputStream()
    output.configure(protocol="ipc", transfermode="sharedmem", buffer_size=256, double=True, dtype="float32",
                     shape=(-1, NCHAN), **extra)
    return output


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # ipc pipe names are relative to the working directory


def test_libpyacq_ends_use_the_page_and_either_end_can_refuse_it():
    output = sharedmem_output()
    both = libpyacq.InputStream()
    both.connect(output)
    refusing = libpyacq.InputStream(spec={"shm_wakeup": False})
    refusing.connect(output)
    assert both.socket_free_wakeup and not refusing.socket_free_wakeup
    assert output.wait_for_subscribers(2, timeout=10)
    for start in range(0, 64, 16):
        output.send(chunk(start, 16))
    for stream in (both, refusing):
        for start in range(0, 64, 16):
            index, data = stream.recv(timeout=10)
            assert index == start + 16 and np.array_equal(data, chunk(start, 16))
        stream.close()
    output.close()

    silent = sharedmem_output(shm_wakeup=False)
    assert silent.params["shm_wakeup"] is False
    reader = libpyacq.InputStream()
    reader.connect(silent)
    assert not reader.socket_free_wakeup
    reader.close()
    silent.close()


def test_spin_us_is_validated_and_receives_normally():
    output = libpyacq.OutputStream()
    output.configure(protocol="inproc", dtype="float32", shape=(-1, NCHAN))
    reader = libpyacq.InputStream()
    reader.connect(output)
    assert not reader.socket_free_wakeup  # plaindata: messages
    assert reader.spin_us == 0
    reader.spin_us = 100
    assert reader.spin_us == 100
    for bad in (-1, 1000001, 1.5, True, "10"):
        with pytest.raises(InvalidArgument):
            reader.spin_us = bad
    assert reader.spin_us == 100
    assert output.wait_for_subscribers(1, timeout=10)
    output.send(chunk(0, 8))
    index, data = reader.recv(timeout=10)
    assert index == 8 and np.array_equal(data, chunk(0, 8))
    reader.close()
    output.close()


WRITER = textwrap.dedent("""
    import json, sys
    import numpy as np
    import libpyacq
    NCHAN = 4
    def chunk(start, rows):
        return (np.arange(start, start + rows)[:, None] * 1000 + np.arange(NCHAN)[None, :]).astype("float32")
    output = libpyacq.OutputStream()
    output.configure(protocol="ipc", transfermode="sharedmem", buffer_size=256, double=True, dtype="float32",
                     shape=(-1, NCHAN))
    print(json.dumps(output.params), flush=True)
    sys.stdin.readline()
    start = 0
    for k in range(int(sys.argv[1])):
        rows = 1 + k % 9
        output.send(chunk(start, rows))
        start += rows
    print(start, flush=True)
    sys.stdin.read()
    output.close()
""")


@pytest.mark.parametrize("spin_us", [0, 200])
def test_a_reader_in_another_process_gets_every_chunk_in_order_or_counts_it_lost(tmp_path, spin_us):
    """The writer laps the 256-sample ring ~90 times as fast as it can: whatever the reader
    gets is in order and intact (or refused as overwritten), and what it misses is counted,
    exactly."""
    chunks = 4600
    total = sum(1 + k % 9 for k in range(chunks))
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    process, lines = spawn([str(script), str(chunks)], cwd=str(tmp_path), stdin=True)
    try:
        params = json.loads(lines.next(10))
        reader = libpyacq.InputStream()
        reader.connect(params)
        assert reader.socket_free_wakeup
        reader.spin_us = spin_us
        process.stdin.write("go\n")
        process.stdin.flush()
        last, checked = 0, 0
        while last < total:
            try:
                index, data = reader.recv(timeout=20)
            except OverrunError:
                continue
            rows = data.shape[0]
            assert index > last
            last = index
            # The view is live ring memory the writer may recycle at once: verify through the
            # checked copy, which gives the exact samples or refuses.
            try:
                copied = reader.get_data(index - rows, index, copy=True)
            except (OverrunError, BufferIndexError):
                continue
            assert np.array_equal(copied, chunk(index - rows, rows))
            checked += 1
        assert checked > 0
        assert int(lines.next(10)) == total
        stats = reader.stats
        assert stats["samples_received"] + stats["samples_lost"] == total, stats
        reader.close()
        process.stdin.close()
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
