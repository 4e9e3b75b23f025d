"""RawRecorder across processes: a NumpyDeviceBuffer in one node group, a RawRecorder in
another; the files are read back with numpy and match sample for sample, also after the
recorder's process is killed with SIGKILL (at most the chunk in flight is missing)."""

import json
import os
import signal

import numpy as np
import pytest

import libpyacq
from binding_support import wait_until

ROWS, CHANNELS, CHUNK = 200, 4, 25


def known_buffer():
    samples = np.arange(ROWS)[:, None] * 100 + np.arange(CHANNELS)[None, :]
    return samples.astype(np.int32)


def recorded(dirname):
    with open(os.path.join(dirname, "stream_properties.json"), encoding="utf-8") as handle:
        props = json.load(handle)
    entry = props["input0"]
    data = np.fromfile(os.path.join(dirname, "input0.raw"), dtype=entry["dtype"]).reshape(-1, *entry["shape"][1:])
    return entry["start_index"], data, props


def check_samples(start, data):
    expected = known_buffer()[(start + np.arange(len(data))) % ROWS]
    np.testing.assert_array_equal(data, expected)


@pytest.mark.parametrize("kill", [False, True])
def test_recording_reads_back_with_numpy(tmp_path, kill):
    manager = libpyacq.create_manager("local", auto_close_at_exit=False)
    try:
        source = manager.create_nodegroup("source")
        recording = manager.create_nodegroup("recording")
        device = source.create_node("NumpyDeviceBuffer", name="dev")
        device.configure(nb_channel=CHANNELS, chunksize=CHUNK, sample_interval=0.0005, buffer=known_buffer())
        device.output.configure(protocol="tcp", transfermode="plaindata")
        device.initialize()
        dirname = str(tmp_path / "rec")
        recorder = recording.create_node("RawRecorder", name="rec")
        recorder.configure(streams=[device.output], dirname=dirname)
        recorder.initialize()
        recorder.start()
        device.start()
        raw = os.path.join(dirname, "input0.raw")
        wait_until(lambda: os.path.exists(raw) and os.path.getsize(raw) >= 400 * CHANNELS * 4, what="400 recorded samples")
        if kill:
            os.kill(recording.pid._get_value(), signal.SIGKILL)
        device.stop()
        if not kill:
            recorder.stop()
        start, data, props = recorded(dirname)
        assert props["input0"]["dtype"] == "int32" and props["input0"]["shape"] == [-1, CHANNELS]
        assert props["pyacq_version"] == "0.2.0-dev"
        assert start % CHUNK == 0
        assert len(data) >= 400
        check_samples(start, data)
    finally:
        manager.close()
