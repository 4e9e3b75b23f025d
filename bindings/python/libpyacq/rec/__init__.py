"""pyacq.rec over libpyacq."""

from ..swiftnode import AviRecorder, RawRecorder  # noqa: F401
