"""pyacq.core.manager over libpyacq."""

from ..manager import Manager, create_manager  # noqa: F401
