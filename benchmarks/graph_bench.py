#!/usr/bin/env python3
"""Distributed-graph benchmark (for `make bench`, after `make lib`).

Measured from this process, a spec-peer manager (tests/python/specpeer), on 127.0.0.1:

* graph_create_nodegroup_median — time from `host.create_nodegroup(name)` to the first reply
  of the new process to the manager (`nodegroup.list_node_types()` over a new connection),
  median of --runs (default 10). libpyacq: Swift `pyacq-host` spawning `pyacq-nodegroup`.
  Baseline: the Python host peer (specpeer.host_peer) spawning Python bootstrap children
  (`python -m specpeer.nodegroup_peer`: specpeer.bootstrap plus a pure-Python NodeGroup).
* graph_chunk_latency_median / _p99 — end-to-end latency of a chunk: NumpyDeviceBuffer in one
  node group -> StreamConverter in a second node group -> spec-peer InputStream here (tcp
  plaindata both hops). The latency of the chunk with index i is its arrival time here minus
  the time the device's schedule gives it (start_time + i * sample_interval; both processes
  read CLOCK_MONOTONIC). Baseline: the same graph in Python node groups of the Python host.

Each figure prints one line:
    bench: <name> value=<v> <unit> baseline=<name>:<v> ratio=<value/baseline>
(a lower ratio is better for all of them). If the Python peer cannot run, its value is nan
and a `# ...` line says why.

Both hosts run side by side and the measurements alternate between them (spawn by spawn;
latency in --rounds rounds of --chunks/--rounds chunks, pooled), so that load from elsewhere
on the machine hits both alike. Expect noisy p99 values on a busy machine.

Usage: graph_bench.py [--runs 10] [--chunks 600] [--rounds 3] [--chunksize 32]
                      [--sample-interval 1e-4]
"""

import argparse
import math
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "python"))

import numpy as np  # noqa: E402

from graph_support import missing_binaries, start_python_host, start_swift_host  # noqa: E402
from specpeer import InputStream, RPCClient  # noqa: E402

CHANNELS = 16
WARMUP_CHUNKS = 20


def percentile(values, q):
    return float(np.percentile(np.asarray(values), q))


def host_proxy(address):
    client = RPCClient(address)
    return client.proxy(client.get_item("host"))


def time_create_nodegroup(host, runs, kwargs):
    times = []
    for i in range(runs):
        name = f"bench-spawn-{i}"
        started = time.perf_counter()
        group = host.create_nodegroup(name, **kwargs)
        group.list_node_types()
        times.append(time.perf_counter() - started)
        host.close_all_nodegroups(_timeout=60.0)
        # After the close: the child's disconnect notice must find this client still open
        # (a notice queued for a vanished client delays a Python child's exit by seconds).
        RPCClient.get_client(group._proxy_ref.rpc_addr).close()
    return times


def chunk_latencies(host, kwargs, chunks, chunksize, sample_interval):
    producer = host.create_nodegroup("bench-producer", **kwargs)
    relay = host.create_nodegroup("bench-relay", **kwargs)
    rows = chunksize * 8
    buffer = (np.arange(rows)[:, None] * 100 + np.arange(CHANNELS)[None, :]).astype("int32")
    device = producer.create_node("NumpyDeviceBuffer", name="dev")
    device.configure(nb_channel=CHANNELS, sample_interval=sample_interval, chunksize=chunksize,
                     buffer=buffer)
    device.output.configure(protocol="tcp", interface="127.0.0.1", transfermode="plaindata")
    device.initialize()
    converter = relay.create_node("StreamConverter", name="conv")
    converter.configure()
    converter.input.connect(device.output)
    converter.output.configure(protocol="tcp", interface="127.0.0.1", transfermode="plaindata")
    converter.initialize()
    stream = InputStream()
    stream.connect(converter.output.params._get_value())
    latencies, lost = [], 0
    try:
        converter.start()
        device.start()
        start_time = device.start_time._get_value()
        last = None
        received = 0
        while received < chunks + WARMUP_CHUNKS:
            if not stream.poll(5000):
                raise RuntimeError(f"no chunk within 5 s after {received} chunks")
            index, _ = stream.recv(return_data=False)
            arrived = time.monotonic()
            received += 1
            if last is not None and index != last + chunksize:
                lost += (index - last) // chunksize - 1
            last = index
            if received > WARMUP_CHUNKS:
                latencies.append(arrived - (start_time + index * sample_interval))
        device.stop()
        converter.stop()
    finally:
        stream.close()
        host.close_all_nodegroups(_timeout=60.0)
    return latencies, lost


