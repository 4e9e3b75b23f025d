"""pyacq.core.tools over libpyacq."""

from ..node import ThreadPollInput, ThreadPollOutput  # noqa: F401
from ..swiftnode import ChannelSplitter, ChunkResizer, StreamConverter  # noqa: F401
