"""SosFilter throughput (64 channels, 8 sections, float32 chunks of 1024) next to
scipy.signal.sosfilt on the same configuration, measured in the same run.

Usage: python3 benchmarks/dsp_bench.py PYACQ_BENCH_EXECUTABLE [seconds]
"""
import subprocess
import sys
import time

import numpy as np
import scipy.signal


def scipy_throughput(seconds):
    sos = np.array([[0.02, 0.04, 0.02, 1.0, -1.5 + 0.05 * s, 0.6] for s in range(8)])
    chunk = np.random.default_rng(0).uniform(-1, 1, (1024, 64)).astype(np.float32)
    zi = np.zeros((8, 2, 64))
    processed = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        out, zi = scipy.signal.sosfilt(sos, chunk, axis=0, zi=zi)
        out.astype(np.float32)  # what a node sends
        processed += chunk.size
    return processed / (time.perf_counter() - start)


def swift_throughput(executable, seconds):
    out = subprocess.run([executable, "sosfilter", str(seconds)], capture_output=True, text=True, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("bench-raw: sosfilter"))
    return float(line.split("value=")[1].split()[0])


def main():
    executable = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    ours = swift_throughput(executable, seconds)
    baseline = scipy_throughput(seconds)
    print(f"bench: sosfilter_64ch_8sos_f32_1024 value={ours / 1e6:.1f} Msamples*ch/s "
          f"baseline=scipy_sosfilt:{baseline / 1e6:.1f} ratio={ours / baseline:.2f}")


if __name__ == "__main__":
    main()
