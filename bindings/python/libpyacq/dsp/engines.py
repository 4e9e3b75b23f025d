"""pyacq's filter engine classes (``sosfilter_engines`` / ``sosfiltfilt_engines``): the
chunk-by-chunk filters pyacq's nodes run, as plain Python objects for scripts that drive them
directly (``engine.compute_one_chunk(pos, chunk)``). libpyacq's SosFilter and OverlapFiltfilt
nodes do this work in Swift; these engines compute the same on scipy (there is no OpenCL engine)."""

import numpy as np
import scipy.signal

from ..ringbuffer import RingBuffer

__all__ = ["ScipySosFilter", "ScipySosFiltfilt", "sosfilter_engines", "sosfiltfilt_engines"]


class ScipySosFilter:
    """Causal second-order-sections filter keeping its state across chunks."""

    def __init__(self, coefficients, nb_channel, dtype, chunksize=None):
        self.coefficients = np.asarray(coefficients)
        self.dtype = np.dtype(dtype)
        self.state = np.zeros((self.coefficients.shape[0], 2, nb_channel), dtype=self.dtype)

    def compute_one_chunk(self, pos, chunk):
        filtered, self.state = scipy.signal.sosfilt(self.coefficients, chunk, axis=0, zi=self.state)
        return filtered.astype(self.dtype)


class ScipySosFiltfilt:
    """Forward filter on each chunk, then a backward pass over the last chunk plus `overlapsize`
    samples: returns (pos - overlapsize, the chunksize samples that are final), or (None, None)
    until enough samples came."""

    def __init__(self, coefficients, nb_channel, dtype, chunksize, overlapsize):
        self.forward = ScipySosFilter(coefficients, nb_channel, dtype)
        self.coefficients = self.forward.coefficients
        self.dtype = np.dtype(dtype)
        self.chunksize = chunksize
        self.overlapsize = overlapsize
        self.history = RingBuffer(((chunksize + overlapsize) * 5, nb_channel), dtype, double=True)

    def compute_one_chunk(self, pos, chunk):
        if chunk.shape[0] != self.chunksize:
            raise ValueError("chunk of %d samples, the engine was made for %d" % (chunk.shape[0], self.chunksize))
        self.history.new_chunk(self.forward.compute_one_chunk(pos, chunk), index=pos)
        start = max(0, pos - self.chunksize - self.overlapsize)
        if pos <= self.overlapsize:
            return None, None
        window = self.history.get_data(start, pos)
        backward = scipy.signal.sosfilt(self.coefficients, window[::-1], axis=0)[::-1].astype(self.dtype)
        return pos - self.overlapsize, backward[:backward.shape[0] - self.overlapsize]


sosfilter_engines = {"scipy": ScipySosFilter}
sosfiltfilt_engines = {"scipy": ScipySosFiltfilt}
