"""The LSL round trip used by the bridge test and its benchmark: a pylsl outlet -> LSLInlet ->
StreamConverter (a Swift node, passthrough) ->
LSLOutlet -> a pylsl inlet."""

import uuid

import numpy as np
import pylsl

from libpyacq import StreamConverter
from libpyacq.lsl import LSLInlet, LSLOutlet

TCP = dict(protocol="tcp", interface="127.0.0.1")


class Bridge:
    def __init__(self, channels=4, rate=1000.0, names=None, fmt=pylsl.cf_float32):
        tag = uuid.uuid4().hex[:8]
        self.src_name, self.dst_name = "pyacq-src-" + tag, "pyacq-dst-" + tag
        info = pylsl.StreamInfo(self.src_name, "EEG", channels, rate, fmt, "src-" + tag)
        chans = info.desc().append_child("channels")
        for name in names or ["C%d" % i for i in range(channels)]:
            chans.append_child("channel").append_child_value("label", name)
        self.source = pylsl.StreamOutlet(info)
        self.inlet_node = LSLInlet()
        self.inlet_node.configure(name=self.src_name, source_id="src-" + tag)
        self.inlet_node.output.configure(**TCP)
        self.converter = StreamConverter()
        self.converter.configure()
        self.converter.input.connect(self.inlet_node.output)
        self.converter.output.configure(**TCP)
        self.outlet_node = LSLOutlet()
        self.outlet_node.configure(name=self.dst_name, type="EEG", source_id="dst-" + tag)
        self.outlet_node.input.connect(self.converter.output)
        for node in (self.inlet_node, self.converter, self.outlet_node):
            node.initialize()
        self.inlet_node.output.wait_for_subscribers(1, 10)
        self.converter.output.wait_for_subscribers(1, 10)
        for node in (self.outlet_node, self.converter, self.inlet_node):
            node.start()
        found = pylsl.resolve_bypred("name='%s'" % self.dst_name, 1, 10)
        assert found, "the LSLOutlet's stream was not found"
        self.sink = pylsl.StreamInlet(found[0], max_buflen=360)
        self.sink.open_stream(timeout=10)
        # LSL starts a new inlet at the outlet's next push: wait until the outlet serves us.
        self.sink_info = self.sink.info(timeout=10)
        self.source_consumers()

    def source_consumers(self, timeout=10):
        assert self.source.wait_for_consumers(timeout), "LSLInlet did not open the source stream"

    def close(self):
        for node in (self.inlet_node, self.converter, self.outlet_node):
            if node.running:
                node.stop()
        for node in (self.inlet_node, self.converter, self.outlet_node):
            node.close()
        self.sink.close_stream()


def pull(inlet, rows, channels, dtype="float32", timeout=20.0):
    """Exactly `rows` samples (and their stamps) from a pylsl inlet."""
    import time
    out = np.empty((rows, channels), dtype=dtype)
    stamps = np.empty(rows)
    got = 0
    buf = np.empty((4096, channels), dtype=dtype)
    deadline = time.monotonic() + timeout
    while got < rows:
        assert time.monotonic() < deadline, "only %d of %d samples arrived" % (got, rows)
        _, ts = inlet.pull_chunk(timeout=0.2, max_samples=min(4096, rows - got), dest_obj=buf)
        n = len(ts)
        out[got:got + n] = buf[:n]
        stamps[got:got + n] = ts
        got += n
    return out, stamps
