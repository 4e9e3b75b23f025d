"""pyacq.devices.eeg_emotiv over libpyacq."""

from ..swiftnode import Emotiv  # noqa: F401
