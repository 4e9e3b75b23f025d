"""Runs the ORIGINAL pyacq BrainAmpSocket (from a reference install, never shipped) against
`pyacq simulate brainamp` and prints one JSON line: what it received.

Usage: <reference python> original_brainamp_reader.py <pyacq tool> <float32|int16> <fragment>
"""
import json
import os
import subprocess
import sys

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from pyacq.core.stream import InputStream  # noqa: E402
from pyacq.devices.brainampsocket import BrainAmpSocket  # noqa: E402

tool, dtype, fragment = sys.argv[1], sys.argv[2], sys.argv[3]
channels, wanted = 8, 500
sim = subprocess.Popen([tool, "simulate", "brainamp", "--port", "0", "--channels", str(channels), "--block-points", "20",
                        "--marker-every", "37", "--dtype", dtype, "--keepalive", "0.05", "--fragment", fragment],
                       stdout=subprocess.PIPE, text=True)
try:
    port = int(sim.stdout.readline().split(":")[1].split()[0])
    node = BrainAmpSocket()
    node.configure(brainamp_host="127.0.0.1", brainamp_port=port)
    for name in ("signals", "triggers"):
        node.outputs[name].configure(protocol="tcp", interface="127.0.0.1", transfermode="plaindata")
    node.initialize()
    signals, triggers = InputStream(), InputStream()
    signals.connect(node.outputs["signals"])
    triggers.connect(node.outputs["triggers"])
    # pyacq has no way to wait for a subscription: give it a moment (reference run only).
    import time
    time.sleep(0.5)
    node.start()
    chunks, index = [], 0
    while index < wanted and signals.poll(3000):
        index, data = signals.recv()
        chunks.append(data.copy())
    node.stop()
    values = np.concatenate(chunks) if chunks else np.zeros((0, channels), "float32")
    s = np.arange(values.shape[0])[:, None]
    c = np.arange(channels)[None, :]
    expected = (((s % 20001 * 31 + c * 1009) % 20001 - 10000) * (0.1 * (1 + c % 3))).astype("float32")
    marker_chunks = []
    while triggers.poll(200):
        i, d = triggers.recv()
        marker_chunks.append([int(i), [[int(r[0]), r[3].decode(), r[4].decode()] for r in d]])
    print(json.dumps({"samples": int(values.shape[0]), "equal": bool(np.array_equal(values, expected)),
                      "names": node.channel_names[:2], "rate": node.sample_rate,
                      "resolutions": [float(r) for r in node.resolutions[:3]], "marker_chunks": marker_chunks[:6]}))
finally:
    sim.kill()
