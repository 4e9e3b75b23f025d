"""pyacq.core.host over libpyacq (a Host lives in a pyacq-host process)."""

from ..unavailable import Host  # noqa: F401
