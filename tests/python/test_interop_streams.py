"""Interop: libpyacq streams against the spec peer (tests/python/specpeer), which plays the
original Python pyacq's role on the wire (PROTOCOL.md §8-§13). Both directions, in one
process and across processes (the `python -m specpeer send/recv` CLI), verified sample by
sample with the ramp pattern of specpeer/patterns.py.

No sleeps: libpyacq's OutputStream is an XPUB with wait_for_subscribers(), the spec peer's has
detect_subscribers=True / --wait-subscriber.
"""

import json
import os

import numpy as np
import pytest

import libpyacq
import specpeer
from binding_support import TIMEOUT, spawn
from specpeer.patterns import chunk_summary, lay_out, matches_ramp, ramp

TIMEOUT_MS = int(TIMEOUT * 1000)
NCHAN = 8

PLAINDATA = {
    "tcp": {},
    "ipc": {"protocol": "ipc"},
    "tcp-blosc-lz4": {"compression": "blosc-lz4"},
    "tcp-blosc-blosclz": {"compression": "blosc-blosclz"},
    "ipc-blosc-lz4": {"protocol": "ipc", "compression": "blosc-lz4"},
    "ipc-blosc-blosclz": {"protocol": "ipc", "compression": "blosc-blosclz"},
}
SHAREDMEM = {
    "sharedmem-single": {"transfermode": "sharedmem", "buffer_size": 256, "double": False},
    "sharedmem-double": {"transfermode": "sharedmem", "buffer_size": 256, "double": True},
    "sharedmem-single-axisorder10": {"transfermode": "sharedmem", "buffer_size": 256, "double": False,
                                     "axisorder": [1, 0]},
    "sharedmem-double-axisorder10": {"transfermode": "sharedmem", "buffer_size": 256, "double": True,
                                     "axisorder": [1, 0]},
}
DTYPES = {
    "float32": "float32",
    "int16": "int16",
    "structured": [["index", "int64"], ["label", "S4"], ["jitter", "float64"]],
}
LAYOUTS = ("c", "f", "reversed", "strided")
CHUNK_ROWS = (16, 1, 33, 64, 7)  # wraps a 256-sample ring in the sharedmem cases below


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """ipc pipe names are relative: both ends (and child processes) work in one directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def np_dtype(dtype):
    return specpeer.parse_dtype(dtype)


def ramp_chunks(dtype, rows_list=CHUNK_ROWS, repeat=1):
    """(index after chunk, chunk) of consecutive ramp chunks."""
    index = 0
    for rows in list(rows_list) * repeat:
        data = ramp(index, rows, (NCHAN,), np_dtype(dtype))
        index += rows
        yield index, data


def assert_ramp(index, data, dtype, rows):
    assert data.dtype == np_dtype(dtype)
    assert data.shape == (rows, NCHAN)
    assert matches_ramp(index, data), (index, data)


def contiguous(layout):
    return layout in ("c", "f", "reversed")


# ------------------------------------------------------------------ in one process: plaindata

@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("transport", sorted(PLAINDATA))
def test_libpyacq_output_to_specpeer_input(transport, dtype, layout):
    output = libpyacq.OutputStream()
    peer = specpeer.InputStream()
    try:
        output.configure(dtype=DTYPES[dtype], shape=[-1, NCHAN], **PLAINDATA[transport])
        peer.connect(output.params)
        output.wait_for_subscribers(1, timeout=TIMEOUT)
        for index, data in ramp_chunks(DTYPES[dtype]):
            sent = lay_out(data, layout)
            output.send(sent, index=index)
            assert peer.poll(TIMEOUT_MS), "no chunk within timeout"
            got_index, got = peer.recv()
            assert got_index == index
            assert_ramp(index, got, DTYPES[dtype], data.shape[0])
            if contiguous(layout) and data.shape[0] > 1:
                assert got.strides == sent.strides  # §9 rule 1: sent as laid out, no copy
    finally:
        peer.close()
        output.close()


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("transport", sorted(PLAINDATA))
def test_specpeer_output_to_libpyacq_input(transport, dtype, layout):
    peer = specpeer.OutputStream(detect_subscribers=True)
    stream = libpyacq.InputStream()
    try:
        peer.configure(dtype=DTYPES[dtype], shape=[-1, NCHAN], **PLAINDATA[transport])
        stream.connect(peer)  # any object with a params dict, like a pyacq OutputStream
        assert peer.wait_for_subscribers(1, TIMEOUT_MS)
        for index, data in ramp_chunks(DTYPES[dtype]):
            sent = lay_out(data, layout)
            peer.send(sent, index=index)
            got_index, got = stream.recv(timeout=TIMEOUT)
            assert got_index == index
            assert_ramp(index, got, DTYPES[dtype], data.shape[0])
            if contiguous(layout) and data.shape[0] > 1:
                assert got.strides == sent.strides  # the sender's layout, honoured as is
        stats = stream.stats
        assert stats["samples_lost"] == 0 and stats["malformed_messages"] == 0
        assert stats["samples_received"] == sum(CHUNK_ROWS)
    finally:
        stream.close()
        peer.close()


def test_input_spec_can_override_compression_of_a_peer():
    """§8.3: an input spec key other than protocol/transfermode/shape/dtype overrides."""
    peer = specpeer.OutputStream(detect_subscribers=True)
    stream = libpyacq.InputStream(spec={"dtype": "<f4", "shape": [-1, NCHAN], "gain": 3})
    try:
        peer.configure(dtype="float32", shape=[-1, NCHAN], compression="blosc-lz4")
        stream.connect(peer.params)
        assert stream.params["gain"] == 3 and stream.params["compression"] == "blosc-lz4"
        assert peer.wait_for_subscribers(1, TIMEOUT_MS)
        peer.send(ramp(0, 5, (NCHAN,), "float32"), index=5)
        index, data = stream.recv(timeout=TIMEOUT)
        assert matches_ramp(index, data)
    finally:
        stream.close()
        peer.close()


# ------------------------------------------------------------------ in one process: sharedmem

@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("mode", sorted(SHAREDMEM))
def test_sharedmem_written_by_libpyacq_read_by_specpeer(mode, dtype):
    output = libpyacq.OutputStream()
    peer = specpeer.InputStream()
    try:
        output.configure(dtype=DTYPES[dtype], shape=[-1, NCHAN], **SHAREDMEM[mode])
        shm_id = output.params["shm_id"]
        assert os.path.basename(shm_id).startswith("pyacq_SharedMem_")
        peer.connect(output.params)
        output.wait_for_subscribers(1, timeout=TIMEOUT)
        for index, data in ramp_chunks(DTYPES[dtype], repeat=3):  # 363 samples: the ring wraps
            output.send(lay_out(data, "reversed"), index=index)
            assert peer.poll(TIMEOUT_MS)
            got_index, got = peer.recv()
            assert got_index == index
            assert_ramp(index, got, DTYPES[dtype], data.shape[0])
        # the history the peer reads straight from the shared file
        ring = peer.shared_ring
        last = ring.index()
        history = ring.get_data(last - 256, last)
        assert matches_ramp(last, history)
    finally:
        peer.close()
        output.close()
    assert not os.path.exists(shm_id)


@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("mode", sorted(SHAREDMEM))
def test_sharedmem_written_by_specpeer_read_by_libpyacq(mode, dtype):
    peer = specpeer.OutputStream(detect_subscribers=True)
    stream = libpyacq.InputStream()
    try:
        peer.configure(dtype=DTYPES[dtype], shape=[-1, NCHAN], **SHAREDMEM[mode])
        stream.connect(peer)
        assert peer.wait_for_subscribers(1, TIMEOUT_MS)
        for index, data in ramp_chunks(DTYPES[dtype], repeat=3):
            peer.send(lay_out(data, "strided"), index=index)
            got_index, got = stream.recv(timeout=TIMEOUT)
            assert got_index == index
            assert_ramp(index, got, DTYPES[dtype], data.shape[0])
        ring = stream.buffer  # the peer's shared file, mapped read-only
        assert ring.shape == (256, NCHAN) and ring.double == SHAREDMEM[mode]["double"]
        last = ring.index()
        assert matches_ramp(last, ring.get_data(last - 256, last))
        assert matches_ramp(last, ring[-256:])
        assert matches_ramp(last - 100, ring.read(last - 200, last - 100))
    finally:
        stream.close()
        peer.close()


# ------------------------------------------------------------------ across processes

CLI_CASES = {
    "tcp-float32-c": ({}, "float32", "c"),
    "tcp-int16-reversed": ({}, "int16", "reversed"),
    "tcp-structured-strided": ({}, "structured", "strided"),
    "ipc-float32-f": ({"protocol": "ipc"}, "float32", "f"),
    "ipc-int16-strided": ({"protocol": "ipc"}, "int16", "strided"),
    "tcp-blosc-lz4-float32-reversed": ({"compression": "blosc-lz4"}, "float32", "reversed"),
    "ipc-blosc-blosclz-structured-c": ({"protocol": "ipc", "compression": "blosc-blosclz"}, "structured", "c"),
    "tcp-blosc-blosclz-int16-f": ({"compression": "blosc-blosclz"}, "int16", "f"),
    "sharedmem-single-float32": ({"transfermode": "sharedmem", "buffer_size": 1280}, "float32", "strided"),
    "sharedmem-double-axisorder10-int16": ({"transfermode": "sharedmem", "buffer_size": 1280, "double": True,
                                            "axisorder": [1, 0]}, "int16", "reversed"),
    "sharedmem-single-structured": ({"transfermode": "sharedmem", "buffer_size": 1280}, "structured", "c"),
}
CLI_CHUNK, CLI_NCHUNKS = 64, 20


def cli_params(case):
    params, dtype, layout = CLI_CASES[case]
    params = dict(params, dtype=DTYPES[dtype], shape=[-1, NCHAN])
    return params, dtype, layout


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_specpeer_process_to_libpyacq(case, in_tmp):
    params, dtype, layout = cli_params(case)
    sharedmem = params.get("transfermode") == "sharedmem"
    args = ["-m", "specpeer", "send", "--params", json.dumps(params), "--chunk", str(CLI_CHUNK),
            "--nchunks", str(CLI_NCHUNKS), "--layout", layout, "--wait-subscriber", "--timeout-ms", "30000"]
    process, lines = spawn(args + (["--hold"] if sharedmem else []), cwd=str(in_tmp), stdin=sharedmem)
    stream = libpyacq.InputStream()
    try:
        producer_params = json.loads(lines.next())
        stream.connect(producer_params)  # the child waits for this subscription, then sends
        received = []
        for k in range(CLI_NCHUNKS):
            index, data = stream.recv(timeout=4 * TIMEOUT)
            assert index == (k + 1) * CLI_CHUNK
            assert_ramp(index, data, DTYPES[dtype], CLI_CHUNK)
            received.append(np.array(data))
        assert json.loads(lines.next()) == {"sent": CLI_NCHUNKS, "index": CLI_NCHUNKS * CLI_CHUNK}
        everything = np.concatenate(received)
        assert np.array_equal(everything, ramp(0, CLI_NCHUNKS * CLI_CHUNK, (NCHAN,), np_dtype(DTYPES[dtype])))
        if sharedmem:  # the whole history is still in the child's shared file
            ring = stream.buffer
            assert np.array_equal(ring.read(0, CLI_NCHUNKS * CLI_CHUNK), everything)
            process.stdin.write("\n")
            process.stdin.flush()
        assert process.wait(timeout=30) == 0, process.stderr.read()
        if sharedmem:
            assert not os.path.exists(producer_params["shm_id"])
        assert stream.stats["samples_lost"] == 0
    finally:
        stream.close()
        if process.poll() is None:
            process.kill()
        process.wait()


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_libpyacq_to_specpeer_process(case, in_tmp):
    params, dtype, layout = cli_params(case)
    output = libpyacq.OutputStream()
    output.configure(**params)
    dump = in_tmp / "received.npy"
    args = ["-m", "specpeer", "recv", "--params", json.dumps(output.params), "--nchunks", str(CLI_NCHUNKS),
            "--check", "ramp", "--dump", str(dump), "--timeout-ms", "30000"]
    process, lines = spawn(args, cwd=str(in_tmp))
    try:
        assert json.loads(lines.next())["ready"] is True
        output.wait_for_subscribers(1, timeout=6 * TIMEOUT)
        sent = []
        for k in range(CLI_NCHUNKS):
            data = ramp(k * CLI_CHUNK, CLI_CHUNK, (NCHAN,), np_dtype(DTYPES[dtype]))
            output.send(lay_out(data, layout), index=(k + 1) * CLI_CHUNK)
            sent.append(data)
        summaries = [json.loads(line) for line in lines.rest()]
        assert process.wait(timeout=30) == 0, process.stderr.read()
        chunks, final = summaries[:-1], summaries[-1]
        assert final == {"chunks": CLI_NCHUNKS, "index": CLI_NCHUNKS * CLI_CHUNK, "complete": True,
                         "ramp_ok": True}
        for k, summary in enumerate(chunks):
            expected = chunk_summary((k + 1) * CLI_CHUNK, sent[k])
            expected["ramp_ok"] = True
            assert summary == expected
        # sample by sample: what the other process received is exactly what was sent
        assert np.array_equal(np.load(dump), np.concatenate(sent))
    finally:
        output.close()
        if process.poll() is None:
            process.kill()
        process.wait()
