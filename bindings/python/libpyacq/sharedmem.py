"""pyacq's SharedMem: a block of shared memory that numpy arrays can live in.

It is a file in the temp directory (PROTOCOL §11.2: ``pyacq_SharedMem_`` + 8 random characters,
created mode 0600, exactly ``nbytes`` long), so processes of the original pyacq and of libpyacq
can map each other's blocks by ``shm_id`` (the absolute path). The creator removes the file on
close; mappings made before stay valid.
"""

import mmap
import os
import sys
import tempfile

import numpy as np

from .errors import ParamsError, StateError


class SharedMem:
    """``SharedMem(nbytes)`` creates a block; ``SharedMem(nbytes, shm_id=path)`` maps another
    process's block (read-only unless ``readonly=False``)."""

    _map = None  # (so close() / __del__ work on an object whose constructor failed)
    owner = False

    def __init__(self, nbytes, shm_id=None, readonly=None):
        nbytes = int(nbytes)
        if nbytes <= 0:
            raise ParamsError("SharedMem needs nbytes > 0, got %d" % nbytes)
        self.nbytes = nbytes
        self.owner = shm_id is None
        self.readonly = (not self.owner) if readonly is None else bool(readonly)
        if self.owner:
            fd, path = tempfile.mkstemp(prefix="pyacq_SharedMem_", dir=tempfile.gettempdir())
            os.ftruncate(fd, nbytes)
        else:
            path = str(shm_id)
            try:
                fd = os.open(path, os.O_RDONLY if self.readonly else os.O_RDWR)
            except OSError as error:
                raise ParamsError("cannot open shared memory %s: %s" % (path, error.strerror)) from None
            size = os.fstat(fd).st_size
            if size < nbytes:
                os.close(fd)
                raise ParamsError("shared memory %s has %d bytes, %d were asked for" % (path, size, nbytes))
        try:
            self._map = mmap.mmap(fd, nbytes, mmap.MAP_SHARED,
                                  mmap.PROT_READ if self.readonly else mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)
        self.shm_id = path

    def to_dict(self):
        """What another process needs to map this block."""
        return {"nbytes": self.nbytes, "shm_id": self.shm_id}

    def to_numpy(self, offset, dtype, shape, strides=None):
        """A numpy array over the block (no copy), read-only for a read-only mapping."""
        if self._map is None:
            raise StateError("SharedMem %s is closed" % self.shm_id)
        array = np.ndarray(shape, dtype=np.dtype(dtype), buffer=self._map, offset=int(offset), strides=strides)
        if self.readonly:
            array.flags.writeable = False
        return array

    def close(self):
        """Unmaps (once no array uses the block any more) and, for the creator, removes the file."""
        if self._map is not None:
            try:
                self._map.close()
            except BufferError:
                pass  # numpy arrays still point into it: the mapping goes away with them
            self._map = None
        if self.owner and os.path.exists(self.shm_id):
            os.unlink(self.shm_id)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except (OSError, BufferError) as exc:  # a finalizer must not raise; say why it failed
            sys.stderr.write("libpyacq: closing %r failed: %s\n" % (self, exc))

    def __repr__(self):
        return "<SharedMem %s, %d bytes%s>" % (self.shm_id, self.nbytes, ", read-only" if self.readonly else "")


class SharedArray:
    """pyacq's SharedArray: a numpy array in a :class:`SharedMem` block that another process
    opens again from ``to_dict()`` (``SharedArray(**other.to_dict())``)."""

    def __init__(self, shape=(1,), dtype="float64", shm_id=None):
        self.shape = tuple(int(n) for n in np.atleast_1d(shape))
        self.dtype = np.dtype(dtype)
        nbytes = int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize
        self.shmem = SharedMem(max(nbytes, 1), shm_id)

    def to_dict(self):
        return {"shape": self.shape, "dtype": self.dtype, "shm_id": self.shmem.shm_id}

    def to_numpy(self):
        """A numpy view of the block (read-only when it was opened from another process's id)."""
        return self.shmem.to_numpy(0, self.dtype, self.shape)

    def __repr__(self):
        return "<SharedArray %s %s in %s>" % (self.shape, self.dtype, self.shmem.shm_id)
