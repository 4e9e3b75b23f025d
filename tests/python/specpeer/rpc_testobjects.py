"""Small objects served by spec-peer RPC servers in interop tests.

The bootstrap stand-in (specpeer.bootstrap) whitelists this module for the
`import` action, so a remote client can do
`import "specpeer.rpc_testobjects"` and call e.g. `Echo()` / `PingPong("py")`.
"""

import threading

import numpy as np

from .rpc_client import Proxy
from .rpc_serializer import ProxyBase, ProxyRef

__all__ = ["Echo", "PingPong", "Blocker", "Unencodable", "TESTOBJECTS_MODULE"]

TESTOBJECTS_MODULE = __name__


class Unencodable:
    """Has no wire form: always travels as a proxy."""

    def __init__(self, value=None):
        self.value = value

    def get(self):
        return self.value


class Echo:
    """Returns what it gets, plus helpers producing each wire type."""

    def __init__(self):
        self.params = {"shape": (-1, 2), "dtype": "float32", "fill": None}
        self.data = {}
        self.stored = None

    def echo(self, value):
        return value

    def echo_kw(self, *args, **kwargs):
        return [list(args), kwargs]

    def add(self, a, b):
        return a + b

    def array(self, n=4, dtype="float32"):
        return np.arange(n, dtype=dtype)

    def raw_bytes(self):
        return b"xyz"

    def mixed(self):
        """A by-value list with a nested unencodable value (becomes a proxy)."""
        return [1, Unencodable("inner"), {2, 3}]

    def fail(self, message="bad value"):
        raise ValueError(message)

    def is_self(self, other):
        return other is self

    def store(self, value):
        self.stored = value

    def say(self, text):
        """Print one line on stdout (a spawner with a log address forwards it)."""
        print(text, flush=True)

    def type_name(self, value):
        return type(value).__name__

    def call_back(self, proxy, *args):
        """Call a remote callable (proxy) and return its result (a reentrant hop)."""
        return Proxy(_ref(proxy))(*args)

    def __len__(self):
        return 7

    def __getitem__(self, key):
        return f"item:{key}"


class PingPong:
    """`bounce(other, n)`: calls `other.bounce(self, n - 1)` until n == 0, so two
    servers call each other back n levels deep while every caller waits."""

    def __init__(self, name):
        self.name = name
        self.max_depth_seen = 0

    def bounce(self, other, n, depth=1):
        self.max_depth_seen = max(self.max_depth_seen, depth)
        if n <= 0:
            return [self.name]
        # `self` has no wire form: the serializer turns it into a proxy owned by
        # this thread's server, which the other side calls back.
        return [self.name] + Proxy(_ref(other)).bounce(self, n - 1, depth + 1)


class Blocker:
    """`wait()` blocks until `release()` (used to provoke timeouts / late replies)."""

    def __init__(self):
        self.event = threading.Event()

    def wait(self, timeout=10.0):
        return self.event.wait(timeout)

    def release(self):
        self.event.set()


def _ref(value):
    if isinstance(value, ProxyBase):
        return value._proxy_ref
    if isinstance(value, ProxyRef):
        return value
    raise TypeError(f"expected a proxy, got {type(value).__name__}")