def measure(args):
    """{kind: {figure: value}} for kind 'swift' and 'python'. Both hosts run side by side and
    the runs alternate (spawns one by one, latency in --rounds rounds) so that a change of
    machine load hits both alike. A Python peer failure leaves its figures out."""
    procs = {"swift": start_swift_host()}
    kwargs = {"swift": {}, "python": {"executable": sys.executable}}
    try:
        try:
            procs["python"] = start_python_host(poll_interval=1.0)
        except Exception as exc:
            print(f"# python peer baseline unavailable: {exc!r}", flush=True)
        hosts = {kind: host_proxy(proc.address) for kind, proc in procs.items()}
        spawn = {kind: [] for kind in hosts}
        latencies = {kind: [] for kind in hosts}
        for _ in range(args.runs):
            for kind in list(hosts):
                try:
                    spawn[kind] += time_create_nodegroup(hosts[kind], 1, kwargs[kind])
                except Exception as exc:
                    _drop(kind, hosts, exc)
        per_round = max(1, args.chunks // args.rounds)
        for _ in range(args.rounds):
            for kind in list(hosts):
                try:
                    values, lost = chunk_latencies(hosts[kind], kwargs[kind], per_round,
                                                   args.chunksize, args.sample_interval)
                except Exception as exc:
                    _drop(kind, hosts, exc)
                    continue
                latencies[kind] += values
                if lost:
                    print(f"# {kind}: {lost} chunk(s) lost during a latency round", flush=True)
        return {kind: {
            "graph_create_nodegroup_median": statistics.median(spawn[kind]) * 1e3,
            "graph_chunk_latency_median": statistics.median(latencies[kind]) * 1e6,
            "graph_chunk_latency_p99": percentile(latencies[kind], 99) * 1e6,
        } for kind in hosts}
    finally:
        RPCClient.close_thread_clients()
        for proc in procs.values():
            if proc.process.stdin:
                proc.process.stdin.close()
                try:
                    proc.process.wait(10)
                except Exception:
                    pass
            proc.terminate()
            proc.kill_leftovers()


def _drop(kind, hosts, exc):
    if kind == "swift":
        raise exc
    print(f"# python peer baseline failed: {exc!r}", flush=True)
    del hosts[kind]


UNITS = {"graph_create_nodegroup_median": "ms", "graph_chunk_latency_median": "us",
         "graph_chunk_latency_p99": "us"}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--chunks", type=int, default=600, help="latency samples per host")
    parser.add_argument("--rounds", type=int, default=3, help="latency rounds per host")
    parser.add_argument("--chunksize", type=int, default=32)
    parser.add_argument("--sample-interval", type=float, default=1e-4)
    args = parser.parse_args(argv)
    problem = missing_binaries()
    if problem:
        print(f"graph_bench.py: {problem}", file=sys.stderr)
        return 1
    print(f"# graph bench: {args.runs} spawns; {args.chunks} chunks of {args.chunksize}x"
          f"{CHANNELS} int32 every {args.chunksize * args.sample_interval * 1e3:.1f} ms, "
          "device -> converter -> here, tcp plaindata", flush=True)
    results = measure(args)
    swift = results["swift"]
    python = results.get("python") or {name: math.nan for name in swift}
    for name, value in swift.items():
        base = python[name]
        ratio = value / base if base and not math.isnan(base) else math.nan
        print(f"bench: {name} value={value:.1f} {UNITS[name]} baseline=python_peer:{base:.1f} "
              f"ratio={ratio:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
