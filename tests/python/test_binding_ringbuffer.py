"""libpyacq.RingBuffer against PROTOCOL.md §12 and the spec peer's RingBuffer."""

import gc
import threading

import numpy as np
import pytest

import libpyacq
import specpeer
from binding_support import ALL_DTYPES, assert_same, byte_range, chunk, layout, pointer


def both(shape, dtype, **kwargs):
    return libpyacq.RingBuffer(shape, dtype, **kwargs), specpeer.RingBuffer(shape, dtype, **kwargs)


def same_outcome(ours, theirs):
    """Runs both callables: same exception class family, or equal arrays."""
    try:
        expected = theirs()
    except IndexError:
        with pytest.raises(IndexError):
            ours()
        return
    got = ours()
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected)
        for g, e in zip(got, expected):
            assert_same(g, e)
    else:
        assert_same(got, np.asarray(expected))


WRITES = [(3, None), (5, None), (2, 20), (7, None), (1, None), (4, 40), (6, None)]  # (rows, index)


@pytest.mark.parametrize("dtype", ["float32", "int16", "structured", "complex64"])
@pytest.mark.parametrize("axisorder", [None, [1, 0]])
@pytest.mark.parametrize("double", [True, False])
def test_matches_the_spec_peer(double, axisorder, dtype):
    dtype = ALL_DTYPES[dtype]
    ours, theirs = both((8, 3), dtype, double=double, axisorder=axisorder)
    start = 0
    for rows, index in WRITES:
        data = chunk(dtype, rows, start=start if index is None else index - rows)
        ours.new_chunk(layout(data, "reversed"), index)
        theirs.new_chunk(data, index)
        start = theirs.index()
        assert ours.index() == theirs.index() and ours.first_index() == theirs.first_index()
        top = theirs.index()
        # An empty range is empty here; the literal §12 rule (and the spec peer) returns a whole
        # lap for get_data(B, B) at a lap boundary B of a single ring: not compared.
        assert ours.get_data(top, top).shape == (0, 3)
        for a, b in [(top - 8, top), (top - 5, top - 1), (top - 1, top), (top - 9, top), (top - 3, top + 1),
                     (top - 8, top - 4)]:
            same_outcome(lambda: ours.get_data(a, b), lambda: theirs.get_data(a, b))
            same_outcome(lambda: ours.get_data(a, b, join=False), lambda: theirs.get_data(a, b, join=False))
            same_outcome(lambda: ours.get_data(a, b, copy=True), lambda: theirs.get_data(a, b, copy=True))
        items = [-1, -8, -9, top - 1, top, 0, slice(None), slice(-4, None), slice(None, None, -1),
                 slice(-2, -7, -2), slice(top - 6, top - 1, 2), slice(top - 20, None), slice(None, top + 1),
                 (slice(-3, None), 1), (-2, slice(0, 2)), (slice(None, None, -3), slice(None, None, -1))]
        for item in items:
            same_outcome(lambda: ours[item], lambda: theirs[item])


def test_default_fill_and_skipped_samples():
    floats = libpyacq.RingBuffer((4, 2), "float32")
    assert np.isnan(floats.get_data(-4, 0)).all()  # never written: the fill value
    ints = libpyacq.RingBuffer((4, 2), "int16")
    assert (ints.get_data(-4, 0) == 0).all()
    filled = libpyacq.RingBuffer((6, 2), "int16", fill=7, double=False)
    filled.new_chunk(np.ones((2, 2), "int16"), index=6)  # samples 0..3 skipped
    assert filled.get_data(0, 6)[:, 0].tolist() == [7, 7, 7, 7, 1, 1]


def test_views_alias_the_ring_memory():
    ring = libpyacq.RingBuffer((8, 2), "int32", double=True)
    ring.new_chunk(np.zeros((8, 2), "int32"))
    view = ring.get_data(4, 8)
    assert not view.flags.owndata and view.flags.writeable  # the creator's ring: writable, as pyacq's
    assert pointer(ring.get_data(4, 8)) == pointer(view)
    assert np.shares_memory(view, ring[:]) and np.shares_memory(ring[-1], ring[4:8])
    ring.new_chunk(np.full((8, 2), 5, "int32"))  # recycles every row: the old view sees it
    assert (view == 5).all()
    copy = ring.get_data(8, 16, copy=True)
    assert copy.flags.owndata and not np.shares_memory(copy, ring[:])


def test_single_ring_split_range():
    ring = libpyacq.RingBuffer((8, 2), "int16", double=False)
    ring.new_chunk(chunk("int16", 6, (2,)))
    ring.new_chunk(chunk("int16", 6, (2,), start=6))
    expected = chunk("int16", 8, (2,), start=4)
    first, second = ring.get_data(4, 12, join=False)
    assert first.shape[0] == 4 and second.shape[0] == 4
    assert not first.flags.owndata and not second.flags.owndata
    assert byte_range(second)[1] <= byte_range(first)[0]  # rows [0, 4) lie before rows [4, 8)
    joined = ring.get_data(4, 12)
    assert joined.flags.owndata  # one copy, made by pyacq_ringbuffer_read
    assert_same(joined, expected)
    assert_same(ring.read(4, 12), expected)
    assert_same(ring[4:12], expected)


