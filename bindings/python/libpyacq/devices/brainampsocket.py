"""pyacq.devices.brainampsocket over libpyacq."""

from ..swiftnode import BrainAmpSocket  # noqa: F401
