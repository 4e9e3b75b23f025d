"""pyacq.core.nodegroup over libpyacq: NodeGroup is a proxy to a node group process."""

from ..manager import NodeGroup  # noqa: F401