def test_read_is_a_checked_copy():
    ring = libpyacq.RingBuffer((8, 3), "float64", double=False, axisorder=[1, 0])
    ring.new_chunk(chunk("float64", 8))
    out = ring.read(2, 8)
    assert out.flags.c_contiguous and out.flags.owndata
    assert_same(out, chunk("float64", 6, start=2))
    with pytest.raises(libpyacq.BufferIndexError):
        ring.read(-1, 8)


def test_concurrent_writer_never_yields_torn_reads():
    """A writer thread recycles rows while the main thread reads the oldest samples: every read
    returns exact data or raises (OverrunError / BufferIndexError), never a mix."""
    size, rows, chunks, width = 64, 16, 3000, 256
    ring = libpyacq.RingBuffer((size, width), "int64", double=False)
    done = threading.Event()

    def write():
        try:
            for k in range(chunks):
                ring.new_chunk(chunk("int64", rows, (width,), start=k * rows))
        finally:
            done.set()

    writer = threading.Thread(target=write)
    writer.start()
    outcomes = {"ok": 0, "overrun": 0, "index": 0}
    try:
        while not done.is_set():
            top = ring.index()
            start = max(top - size, 0)
            try:
                data = ring.read(start, top)
            except libpyacq.OverrunError:
                outcomes["overrun"] += 1
                continue
            except libpyacq.BufferIndexError:
                outcomes["index"] += 1
                continue
            assert_same(data, chunk("int64", top - start, (width,), start=start))
            outcomes["ok"] += 1
    finally:
        writer.join(timeout=60)
    assert not writer.is_alive()
    assert outcomes["ok"] > 0, outcomes


def test_views_keep_the_memory_alive_after_close():
    ring = libpyacq.RingBuffer((4, 2), "float32")
    ring.new_chunk(np.arange(8, dtype="float32").reshape(4, 2))
    view = ring[:]
    ring.close()
    assert ring.closed
    with pytest.raises(libpyacq.ClosedError):
        ring.index()
    del ring
    gc.collect()
    assert view.tolist() == [[0, 1], [2, 3], [4, 5], [6, 7]]


def test_context_manager():
    with libpyacq.RingBuffer((4, 2), "float32") as ring:
        assert ring.shape == (4, 2) and ring.size == 4 and ring.dtype == np.float32 and ring.double
    assert ring.closed


@pytest.mark.parametrize("call, error", [
    (lambda r: r.new_chunk(np.zeros((9, 2), "float32")), libpyacq.InvalidArgument),
    (lambda r: r.new_chunk(np.zeros((2, 3), "float32")), libpyacq.InvalidArgument),
    (lambda r: r.new_chunk(np.zeros((2, 2), "float64")), libpyacq.DTypeError),
    (lambda r: r.new_chunk(np.zeros((2, 2), "float32"), index=1), libpyacq.BufferIndexError),
    (lambda r: r.new_chunk(np.zeros((2, 2), "float32"), index=-3), libpyacq.InvalidArgument),
    (lambda r: r.new_chunk(np.float32(1)), libpyacq.InvalidArgument),
    (lambda r: r.get_data(0, 1), libpyacq.BufferIndexError),
    (lambda r: r.get_data(-2, -3), libpyacq.BufferIndexError),
    (lambda r: r[0], IndexError),
    (lambda r: r[::0], ValueError),
    (lambda r: r["a"], ValueError),
])
def test_bad_calls_raise(call, error):
    ring = libpyacq.RingBuffer((8, 2), "float32")
    with pytest.raises(error) as info:
        call(ring)
    assert str(info.value)


@pytest.mark.parametrize("kwargs, error", [
    (dict(shape=(0, 2), dtype="float32"), libpyacq.ParamsError),
    (dict(shape=(4, 0), dtype="float32"), libpyacq.ParamsError),
    (dict(shape=(4, 2), dtype="float33"), libpyacq.DTypeError),
    (dict(shape=(4, 2), dtype="float32", axisorder=[0, 0]), libpyacq.ParamsError),
    (dict(shape=(4,), dtype=ALL_DTYPES["structured"], fill=3), libpyacq.ParamsError),
    (dict(shape=(4, 2), dtype="int8", fill="x"), libpyacq.ParamsError),
    (dict(shape=(), dtype="float32"), libpyacq.InvalidArgument),
])
def test_bad_construction_raises(kwargs, error):
    with pytest.raises(error):
        libpyacq.RingBuffer(**kwargs)
