"""pyacq.rec.rawrecorder over libpyacq."""

from ..swiftnode import RawRecorder  # noqa: F401
