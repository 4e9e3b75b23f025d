"""pyacq.dsp.sosfilter over libpyacq."""

from ..swiftnode import SosFilter  # noqa: F401

#: libpyacq filters run in Swift; there is no OpenCL engine.
HAVE_PYOPENCL = False
