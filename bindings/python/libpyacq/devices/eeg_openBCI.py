"""pyacq.devices.eeg_openBCI over libpyacq."""

from ..swiftnode import OpenBCI  # noqa: F401
