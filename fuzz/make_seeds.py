"""Writes the seed corpus of pyacq-fuzz (fuzz/corpus): one valid input per decoder and a few
known-hostile ones. The first byte of each file picks the decoder (Sources/pyacq-fuzz)."""

import json
import os
import struct

import blosc
import msgpack
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")

PLAIN, NOTE, MSGPACK, JSON_, DTYPE, PARAMS, BLOSC = range(7)


def header(shape, strides, index, offset=0):
    words = [len(shape), index, offset] + list(shape)
    return struct.pack(">%dQ" % len(words), *words) + struct.pack(">%dq" % len(strides), *strides)


def plain(dtype_choice, head, data, kind=PLAIN):
    return bytes([kind, dtype_choice]) + struct.pack(">H", len(head)) + head + data


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {}
    data = np.arange(16, dtype="float32").tobytes()
    seeds["plain-c"] = plain(0, header([4, 4], [16, 4], 4), data)
    seeds["plain-reversed"] = plain(0, header([4, 4], [-16, 4], 4, offset=48), data)
    seeds["plain-transposed"] = plain(0, header([4, 4], [4, 16], 4), data)
    seeds["plain-minint-stride"] = plain(0, header([2, 4], [-2 ** 63, 4], 2), data)
    seeds["plain-huge-shape"] = plain(0, header([2 ** 47, 4], [16, 4], 2), data)
    seeds["plain-void3"] = plain(4, header([5], [3], 5), bytes(15))
    seeds["blosc-lz4"] = plain(0, header([4, 4], [16, 4], 4),
                               blosc.compress(data, typesize=4, clevel=9, cname="lz4"), kind=BLOSC)
    seeds["note-ok"] = bytes([NOTE]) + struct.pack("<Q", 1024) + struct.pack(">QQ", 64, 16)
    seeds["note-impossible"] = bytes([NOTE]) + struct.pack("<Q", 1024) + struct.pack(">QQ", 2 ** 63, 2 ** 63)
    request = {"action": "call_obj", "req_id": 3, "opts": {"obj": {"___type_name__": "proxy", "obj_id": 1},
               "args": [1.5, "x", None, [1, 2]], "kwargs": {"a": b"bytes"}}}
    seeds["msgpack-request"] = bytes([MSGPACK]) + msgpack.packb(request, use_bin_type=True)
    seeds["msgpack-ndarray"] = bytes([MSGPACK]) + msgpack.packb(
        {"___type_name__": "ndarray", "dtype": "<f4", "shape": [2, 2], "data": data[:16]}, use_bin_type=True)
    seeds["json-request"] = bytes([JSON_]) + json.dumps(
        {"action": "get_obj", "opts": {"obj": {"___type_name__": "proxy"}}, "x": [1e308, -0.0, "\u00e9"]}).encode()
    seeds["json-deep"] = bytes([JSON_]) + b"[" * 5000
    for name, text in [("f4", "<f4"), ("datetime", "datetime64[ms]"), ("unicode", "<U12"), ("void", "|V7"),
                       ("bad", ">q9"), ("huge", "S2147483647")]:
        seeds["dtype-" + name] = bytes([DTYPE]) + text.encode()
    params = {"protocol": "tcp", "interface": "127.0.0.1", "port": "5000", "transfermode": "sharedmem",
              "streamtype": "analogsignal", "dtype": [["a", "<f8", [2, 3]], ["b", "|S4"]], "shape": [-1, 16],
              "buffer_size": 4096, "double": True, "axisorder": [1, 0], "fill": 0, "compression": ""}
    seeds["params-sharedmem"] = bytes([PARAMS]) + json.dumps(params).encode()
    params.update({"dtype": [["a", "f8", [2 ** 40, 2 ** 40]]], "buffer_size": 2 ** 62, "port": "99999"})
    seeds["params-hostile"] = bytes([PARAMS]) + json.dumps(params).encode()
    for name, blob in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(blob)
    print("wrote %d seeds to %s" % (len(seeds), OUT))


if __name__ == "__main__":
    main()
