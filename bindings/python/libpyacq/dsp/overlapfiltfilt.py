"""pyacq.dsp.overlapfiltfilt over libpyacq."""

from ..swiftnode import OverlapFiltfilt  # noqa: F401

#: libpyacq filters run in Swift; there is no OpenCL engine.
HAVE_PYOPENCL = False

from .engines import sosfiltfilt_engines  # noqa: E402,F401  (pyacq's engine classes, on scipy)
