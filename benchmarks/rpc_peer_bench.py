"""Synchronous RPC round trips from the Python spec peer (pure pyzmq + msgpack) to a Swift
server, next to raw libzmq DEALER/ROUTER ping-pong measured by pyacq-bench in the same run.

Usage: python3 benchmarks/rpc_peer_bench.py PYACQ_BENCH_EXECUTABLE [seconds]
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "python"))
from specpeer.rpc_client import RPCClient  # noqa: E402


def main():
    executable = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    swift = subprocess.run([executable, "rpc", str(seconds)], capture_output=True, text=True, check=True).stdout
    for line in swift.splitlines():
        if line.startswith("bench: "):
            print(line)
    raw = float(next(l for l in swift.splitlines() if l.startswith("bench-raw: zmq_dealer_router")).split("value=")[1].split()[0])

    server = subprocess.Popen([executable, "rpc-serve"], stdout=subprocess.PIPE, text=True)
    try:
        address = server.stdout.readline().split()[1]
        client = RPCClient(address)
        counter = client.proxy(client.get_item("counter"))
        for _ in range(200):
            counter.add(1)
        calls = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            for _ in range(100):
                counter.add(1)
            calls += 100
        rate = calls / (time.perf_counter() - start)
        print(f"bench: rpc_sync_call_python_peer_to_swift value={rate:.1f} calls/s "
              f"baseline=zmq_dealer_router_pingpong:{raw:.1f} ratio={rate / raw:.2f}")
        client.close_server()
    finally:
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
