"""pyacq.core.stream.ringbuffer over libpyacq."""

from ...ringbuffer import RingBuffer  # noqa: F401
