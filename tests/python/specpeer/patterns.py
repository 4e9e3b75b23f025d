"""Deterministic test signals and chunk fingerprints shared by the CLI and tests.

Ramp pattern: the element of sample `s` (absolute stream index) at flat frame
position `c` is `s * 1000 + c`, computed in int64 and then cast to the dtype
(numpy `astype`: integers wrap modulo 2**bits, floats round to nearest). For a
structured dtype, field number `j` holds `s * 1000 + c + 100 * j` cast to the
field type, and byte-string fields hold that number in ASCII decimal
(truncated to the field size).
"""

import hashlib

import numpy as np

from .dtypes import parse_dtype

__all__ = ["ramp", "lay_out", "LAYOUTS", "matches_ramp", "chunk_summary"]

LAYOUTS = ("c", "f", "reversed", "strided")


def _ramp_numbers(first_sample, length, frame_shape):
    samples = np.arange(first_sample, first_sample + length, dtype=np.int64)
    positions = np.arange(int(np.prod(frame_shape, dtype=np.int64)), dtype=np.int64)
    numbers = samples[:, None] * 1000 + positions[None, :]
    return numbers.reshape((length,) + tuple(frame_shape))


def ramp(first_sample, length, frame_shape, dtype):
    """Chunk of samples [first_sample, first_sample + length), C order."""
    dtype = parse_dtype(dtype)
    numbers = _ramp_numbers(first_sample, length, frame_shape)
    if dtype.names is None:
        return numbers.astype(dtype)
    chunk = np.zeros(numbers.shape, dtype)
    for j, name in enumerate(dtype.names):
        field_numbers = numbers + 100 * j
        if dtype[name].kind in "SU":
            chunk[name] = field_numbers.astype(str)
        else:
            chunk[name] = field_numbers.astype(dtype[name])
    return chunk


def lay_out(chunk, layout):
    """The same values in another memory layout, to exercise §9's rules:
    `c` C-contiguous; `f` Fortran (contiguous, sent without copy, strides
    [itemsize, len*itemsize]); `reversed` rows stored backwards (negative
    first stride, non-zero offset); `strided` every other element of a wider
    array (not contiguous, the sender copies)."""
    if layout == "c":
        return chunk
    if layout == "f":
        return np.asfortranarray(chunk)
    if layout == "reversed":
        return chunk[::-1].copy()[::-1]
    if layout == "strided":
        wide = np.zeros(chunk.shape[:-1] + (2 * chunk.shape[-1],), chunk.dtype)
        view = wide[..., ::2]
        view[...] = chunk
        return view
    raise ValueError(f"unknown layout {layout!r}; expected one of {LAYOUTS}")


def matches_ramp(index, data):
    """True if `data`, the chunk that ends at `index`, holds the ramp pattern."""
    length = data.shape[0]
    expected = ramp(index - length, length, data.shape[1:], data.dtype)
    return bool(np.array_equal(np.asarray(data), expected))


def chunk_summary(index, data):
    """JSON-friendly fingerprint: index, shape, sha1 of the C-order bytes and
    (numeric dtypes) the float64 sum."""
    contiguous = np.ascontiguousarray(data)
    summary = {
        "index": int(index),
        "shape": list(data.shape),
        "sha1": hashlib.sha1(contiguous.tobytes()).hexdigest(),
        "sum": None,
    }
    if data.dtype.kind in "biuf":
        summary["sum"] = float(np.sum(data, dtype=np.float64))
    return summary
