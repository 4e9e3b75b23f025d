#!/usr/bin/env python3
"""EEG device benchmarks (for `make bench`, after `make lib` and the pyacq-device-bench
release build).

* rda_256ch_25khz — `pyacq simulate brainamp` at BrainAmp's maximum (256 channels × 25 kHz
  float32, 25.6 MB/s) read by a BrainAmpSocket node in a NodeGroup of a Swift `pyacq-host`
  for --seconds (default 10) and received here (tcp plaindata). Every sample is checked and
  indexes must follow each other: the line reports the samples lost (must be 0), then the CPU
  of the node's process next to the simulator's (same run, /proc accounting).
* openbci_decode — OpenBCI Cyton packets decoded from memory by the node's decoder
  (pyacq-device-bench) next to a plain C loop doing the same (benchmarks/openbci_decode.c,
  gcc -O2), same packet stream, same run; ratio = Swift / C (higher is better).

Lines: bench: <name> value=<v> <unit> baseline=<name>:<v> ratio=<v>
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "python"))

import numpy as np  # noqa: E402

from graph_support import _stat_fields, missing_binaries, nodegroup_pids, start_swift_host  # noqa: E402
from specpeer import InputStream, RPCClient  # noqa: E402

# Release builds of `make lib` (PYACQ_TOOL_DIR overrides, e.g. for a debug build).
TOOL_DIR = os.environ.get("PYACQ_TOOL_DIR", os.path.join(ROOT, ".build-lib", "release"))
TOOL = os.path.join(TOOL_DIR, "pyacq")
DEVICE_BENCH = os.path.join(TOOL_DIR, "pyacq-device-bench")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / TICKS if fields else float("nan")


def expected_block(start, rows, channels, resolution=0.1):
    s = (np.arange(start, start + rows) % 20001)[:, None]
    c = np.arange(channels)[None, :]
    raw = (s * 31 + c * 1009) % 20001 - 10000
    return (raw * (resolution * (1 + c % 3))).astype("float32")


def rda(seconds, channels=256, rate=25000.0):
    sim = subprocess.Popen([TOOL, "simulate", "brainamp", "--port", "0", "--channels", str(channels), "--rate", str(rate)],
                           stdout=subprocess.PIPE, text=True)
    host = start_swift_host()
    try:
        port = int(sim.stdout.readline().split(":")[1].split()[0])
        client = RPCClient(host.address)
        hostproxy = client.proxy(client.get_item("host"))
        group = hostproxy.create_nodegroup("eeg-bench")
        node = group.create_node("BrainAmpSocket", name="amp")
        node.configure(brainamp_host="127.0.0.1", brainamp_port=port)
        for name in ("signals", "triggers"):
            node.outputs[name].configure(protocol="tcp", interface="127.0.0.1", transfermode="plaindata")
        node.initialize()
        stream = InputStream()
        stream.connect(node.outputs["signals"].params._get_value())
        deadline = time.monotonic() + 10
        while node.outputs["signals"].subscriber_count._get_value() < 1:
            if time.monotonic() > deadline:
                raise RuntimeError("the node's output never saw this subscriber")
            time.sleep(0.01)
        node_pid = nodegroup_pids("eeg-bench")[0]
        node.start()
        cpu0 = {"node": cpu_seconds(node_pid), "sim": cpu_seconds(sim.pid)}
        t0 = time.monotonic()
        index, wrong, lost = 0, 0, 0
        while time.monotonic() - t0 < seconds:
            if not stream.poll(5000):
                raise RuntimeError(f"no data for 5 s after {index} samples")
            new_index, data = stream.recv()
            rows = data.shape[0]
            if new_index != index + rows:
                lost += new_index - rows - index
            # Each simulator connection starts its signal at sample 0, as does the node's index.
            if not np.array_equal(data, expected_block(new_index - rows, rows, channels)):
                wrong += 1
            index = new_index
        elapsed = time.monotonic() - t0
        cpu = {"node": (cpu_seconds(node_pid) - cpu0["node"]) / elapsed * 100,
               "sim": (cpu_seconds(sim.pid) - cpu0["sim"]) / elapsed * 100}
        missed = node.blocks_missed._get_value()
        node.stop()
        stream.close()
        hostproxy.close_all_nodegroups(_timeout=30.0)
        return {"samples": index, "expected": int(rate * elapsed), "lost": lost, "wrong_chunks": wrong,
                "blocks_missed": missed, "cpu": cpu, "elapsed": elapsed}
    finally:
        sim.kill()
        RPCClient.close_thread_clients()
        host.terminate()
        host.kill_leftovers()


def openbci(packets):
    with tempfile.TemporaryDirectory() as tmp:
        c_exe = os.path.join(tmp, "openbci_decode")
        subprocess.run(["gcc", "-O2", "-o", c_exe, os.path.join(ROOT, "benchmarks", "openbci_decode.c")], check=True)
        results = {}
        for name, argv in (("swift", [DEVICE_BENCH, "openbci", str(packets)]), ("c", [c_exe, str(packets)])):
            out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout.split()
            results[name] = dict(item.split("=") for item in out)
        if results["swift"]["checksum"] != results["c"]["checksum"]:
            raise RuntimeError(f"decoders disagree: {results}")
        return float(results["swift"]["packets_per_s"]), float(results["c"]["packets_per_s"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--packets", type=int, default=2_000_000)
    args = parser.parse_args(argv)
    problem = missing_binaries()
    for exe in (TOOL, DEVICE_BENCH):
        if not os.access(exe, os.X_OK):
            problem = f"{exe} is missing: run 'make lib' and the pyacq-device-bench release build"
    if problem:
        print(f"eeg_bench.py: {problem}", file=sys.stderr)
        return 1
    r = rda(args.seconds)
    print(f"# rda: {r['samples']} samples × 256 ch in {r['elapsed']:.1f} s (nominal {r['expected']}), lost {r['lost']}, "
          f"wrong chunks {r['wrong_chunks']}, recorder blocks missed {r['blocks_missed']}", flush=True)
    print(f"bench: rda_256ch_25khz_samples_lost value={r['lost'] + r['blocks_missed'] * 500} samples "
          f"baseline=samples_received:{r['samples']} ratio={(r['lost'] + r['blocks_missed'] * 500) / max(1, r['samples']):.6f}", flush=True)
    print(f"bench: rda_256ch_25khz_node_cpu value={r['cpu']['node']:.1f} % baseline=rda_simulator_cpu:{r['cpu']['sim']:.1f} "
          f"ratio={r['cpu']['node'] / max(1e-9, r['cpu']['sim']):.2f}", flush=True)
    swift, c = openbci(args.packets)
    print(f"bench: openbci_decode value={swift / 1e6:.2f} Mpackets/s baseline=plain_c_loop:{c / 1e6:.2f} ratio={swift / c:.2f}", flush=True)
    return 0 if r["lost"] == 0 and r["wrong_chunks"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
