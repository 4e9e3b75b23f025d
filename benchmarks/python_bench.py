"""Python-level send + receive through libpyacq, next to the Python spec peer (pure pyzmq) and
pylsl (push_chunk / pull_chunk with numpy), measured in the same run: 16-channel float32 chunks
of 16 and 1024 samples over tcp on loopback, a sender thread and a receiver in this thread.

Prints `bench:` lines: libpyacq throughput with each baseline, and the per-chunk overhead.
Usage: LIBPYACQ_PATH=build/lib python3 benchmarks/python_bench.py [seconds]
"""
import os
import sys
import threading
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bindings", "python"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "python"))
os.environ.setdefault("LIBPYACQ_PATH", os.path.join(HERE, "..", "build", "lib"))

import libpyacq  # noqa: E402
import specpeer  # noqa: E402

CHANNELS = 16


def pump(send, chunk, seconds, stop):
    """Sends as fast as the transport takes it until `stop` is set."""
    index = 0
    deadline = time.perf_counter() + seconds + 5
    while not stop.is_set() and time.perf_counter() < deadline:
        index += chunk.shape[0]
        send(chunk, index)


def measure(receive, send, rows, seconds):
    """Samples per second received while a thread sends (warm-up excluded)."""
    chunk = np.random.default_rng(0).standard_normal((rows, CHANNELS)).astype(np.float32)
    stop = threading.Event()
    sender = threading.Thread(target=pump, args=(send, chunk, seconds, stop), daemon=True)
    sender.start()
    for _ in range(20):
        receive()
    received = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        received += receive()
    rate = received / (time.perf_counter() - start)
    stop.set()
    sender.join()
    return rate


def libpyacq_rate(rows, seconds):
    with libpyacq.OutputStream() as out, libpyacq.InputStream() as inp:
        out.configure(protocol="tcp", dtype="float32", shape=[-1, CHANNELS])
        inp.connect(out)
        out.wait_for_subscribers(1, timeout=5)

        def receive():
            index, data = inp.recv(timeout=5)
            return data.shape[0]

        return measure(receive, lambda c, i: out.send(c, index=i), rows, seconds)


def specpeer_rate(rows, seconds):
    out = specpeer.OutputStream(detect_subscribers=True)
    out.configure(protocol="tcp", dtype="float32", shape=[-1, CHANNELS])
    inp = specpeer.InputStream()
    inp.connect(out.params)
    out.wait_for_subscribers(1, timeout_ms=5000)

    def receive():
        index, data = inp.recv()
        return data.shape[0]

    try:
        return measure(receive, lambda c, i: out.send(c, index=i), rows, seconds)
    finally:
        inp.close()
        out.close()


def pylsl_rate(rows, seconds):
    import pylsl
    info = pylsl.StreamInfo(f"bench{os.getpid()}_{rows}", "EEG", CHANNELS, 0, "float32", f"bench{os.getpid()}{rows}")
    outlet = pylsl.StreamOutlet(info, chunk_size=rows, max_buffered=60)
    streams = pylsl.resolve_byprop("source_id", info.source_id(), timeout=10)
    inlet = pylsl.StreamInlet(streams[0], max_buflen=60, max_chunklen=rows)
    inlet.open_stream(timeout=10)
    buffer = np.empty((rows * 8, CHANNELS), dtype=np.float32)

    def receive():
        data, stamps = inlet.pull_chunk(timeout=1.0, max_samples=buffer.shape[0], dest_obj=buffer)
        return len(stamps)

    try:
        return measure(receive, lambda c, i: outlet.push_chunk(c), rows, seconds)
    finally:
        inlet.close_stream()
        del outlet


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    for rows in (16, 1024):
        ours = libpyacq_rate(rows, seconds)
        peer = specpeer_rate(rows, seconds)
        try:
            lsl = pylsl_rate(rows, seconds)
        except Exception as error:  # pylsl missing or no liblsl: say so, keep the other figures
            lsl = 0.0
            print(f"bench-info: pylsl unavailable: {error}")
        print(f"bench: python_libpyacq_tcp_{rows} value={ours / 1e3:.1f} kS/s baseline=python_specpeer_pyzmq:{peer / 1e3:.1f} ratio={ours / peer:.2f}")
        if lsl:
            print(f"bench: python_libpyacq_tcp_{rows} value={ours / 1e3:.1f} kS/s baseline=pylsl:{lsl / 1e3:.1f} ratio={ours / lsl:.2f}")
        per_chunk_ours = 1e6 * rows / ours
        per_chunk_peer = 1e6 * rows / peer
        print(f"bench: python_libpyacq_chunk_overhead_{rows} value={per_chunk_ours:.1f} us/chunk baseline=python_specpeer_pyzmq:{per_chunk_peer:.1f} ratio={per_chunk_peer / per_chunk_ours:.2f}")


if __name__ == "__main__":
    main()
