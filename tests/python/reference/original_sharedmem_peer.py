"""Runs under the python of an ORIGINAL pyacq install (PYACQ_REFERENCE_PYTHON): one end of a
sharedmem stream whose other end is libpyacq (tests/python/test_stream_wakeup_reference.py).

    original_sharedmem_peer.py read <chunks>    params JSON on stdin's first line; prints
                                                 "subscribed", then one JSON summary line
    original_sharedmem_peer.py write <proto> <chunks>
                                                 prints its params JSON, sends PROBE-row chunks
                                                 (restarting the index each time) until a "go"
                                                 line on stdin, then the chunks from index 0;
                                                 closes at stdin's EOF

Sample s of channel c holds s * 1000 + c, so each side checks every value it gets.
"""
import json
import select
import sys

import numpy as np
from pyacq.core.stream import InputStream, OutputStream

NCHAN = 4
ROWS = (16, 1, 33, 7)
PROBE = 5  # rows of the probe chunks, unlike any of ROWS' running sums


def chunk(start, rows):
    return (np.arange(start, start + rows)[:, None] * 1000 + np.arange(NCHAN)[None, :]).astype("float32")


def read(chunks):
    params = json.loads(sys.stdin.readline())
    stream = InputStream()
    stream.connect(params)
    print("subscribed", flush=True)
    got, ok, start = [], True, 0
    for _ in range(chunks):
        if not stream.poll(timeout=10000):
            break
        index, data = stream.recv(return_data=True)
        rows = index - start
        ok = ok and data is not None and data.shape == (rows, NCHAN) and np.array_equal(data, chunk(start, rows))
        got.append(int(index))
        start = index
    print(json.dumps({"indexes": got, "equal": bool(ok)}), flush=True)


def write(proto, chunks):
    stream = OutputStream()
    stream.configure(protocol=proto, transfermode="sharedmem", buffer_size=256, double=True, dtype="float32",
                     shape=(-1, NCHAN))
    print(json.dumps(stream.params), flush=True)
    # A PUB drops what it sends before the subscription arrives: probe until the reader got one.
    while True:
        stream.send(chunk(0, PROBE))
        stream.reset_buffer_index()
        if select.select([sys.stdin], [], [], 0.005)[0]:
            sys.stdin.readline()
            break
    start = 0
    for k in range(chunks):
        rows = ROWS[k % len(ROWS)]
        stream.send(chunk(start, rows))
        start += rows
    sys.stdin.read()
    stream.close()


if __name__ == "__main__":
    if sys.argv[1] == "read":
        read(int(sys.argv[2]))
    else:
        write(sys.argv[2], int(sys.argv[3]))
