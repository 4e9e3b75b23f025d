"""RingBuffer (pyacq.RingBuffer, PROTOCOL.md §12) over libpyacq's C ABI."""

import ast
import ctypes
import operator

import numpy as np

from . import _capi
from ._arrays import CallerArray, as_dtype, borrowed_array, chunk_index, dtype_param, to_json
from ._capi import check, lib
from ._handle import HandleKeeper, HandleOwner
from .errors import BufferIndexError, InvalidArgument

__all__ = ["RingBuffer"]


class RingBuffer(HandleOwner):
    """A ring of `shape[0]` samples of frame shape `shape[1:]`.

    ``shmem=True`` puts the ring in a new shared-memory segment named by ``shm_id``; another
    process opens it read-only with ``RingBuffer(shape, dtype, double, shmem=shm_id)``.
    ``double=True`` stores every sample twice so any window of up to ``shape[0]`` samples is one
    contiguous view. Reads (get_data, ``buf[...]``) return **zero-copy views** into the ring
    whenever the memory allows (writable for a ring you created, as in pyacq; read-only for an
    input's ring or another process's shared ring); they stay valid (the memory is kept alive) as long as the
    array exists, but the writer recycles the rows of samples older than ``index() - size``:
    use ``read()`` or ``copy=True`` for a copy that is checked against such overwrites.
    """

    _kind = "ring buffer"

    def __init__(self, shape, dtype, double=True, shmem=None, fill=None, axisorder=None):
        shape = tuple(operator.index(n) for n in shape)
        if not shape:
            raise InvalidArgument("RingBuffer shape needs at least the ring length: (size, *frame_shape)")
        dtype = as_dtype(dtype)
        options = {"shape": list(shape), "dtype": dtype_param(dtype), "double": bool(double),
                   "axisorder": None if axisorder is None else [int(a) for a in axisorder], "fill": fill}
        if shmem is True:  # pyacq: a new shared ring, named by self.shm_id
            options["shmem"] = True
        elif isinstance(shmem, str):  # pyacq: another process's ring, opened read-only
            options["shm_id"] = shmem
        elif shmem not in (None, False):
            raise InvalidArgument("shmem must be None, True (a new shared ring) or an shm_id string, got %r" % (shmem,))
        handle = _capi.RingBufferHandle()
        check(lib.pyacq_ringbuffer_create(ctypes.byref(handle), to_json(options, "ring buffer options")),
              "RingBuffer")
        self._setup(HandleKeeper(handle, lib.pyacq_ringbuffer_destroy), dtype)
        # A ring the caller made and may write returns writable views, as pyacq's does.
        self._writable_views = not isinstance(shmem, str)
        # pyacq's attribute: the order of the axes in memory, outermost first
        self.axisorder = np.arange(len(shape)) if axisorder is None else np.array(options["axisorder"])

    @classmethod
    def _from_handle(cls, handle, dtype=None):
        """Wraps a handle owned by the caller (e.g. from pyacq_input_buffer)."""
        self = cls.__new__(cls)
        self._setup(HandleKeeper(handle, lib.pyacq_ringbuffer_destroy), dtype)
        self._writable_views = False  # an input's ring: written by the stream only
        self.axisorder = None
        return self

    def _setup(self, keeper, dtype):
        self._keeper = keeper
        length = ctypes.c_int64()
        frame_ndim = ctypes.c_int32()
        frame_shape = (ctypes.c_int64 * _capi.MAX_NDIM)()
        is_double = ctypes.c_bool()
        dtype_text = ctypes.c_void_p()
        check(lib.pyacq_ringbuffer_info(keeper.handle, ctypes.byref(length), ctypes.byref(frame_ndim),
                                        frame_shape, None if dtype is not None else ctypes.byref(dtype_text),
                                        ctypes.byref(is_double)))
        if dtype is None:
            text = _capi.take_string(dtype_text.value)
            dtype = as_dtype(ast.literal_eval(text) if text.startswith("[") else text)
        self.dtype = np.dtype(dtype)
        self.size = length.value
        self.shape = (length.value,) + tuple(frame_shape[:frame_ndim.value])
        self.double = bool(is_double.value)
        shm_id = ctypes.c_void_p()
        check(lib.pyacq_ringbuffer_shm_id(keeper.handle, ctypes.byref(shm_id)))
        #: the shared segment's id (pass it as `shmem` in another process), None for a private ring
        self.shm_id = None if not shm_id.value else _capi.take_string(shm_id.value)

    # ------------------------------------------------------------------ indexes

    def index(self):
        """Index of the last sample written + 1."""
        out = ctypes.c_int64()
        check(lib.pyacq_ringbuffer_index(self._live().handle, ctypes.byref(out)))
        return out.value

    def first_index(self):
        """Oldest sample still in the buffer (index() - size)."""
        out = ctypes.c_int64()
        check(lib.pyacq_ringbuffer_first_index(self._live().handle, ctypes.byref(out)))
        return out.value

    def reset_index(self):
        """Sets both indexes back to 0 (StateError for a read-only shared ring)."""
        check(lib.pyacq_ringbuffer_reset_index(self._live().handle))

    # ------------------------------------------------------------------ writing

    def new_chunk(self, data, index=None):
        """Writes `data` (axis 0 = samples; any strides) so that index() becomes `index`
        (default: current + len(data)); skipped samples get the fill value."""
        keeper = self._live()
        index = chunk_index(index)
        chunk = CallerArray(data)
        check(lib.pyacq_ringbuffer_new_chunk(keeper.handle, chunk.pointer, chunk.dtype, chunk.ndim,
                                             chunk.shape, chunk.strides, index), "new_chunk")

    # ------------------------------------------------------------------ reading

    def _views(self, start, stop):
        """(first, second) arrays of samples [start, stop); second is None unless a single
        ring splits the range at its end."""
        keeper = self._live()
        first, second = _capi.pyacq_view(), _capi.pyacq_view()
        check(lib.pyacq_ringbuffer_get_data(keeper.handle, int(start), int(stop), ctypes.byref(first),
                                            ctypes.byref(second)))
        readonly = not self._writable_views
        a = borrowed_array(first, self.dtype, keeper, readonly)
        if second.ndim and second.shape[0] > 0:
            return a, borrowed_array(second, self.dtype, keeper, readonly)
        return a, None

    def get_data(self, start, stop, copy=False, join=True):
        """Samples [start, stop) (PROTOCOL §12).

        * join=True: one array -- a zero-copy view, or one copy when a single ring splits the
          range at its end (copy=True always copies, checked against overwrites).
        * join=False: a tuple of two arrays (the second empty unless the range is split)."""
        first, second = self._views(start, stop)
        if join:
            if second is not None or copy:
                return self._in_memory_order(self.read(start, stop), first)
            return first
        if second is None:
            second = first[:0]
        if copy:
            return first.copy(), second.copy()
        return first, second

    def _in_memory_order(self, data, view):
        """`data` (a C-order copy) laid out like the ring's `view` when the ring has a
        non-default axisorder, so copies keep pyacq's axis order in memory."""
        order = self.axisorder
        if order is None or list(order) == list(range(data.ndim)):
            return data
        arranged = np.empty_like(view, shape=data.shape)  # (owns its memory, axes in view's order)
        arranged[...] = data
        return arranged

    def read(self, start, stop):
        """An independent C-order copy of samples [start, stop); raises OverrunError if the
        writer recycled some of them during the copy (never returns torn data)."""
        keeper = self._live()
        start, stop = int(start), int(stop)
        out = np.empty((max(stop - start, 0),) + self.shape[1:], self.dtype)
        check(lib.pyacq_ringbuffer_read(keeper.handle, start, stop, out.ctypes.data, out.nbytes), "read")
        return out

    def __getitem__(self, item):
        """pyacq's indexing: ``buf[i]`` one frame (i < 0 counts back from index()),
        ``buf[a:b:s]`` samples (absolute indexes, negative = from index(), negative steps
        allowed), ``buf[a:b, ...]`` also indexes the frame axes. Views, no copies."""
        if isinstance(item, tuple):
            if not item:
                return self[:]
            first, rest = item[0], item[1:]
            frames = self[first]
            return frames[(slice(None),) + rest] if isinstance(first, slice) else frames[rest]
        if isinstance(item, slice):
            return self._slice(item)
        try:
            sample = operator.index(item)
        except TypeError:
            raise InvalidArgument("RingBuffer indexes are ints, slices or tuples, got %s"
                                  % type(item).__name__) from None
        if sample < 0:
            sample += self.index()
        return self._views(sample, sample + 1)[0][0]

    def _slice(self, item):
        step = 1 if item.step is None else operator.index(item.step)
        if step == 0:
            raise InvalidArgument("slice step cannot be zero")
        read_index = self.index()
        oldest = read_index - self.size
        # Negative steps walk from item.start down to item.stop (excluded): swap the bounds and
        # shift the given ones by one to get [low, high).
        low, high = (item.stop, item.start) if step < 0 else (item.start, item.stop)

        def bound(value, default):
            if value is None:
                return default
            value = operator.index(value)
            if value < 0:
                value += read_index
            return value + 1 if step < 0 else value

        low, high = bound(low, oldest), bound(high, read_index)
        if not (oldest <= low <= read_index and oldest <= high <= read_index):
            raise BufferIndexError("slice %s is outside the buffer, which holds samples [%d, %d)"
                                   % (_slice_text(item), oldest, read_index))
        return self.get_data(low, max(low, high))[::step]

    def close(self):
        """Releases this reference to the buffer; arrays already returned keep the memory alive."""
        self._release()

    def __repr__(self):
        state = "closed " if self.closed else ""
        return "<libpyacq.RingBuffer %sshape=%s dtype=%s double=%s>" % (state, self.shape, self.dtype, self.double)


def _slice_text(item):
    def text(v):
        return "" if v is None else str(v)
    return "[%s:%s%s]" % (text(item.start), text(item.stop), "" if item.step is None else ":" + text(item.step))
