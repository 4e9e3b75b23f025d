"""The shared segment behind a sharedmem stream (PROTOCOL.md §11.2, §11.4).

On POSIX it is a plain zero-filled file in the temp directory, mapped shared
read/write by the producer and read-only by consumers.
"""

import mmap
import os
import struct
import tempfile

__all__ = ["SharedFile", "SHM_PREFIX", "encode_notification", "decode_notification"]

SHM_PREFIX = "pyacq_SharedMem_"


class SharedFile:
    """A file mapping of exactly `nbytes` bytes (no page rounding, §15.2-9)."""

    def __init__(self, path, mapping, owner):
        self.path = path
        self.mapping = mapping
        self.owner = owner

    @classmethod
    def create(cls, nbytes):
        # mkstemp names are the prefix + 8 chars from [a-z0-9_], as pyacq's are.
        fd, path = tempfile.mkstemp(prefix=SHM_PREFIX)
        try:
            os.ftruncate(fd, nbytes)  # zero-filled, exact size
            mapping = mmap.mmap(fd, nbytes, access=mmap.ACCESS_WRITE)
        finally:
            os.close(fd)
        return cls(os.path.abspath(path), mapping, owner=True)

    @classmethod
    def open_readonly(cls, path, nbytes):
        with open(path, "rb") as handle:
            mapping = mmap.mmap(handle.fileno(), nbytes, access=mmap.ACCESS_READ)
        return cls(path, mapping, owner=False)

    def close(self):
        """Unmap (if no array still uses the memory); the owner also deletes the file."""
        if self.owner and os.path.exists(self.path):
            os.unlink(self.path)
        try:
            self.mapping.close()
        except BufferError:
            pass  # numpy views still alive: the mapping goes away with them


def encode_notification(index, chunk_len):
    """The one 16-byte frame published after each chunk: u64be index, u64be length."""
    return struct.pack(">QQ", index, chunk_len)


def decode_notification(frame):
    frame = bytes(frame)
    if len(frame) != 16:
        raise ValueError(f"sharedmem notification must be 16 bytes, got {len(frame)}")
    return struct.unpack(">QQ", frame)
