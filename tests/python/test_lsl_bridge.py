"""LSL round trip (issue 16): pylsl outlet -> LSLInlet -> StreamConverter -> LSLOutlet -> pylsl
inlet: values, per-sample timestamps and the metadata LabRecorder-style consumers read."""

import numpy as np
import pylsl
import pytest

from libpyacq import timing
from lsl_support import Bridge, pull

CHANNELS, RATE = 4, 1000.0


def test_round_trip_keeps_values_timestamps_and_metadata():
    bridge = Bridge(CHANNELS, RATE, names=["Fz", "Cz", "Pz", "Oz"])
    try:
        params = bridge.inlet_node.output.params
        assert params["dtype"] == "float32" and params["shape"] == [-1, CHANNELS] and params["sample_rate"] == RATE
        assert [c["name"] for c in params["channel_info"]] == ["Fz", "Cz", "Pz", "Oz"]
        info = bridge.sink_info
        assert info.channel_count() == CHANNELS and info.nominal_srate() == RATE
        assert info.channel_format() == pylsl.cf_float32 and info.type() == "EEG"
        labels, ch = [], info.desc().child("channels").child("channel")
        while not ch.empty():
            labels.append(ch.child_value("label"))
            ch = ch.next_sibling()
        assert labels == ["Fz", "Cz", "Pz", "Oz"]
        # 50 chunks of 20 samples with regular stamps on LSL's clock.
        rows, chunk = 1000, 20
        data = (np.arange(rows * CHANNELS, dtype="float32").reshape(rows, CHANNELS))
        start = pylsl.local_clock()
        stamps = start + np.arange(rows) / RATE
        for i in range(0, rows, chunk):
            bridge.source.push_chunk(data[i:i + chunk], timestamp=float(stamps[i + chunk - 1]))
        got, got_stamps = pull(bridge.sink, rows, CHANNELS)
        np.testing.assert_array_equal(got, data)
        # Same host: LSL's clock sync corrections are tens of microseconds.
        np.testing.assert_allclose(got_stamps + bridge.sink.time_correction(), stamps, atol=2e-3, rtol=0)
        # Inside the graph, chunks carry the same time on libpyacq's clock.
        assert bridge.converter.output.params["timestamps"]["version"] == 2
    finally:
        bridge.close()


def test_outlet_stamps_follow_the_libpyacq_producer():
    """A libpyacq producer's stamps (its stream clock) come out on LSL's clock."""
    import libpyacq
    from libpyacq.lsl import LSLOutlet
    out = libpyacq.OutputStream()
    out.configure(protocol="tcp", interface="127.0.0.1", dtype="int16", shape=[-1, 2], sample_rate=100.0,
                  channel_info=[{"name": "a"}, {"name": "b"}])
    node = LSLOutlet()
    node.configure(name="pyacq-int16-%d" % id(node), type="Misc")
    node.input.connect(out)
    node.initialize()
    out.wait_for_subscribers(1, 10)
    node.start()
    try:
        inlet = pylsl.StreamInlet(pylsl.resolve_bypred("name='pyacq-int16-%d'" % id(node), 1, 10)[0])
        inlet.open_stream(timeout=10)
        info = inlet.info(timeout=10)
        assert info.channel_format() == pylsl.cf_int16 and info.nominal_srate() == 100.0
        when = timing.clock_now() - 0.5  # half a second ago on libpyacq's clock
        lsl_when = pylsl.local_clock() - 0.5
        # The inlet only sees samples pushed after it connected: repeat until one arrives.
        for _ in range(100):
            out.send(np.array([[1, 2], [3, 4]], dtype="int16"), timestamp=when)
            samples, stamps = inlet.pull_chunk(timeout=0.1)
            if stamps:
                break
        assert samples[-1] == [3, 4]
        assert stamps[-1] == pytest.approx(lsl_when, abs=2e-3)
    finally:
        node.stop()
        node.close()
        out.close()
