"""pyacq.core.host over libpyacq: the Host served by a Python process (libpyacq/host.py)."""

from ..host import Host  # noqa: F401
