"""A timestamping producer in its own process (its clock offset comes from the environment's
PYACQ_CLOCK_OFFSET_NS): prints its params as JSON, then on each stdin line `send` sends a chunk
stamped now and prints the stamp; `rpc` starts an RPC server and prints its address."""

import json
import sys

import numpy as np

import libpyacq
from libpyacq import timing

interface = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
out = libpyacq.OutputStream()
out.configure(protocol="tcp", interface=interface, dtype="float32", shape=[-1, 2], sample_rate=1000.0)
print(json.dumps(out.params), flush=True)
server = None
for line in sys.stdin:
    command = line.strip()
    if command == "send":
        out.wait_for_subscribers(1, timeout=10)
        stamp = timing.clock_now()
        out.send(np.arange(8, dtype="float32").reshape(4, 2), timestamp=stamp)
        print(repr(stamp), flush=True)
    elif command == "rpc":
        server = libpyacq.RPCServer("tcp://%s:*" % interface)
        server.run_lazy()
        print(server.address if isinstance(server.address, str) else server.address.decode(), flush=True)
    elif command == "quit":
        break
out.close()
