"""pyacq.devices.npbufferdevice over libpyacq."""

from ..swiftnode import NumpyDeviceBuffer  # noqa: F401
