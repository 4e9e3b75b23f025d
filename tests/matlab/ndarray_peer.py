"""ndarray marker maps between Octave (pyacq.internal.encode / decodeNdarray) and numpy, for test_remote.m.

    python3 ndarray_peer.py check FILE   FILE: JSON object {name: ndarray marker map}; each
                                         array must equal formula(dtype, shape); prints OK
    python3 ndarray_peer.py make         prints such an object (C-order data, base64)

formula: element [i1, ..., ik] = sum(i_j * 10**(k-j)) (e.g. i*100 + j*10 + k), cast to the
dtype (bool: value % 3 == 1); plus "extremes_<dtype>" vectors of the type's limits.
"""
import base64
import json
import sys

import numpy as np

DTYPES = ["float64", "float32", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "bool"]
SHAPES = {"m23": (2, 3), "m234": (2, 3, 4), "row": (1, 5), "col": (5, 1), "empty": (0, 3)}


def formula(dtype, shape):
    idx = np.indices(shape) if len(shape) else np.zeros((0,), dtype=np.int64)
    value = np.zeros(shape, dtype=np.int64)
    for j, axis in enumerate(idx):
        value = value + axis * 10 ** (len(shape) - 1 - j)
    if dtype == "bool":
        return value % 3 == 1
    return value.astype(dtype)


def extremes(dtype):
    if dtype == "bool":
        return np.array([True, False])
    if dtype.startswith("float"):
        info = np.finfo(dtype)
        return np.array([np.nan, np.inf, -np.inf, -0.0, info.max, -info.max, info.tiny], dtype=dtype)
    info = np.iinfo(dtype)
    return np.array([info.min, info.max, info.max - 1, info.min + 1], dtype=dtype)


def marker(a):
    return {"___type_name___": "ndarray", "dtype": str(a.dtype), "shape": list(a.shape),
            "data": base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")}


def decode(m):
    assert m["___type_name___"] == "ndarray", m
    raw = base64.b64decode(m["data"], validate=True)
    return np.frombuffer(raw, dtype=np.dtype(m["dtype"])).reshape(m["shape"])


def main():
    if sys.argv[1] == "make":
        out = {}
        for dtype in DTYPES:
            for name, shape in SHAPES.items():
                out["%s_%s" % (name, dtype)] = marker(formula(dtype, shape))
            out["extremes_%s" % dtype] = marker(extremes(dtype).reshape(1, -1))
        print(json.dumps(out))
        return
    with open(sys.argv[2]) as f:
        arrays = json.load(f)
    bad = []
    for key, m in arrays.items():
        a = decode(m)
        dtype = key.split("_", 1)[1]
        if str(a.dtype) != dtype:
            bad.append("%s: dtype %s" % (key, a.dtype))
            continue
        if key.startswith("extremes_"):
            expected = extremes(dtype).reshape(1, -1)
        else:
            expected = formula(dtype, SHAPES[key.split("_", 1)[0]])
        if a.shape != expected.shape:
            same = False
        elif a.dtype.kind == "f":  # NaN payloads differ between MATLAB and numpy: compare values
            same = bool(np.array_equal(a, expected, equal_nan=True)
                        and np.array_equal(np.signbit(a) | np.isnan(a), np.signbit(expected) | np.isnan(expected)))
        else:
            same = a.tobytes() == expected.tobytes()
        if not same:
            bad.append("%s: got %r, expected %r" % (key, a.tolist(), expected.tolist()))
    print("OK %d" % len(arrays) if not bad else "BAD " + "; ".join(bad))


if __name__ == "__main__":
    main()
