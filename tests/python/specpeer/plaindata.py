"""plaindata chunks: header, memory layout and compression (PROTOCOL.md §9, §10).

A chunk is two frames: a big-endian header describing the array view, and the
raw bytes that view lives in.
"""

import struct
from collections import namedtuple

import numpy as np

__all__ = [
    "ChunkHeader", "encode_header", "decode_header", "wire_layout",
    "encode_chunk", "decode_chunk", "compress", "decompress", "BLOSC_CNAMES",
]

ChunkHeader = namedtuple("ChunkHeader", "ndim index offset shape strides")

# Exactly these spellings (§10); values are python-blosc cnames.
BLOSC_CNAMES = {"blosc-blosclz": "blosclz", "blosc-lz4": "lz4"}
BLOSC_CLEVEL = 9
BLOSC_MAX_TYPESIZE = 255


# ---------------------------------------------------------------- header (§9)

def encode_header(index, offset, shape, strides):
    """u64be ndim, index, offset, shape[...], then i64be strides[...]."""
    if index < 0:
        raise ValueError("plaindata index is unsigned on the wire; got %r" % index)
    ndim = len(shape)
    return struct.pack(f">QQQ{ndim}Q{ndim}q", ndim, index, offset, *shape, *strides)


def decode_header(frame):
    frame = bytes(frame)
    (ndim,) = struct.unpack_from(">Q", frame)
    if len(frame) != 8 * (3 + 2 * ndim):
        raise ValueError(f"header of {len(frame)} bytes does not match ndim={ndim}")
    fields = struct.unpack(f">QQQ{ndim}Q{ndim}q", frame)
    index, offset = fields[1], fields[2]
    shape, strides = fields[3:3 + ndim], fields[3 + ndim:]
    return ChunkHeader(ndim, index, offset, tuple(shape), tuple(strides))


# ------------------------------------------------------ memory layout (§9 1-2)

def wire_layout(array):
    """(block, offset, strides) describing how `array` goes on the wire.

    `block` is a 1-D uint8 array holding the whole chunk in memory order. When
    the chunk is one contiguous block (any axis order or direction) it is that
    very memory, not a copy; otherwise the chunk is first copied keeping its
    axis order, so the receiver sees the same strides pattern.
    """
    layout = _contiguous_block(array)
    if layout is None:
        layout = _contiguous_block(_copy_keeping_axis_order(array))
    return layout


def _contiguous_block(array):
    """Describe `array` as a view of one contiguous block, or None if it is not."""
    if array.size == 0:
        return np.empty(0, np.uint8), 0, array.strides
    # Walk negative axes backwards so element [0, ...] of `forward` is the
    # lowest address; the distance to it is the header offset.
    flips = tuple(slice(None, None, -1) if s < 0 else slice(None) for s in array.strides)
    forward = array[flips]
    offset = sum((n - 1) * -s for n, s in zip(array.shape, array.strides) if s < 0)
    # A contiguous block is C-contiguous once its axes are sorted by stride.
    by_stride = sorted(range(array.ndim), key=lambda axis: -forward.strides[axis])
    candidate = forward.transpose(by_stride)
    if not candidate.flags.c_contiguous:
        return None
    block = candidate.reshape(-1).view(np.uint8)
    return block, offset, array.strides


def _copy_keeping_axis_order(array):
    """Copy into fresh memory whose axes are nested like the original's.

    Axes are ordered by decreasing |stride| and every stride becomes positive,
    e.g. `big[::2, 1:5]` of a C (4, 6) float32 array gets strides (16, 4).
    """
    by_stride = sorted(range(array.ndim), key=lambda axis: -abs(array.strides[axis]))
    memory = np.empty([array.shape[axis] for axis in by_stride], array.dtype)
    copy = memory.transpose(np.argsort(by_stride))
    copy[...] = array
    return copy


# -------------------------------------------------------- compression (§10)

def compress(block, method, itemsize):
    """Compress frame 1 the way pyacq's hook calls python-blosc (clevel 9, byte shuffle)."""
    if not method:
        return block
    import blosc  # only needed when a stream asks for compression

    typesize = itemsize if itemsize <= BLOSC_MAX_TYPESIZE else 1  # c-blosc's own rule
    return blosc.compress(_as_bytes_like(block), typesize=typesize, clevel=BLOSC_CLEVEL,
                          shuffle=blosc.SHUFFLE, cname=_cname(method))


def decompress(payload, method):
    if not method:
        return payload
    import blosc

    _cname(method)  # reject unknown names even though blosc frames are self-describing
    return blosc.decompress(bytes(payload))


def _cname(method):
    try:
        return BLOSC_CNAMES[method]
    except KeyError:
        raise ValueError(f"unknown compression {method!r}; expected '' or one of "
                         f"{sorted(BLOSC_CNAMES)}") from None


def _as_bytes_like(block):
    return memoryview(np.ascontiguousarray(block).reshape(-1).view(np.uint8))


# ------------------------------------------------------------ whole chunks

def encode_chunk(array, index, compression=""):
    """The two frames of one chunk: [header, data]."""
    block, offset, strides = wire_layout(array)
    header = encode_header(index, offset, array.shape, strides)
    return [header, compress(block, compression, array.dtype.itemsize)]


def decode_chunk(frames, dtype, compression=""):
    """(index, read-only view) rebuilt from the two frames of a chunk."""
    if len(frames) != 2:
        raise ValueError(f"plaindata chunk must have 2 frames, got {len(frames)}")
    header = decode_header(frames[0])
    data = bytes(decompress(frames[1], compression))
    view = np.ndarray(header.shape, dtype=dtype, buffer=data,
                      offset=header.offset, strides=header.strides)
    return header.index, view
