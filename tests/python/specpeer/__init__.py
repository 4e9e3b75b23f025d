"""specpeer: a pure-Python peer of pyacq's stream wire protocol.

Written from /work/shared/spec/PROTOCOL.md (§8-§13) and its vectors only; it
stands in for the original Python pyacq in interop tests. See __main__.py for
the command-line producer/consumer.
"""

from .dtypes import dtype_param, parse_dtype
from .ringbuffer import RingBuffer
from .streams import InputStream, OutputStream, default_params, make_url

__all__ = ["default_params", "make_url", "parse_dtype", "dtype_param",
           "OutputStream", "InputStream", "RingBuffer"]
