"""Soak: a 3-process graph at 16 channels x 30 kHz for --seconds (default 600).

NumpyDeviceBuffer (node group A) -> StreamConverter (node group B) -> InputStream here. The
device loops over a known int32 buffer, so every received sample is checked against it; the
resident memory of the three processes is sampled every 10 s and must stay flat (last third of
the run within 5 % of the first sample taken after warm-up). Run by `make soak`, not by
`make test`. Prints `soak: ...` lines and exits non-zero on any failure.
"""

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))
import libpyacq  # noqa: E402

CHANNELS, RATE, CHUNK = 16, 30000, 300  # 100 chunks per second
BUFFER_ROWS = RATE * 2


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def children():
    me = os.getpid()
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == me:
                pids.append(int(entry))
    return sorted(pids)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=600)
    args = parser.parse_args()
    buffer = (np.arange(BUFFER_ROWS, dtype=np.int64)[:, None] * 100 + np.arange(CHANNELS)[None, :]).astype("int32")
    manager = libpyacq.create_manager("local")
    sink = libpyacq.InputStream()
    failures = []
    try:
        group_a, group_b = manager.create_nodegroup("soakA"), manager.create_nodegroup("soakB")
        device = group_a.create_node("NumpyDeviceBuffer")
        device.configure(nb_channel=CHANNELS, sample_interval=1.0 / RATE, chunksize=CHUNK, buffer=buffer)
        device.output.configure(protocol="tcp", interface="127.0.0.1", transfermode="sharedmem",
                                buffer_size=RATE * 4, double=True)
        device.initialize()
        relay = group_b.create_node("StreamConverter")
        relay.configure()
        relay.input.connect(device.output)
        relay.output.configure(protocol="tcp", interface="127.0.0.1", transfermode="plaindata")
        relay.initialize()
        sink.connect(relay.output)
        relay.start()
        device.start()  # checks start at the first chunk received (no slow-joiner assumption)
        pids = [os.getpid()] + children()
        print("soak: processes %s, %d s at %d ch x %d Hz" % (pids, args.seconds, CHANNELS, RATE), flush=True)
        started = time.monotonic()
        next_sample = started + 30  # warm-up before the first RSS sample
        samples, rss = 0, []
        expected_start = None
        while time.monotonic() - started < args.seconds:
            index, data = sink.recv(timeout=10)
            rows = data.shape[0]
            start = index - rows
            if expected_start is not None and start != expected_start:
                failures.append("gap: expected sample %d, got %d" % (expected_start, start))
            expected_start = index
            want = buffer[np.arange(start, index) % BUFFER_ROWS]
            if not np.array_equal(data, want):
                failures.append("chunk ending at %d differs from the device buffer" % index)
            samples += rows
            now = time.monotonic()
            if now >= next_sample:
                rss.append([rss_kib(pid) for pid in pids])
                next_sample = now + 10
            if len(failures) > 10:
                break
        device.stop()
        relay.stop()
        elapsed = time.monotonic() - started
        print("soak: %d samples verified in %.0f s (%.0f samples/s), lost %d, malformed %d"
              % (samples, elapsed, samples / elapsed, sink.stats["samples_lost"], sink.stats["malformed_messages"]))
        if len(rss) >= 3:
            first = rss[0]
            tail = rss[len(rss) * 2 // 3:]
            for k, pid in enumerate(pids):
                worst = max(row[k] for row in tail)
                growth = (worst - first[k]) / first[k]
                print("soak: pid %d RSS %d KiB -> max %d KiB in the last third (%+.1f %%)" % (pid, first[k], worst, 100 * growth))
                if growth > 0.05:
                    failures.append("pid %d RSS grew %.1f %%" % (pid, 100 * growth))
        else:
            failures.append("run too short to sample RSS (need >= 60 s)")
    finally:
        sink.close()
        manager.close()
    for failure in failures[:10]:
        print("soak: FAIL " + failure)
    print("soak: %s" % ("FAILED" if failures else "passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
