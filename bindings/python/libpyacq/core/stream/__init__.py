"""pyacq.core.stream's names over libpyacq."""

from ...ringbuffer import RingBuffer  # noqa: F401
from ...sharedmem import SharedArray  # noqa: F401
from ...stream import InputStream, OutputStream  # noqa: F401
from ...unavailable import register_transfermode  # noqa: F401
from .compression import compression_methods  # noqa: F401


def __getattr__(name):
    if name == "all_transfermodes":  # pyacq's registry of Python transfer-mode classes
        raise NotImplementedError("all_transfermodes is not implemented in libpyacq: the transfer modes "
                                  "(plaindata, sharedmem) live in the library, not in Python classes")
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
