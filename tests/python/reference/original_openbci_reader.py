"""Runs the ORIGINAL pyacq OpenBCI node (from a reference install, never shipped) against
`pyacq simulate openbci` and prints one JSON line: how its rows compare with the simulator's
counts. Usage: <reference python> original_openbci_reader.py <pyacq tool>
"""
import json
import os
import subprocess
import sys

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from pyacq.core.stream import InputStream  # noqa: E402
from pyacq.devices.eeg_openBCI import OpenBCI  # noqa: E402

sim = subprocess.Popen([sys.argv[1], "simulate", "openbci", "--speed", "4"], stdout=subprocess.PIPE, text=True)
try:
    path = sim.stdout.readline().split()[2]
    node = OpenBCI()
    node.configure(device_handle=path)
    for name in ("chan", "aux"):
        node.outputs[name].configure(protocol="tcp", interface="127.0.0.1", transfermode="plaindata")
    node.initialize()
    chan = InputStream()
    chan.connect(node.outputs["chan"])
    import time
    time.sleep(0.5)  # pyacq cannot wait for a subscription (reference run only)
    node.start()
    rows, index = [], 0
    while index < 300 and chan.poll(3000):
        index, data = chan.recv()
        rows.append(data.copy())
    node.stop()
    got = np.concatenate(rows)
    k = np.arange(got.shape[0])[:, None]
    c = np.arange(8)[None, :]
    expected = ((k % 16777216 * 7919 + c * 1000003) % 16777216) - 8388608
    expected = np.where(k % 16 == 5, 8323072 + k % 4096 * 16 + c, expected)
    expected = np.where(k % 16 == 6, -8388608 + k % 4096 * 16 + c, expected)
    wrong_rows = sorted({int(r) for r in np.nonzero(got != expected)[0]})
    print(json.dumps({"rows": int(got.shape[0]), "dtype": str(got.dtype), "wrong_rows": wrong_rows[:10],
                      "wrong_rows_all_0x7f": all(r % 16 == 5 for r in wrong_rows),
                      "difference": int((got - expected)[wrong_rows[0], 0]) if wrong_rows else 0}))
finally:
    sim.kill()
