"""RingBuffer (PROTOCOL.md §12), also the layout of a sharedmem segment (§11.3).

Storage = 16-byte header (read index, write index; native int64) followed by
the ring rows in memory axis order. The same class works on a private
bytearray or on a shared file mapping (read/write for a producer, read-only
for a consumer).
"""

import numpy as np

from .dtypes import fill_scalar, parse_dtype

__all__ = ["RingBuffer", "HEADER_BYTES"]

HEADER_BYTES = 16


class RingBuffer:
    def __init__(self, shape, dtype, double=True, axisorder=None, fill=None, storage=None):
        """`shape` = (N, *frame_shape). Without `storage` a private buffer filled
        with `fill` is allocated; with it the memory is used as is (a fresh
        shared file is all zeros, §11.3)."""
        self.shape = tuple(int(n) for n in shape)
        self.size = self.shape[0]
        self.dtype = parse_dtype(dtype)
        self.double = bool(double)
        self.axisorder = _checked_axisorder(axisorder, len(self.shape))
        self.fill = fill_scalar(self.dtype, fill)
        private = storage is None
        if private:
            storage = bytearray(self.nbytes(self.shape, self.dtype, self.double))
        self._indexes = np.ndarray((2,), np.int64, buffer=storage, offset=0)
        self._rows = self._map_rows(storage)
        if private:
            self._rows[...] = self.fill

    @staticmethod
    def nbytes(shape, dtype, double):
        """16 + rows * frame bytes, rows = N or 2N (§11.2)."""
        rows = shape[0] * (2 if double else 1)
        frame_items = int(np.prod(shape[1:], dtype=np.int64))
        return HEADER_BYTES + rows * frame_items * parse_dtype(dtype).itemsize

    def _map_rows(self, storage):
        """Logical (R, *frame_shape) view of memory laid out in axis order."""
        logical = (self.size * (2 if self.double else 1),) + self.shape[1:]
        physical = [logical[axis] for axis in self.axisorder]
        memory = np.ndarray(physical, self.dtype, buffer=storage, offset=HEADER_BYTES)
        return memory.transpose(np.argsort(self.axisorder))

    # ------------------------------------------------------------- indexes

    @property
    def read_index(self):
        return int(self._indexes[0])

    @property
    def write_index(self):
        return int(self._indexes[1])

    def index(self):
        return self.read_index

    def first_index(self):
        return self.read_index - self.size

    def reset_index(self):
        self._indexes[:] = 0

    # -------------------------------------------------------------- writing

    def new_chunk(self, data, index=None):
        """§11.5 steps 1-4: announce, fill skipped samples, write, publish index."""
        data = self._checked_chunk(data)
        length = data.shape[0]
        read_index, write_index = self.read_index, self.write_index
        if index is None:
            index = write_index + length
        if index - write_index < length:
            raise ValueError(f"index {index} advances by less than the chunk length {length}")
        try:
            self._indexes[1] = index
            first_kept = max(read_index, index - self.size)
            if index - length > first_kept:
                self._write_samples(first_kept, index - length, self.fill)
            self._write_samples(index - length, index, data)
            self._indexes[0] = index
        except Exception:
            self._indexes[:] = (read_index, write_index)
            raise

    def _checked_chunk(self, data):
        data = np.asarray(data)
        if data.dtype != self.dtype:
            raise ValueError(f"chunk dtype {data.dtype} does not match buffer dtype {self.dtype}")
        if data.shape[1:] != self.shape[1:]:
            raise ValueError(f"chunk shape {data.shape} does not fit frames {self.shape[1:]}")
        if data.shape[0] > self.size:
            raise ValueError(f"chunk of {data.shape[0]} frames is longer than the ring ({self.size})")
        return data

    def _write_samples(self, start, stop, values):
        """Store samples [start, stop) in their rows (twice in double mode)."""
        copies = (0, self.size) if self.double else (0,)
        for sample, rows in self._row_pieces(start, stop):
            part = values if values.ndim == 0 else values[sample - start:sample - start + len(rows)]
            for shift in copies:
                self._rows[rows.start + shift:rows.stop + shift] = part

    def _row_pieces(self, start, stop):
        """(first sample, row range) pieces of [start, stop), split at the ring end."""
        row = start % self.size
        first_len = min(stop - start, self.size - row)
        pieces = [(start, range(row, row + first_len))]
        if first_len < stop - start:
            pieces.append((start + first_len, range(0, stop - start - first_len)))
        return pieces

    # -------------------------------------------------------------- reading

    def get_data(self, start, stop, copy=False, join=True):
        """Samples [start, stop); a view when memory allows, see §12."""
        self._check_range(start, stop)
        length = stop - start
        if self.double:
            end_row = stop % self.size + self.size
            return self._result([self._rows[end_row - length:end_row]], copy, join)
        lap_start = self.write_index - self.write_index % self.size
        row = start % self.size
        if (start < lap_start) == (stop <= lap_start):
            return self._result([self._rows[row:row + length]], copy, join)
        pieces = [self._rows[row:self.size], self._rows[:stop % self.size]]
        return self._result(pieces, copy, join)

    def _check_range(self, start, stop):
        # first_index() per §12; a producer mid-write (§11.6) may already
        # recycle rows below write_index - N, so the stricter bound wins.
        oldest = max(self.first_index(), self.write_index - self.size)
        if start < oldest or stop > self.read_index or stop < start:
            raise IndexError(f"samples [{start}, {stop}) not in buffer "
                             f"[{oldest}, {self.read_index})")

    def _result(self, pieces, copy, join):
        if join:
            if len(pieces) == 2:
                return np.concatenate(pieces)
            return pieces[0].copy() if copy else pieces[0]
        if len(pieces) == 1:
            pieces.append(self._rows[:0])
        return tuple(piece.copy() for piece in pieces) if copy else tuple(pieces)

    def __getitem__(self, item):
        if isinstance(item, tuple):
            first, rest = item[0], item[1:]
            frames = self[first]
            return frames[rest] if not isinstance(first, slice) else frames[(slice(None),) + rest]
        if isinstance(item, slice):
            return self._get_slice(item)
        return self._get_frame(int(item))

    def _get_frame(self, index):
        if index < 0:
            index += self.read_index
        if not self.write_index - self.size <= index < self.read_index:
            raise IndexError(f"sample {index} not in buffer")
        return self.get_data(index, index + 1)[0]

    def _get_slice(self, item):
        step = 1 if item.step is None else item.step
        # A negative step walks from item.start down to item.stop (excluded):
        # swap the bounds and shift given ones by one to get [low, high).
        low, high = (item.stop, item.start) if step < 0 else (item.start, item.stop)
        low = self._slice_bound(low, self.write_index - self.size, step)
        high = self._slice_bound(high, self.read_index, step)
        oldest = self.write_index - self.size
        if not (oldest <= low <= self.read_index and oldest <= high <= self.read_index):
            raise IndexError(f"slice {item} not in buffer [{oldest}, {self.read_index}]")
        return self.get_data(low, max(low, high))[::step]

    def _slice_bound(self, bound, default, step):
        if bound is None:
            return default
        bound = int(bound)
        if bound < 0:
            bound += self.read_index
        return bound + 1 if step < 0 else bound


def _checked_axisorder(axisorder, ndim):
    if axisorder is None:
        return list(range(ndim))
    axisorder = [int(axis) for axis in axisorder]
    if sorted(axisorder) != list(range(ndim)):
        raise ValueError(f"axisorder {axisorder} is not a permutation of 0..{ndim - 1}")
    return axisorder
