"""Runs under the python of an ORIGINAL pyacq install (PYACQ_REFERENCE_PYTHON): one end of a
sharedmem stream whose other end is libpyacq (tests/python/test_stream_wakeup_reference.py).
Both ends go in lockstep (one chunk per stdin/stdout line), so the 256-sample ring can wrap many
times without a reader falling behind.

    original_sharedmem_peer.py read <chunks>    params JSON on stdin's first line; prints
                                                 "subscribed", then per chunk a JSON line
                                                 [index, samples equal to the pattern]
    original_sharedmem_peer.py write <proto>     prints its params JSON, then sends the next
                                                 chunk for every line on stdin; closes at EOF

Sample s of channel c holds s * 1000 + c, so each side checks every value it gets.
"""
import json
import sys

import numpy as np
from pyacq.core.stream import InputStream, OutputStream

NCHAN = 4
ROWS = (16, 1, 33, 7)


def chunk(start, rows):
    return (np.arange(start, start + rows)[:, None] * 1000 + np.arange(NCHAN)[None, :]).astype("float32")


def read(chunks):
    params = json.loads(sys.stdin.readline())
    stream = InputStream()
    stream.connect(params)
    print("subscribed", flush=True)
    start = 0
    for _ in range(chunks):
        if not stream.poll(timeout=10000):
            break
        index, data = stream.recv(return_data=True)
        rows = index - start
        equal = data is not None and data.shape == (rows, NCHAN) and np.array_equal(data, chunk(start, rows))
        print(json.dumps([int(index), bool(equal)]), flush=True)
        start = index


def write(proto):
    stream = OutputStream()
    stream.configure(protocol=proto, transfermode="sharedmem", buffer_size=256, double=True, dtype="float32",
                     shape=(-1, NCHAN))
    print(json.dumps(stream.params), flush=True)
    start, k = 0, 0
    for _ in sys.stdin:
        rows = ROWS[k % len(ROWS)]
        stream.send(chunk(start, rows))
        start += rows
        k += 1
    stream.close()


if __name__ == "__main__":
    if sys.argv[1] == "read":
        read(int(sys.argv[2]))
    else:
        write(sys.argv[2])
