"""pyacq.core.nodegroup over libpyacq: the NodeGroup served by a Python node group process
(libpyacq/nodegroup.py). Proxies to node groups are libpyacq.NodeGroup."""

from ..nodegroup import NodeGroup, register_node_type_from_module  # noqa: F401
