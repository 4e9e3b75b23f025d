"""pyacq.core.stream.sharedarray over libpyacq."""

from ...sharedmem import SharedArray, SharedMem  # noqa: F401
