"""pyacq.core.nodelist over libpyacq (Python node types)."""

from ..node import all_nodes, register_node_type  # noqa: F401
