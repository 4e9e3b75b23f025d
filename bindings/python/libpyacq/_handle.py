"""Ownership of C handles: one keeper object per handle, destroyed exactly once -- by the
garbage collector, or at interpreter exit (weakref.finalize), whichever comes first.

Python objects (streams, ring buffers) hold their keeper until close(); numpy arrays that
borrow library memory hold it too (through their ``base``), so the memory behind a view is
never freed while the view exists, even after the stream object is gone.
"""

import weakref

from ._capi import check
from .errors import ClosedError

__all__ = ["HandleKeeper", "HandleOwner"]


class HandleKeeper:
    __slots__ = ("handle", "_finalizer", "__weakref__")

    def __init__(self, handle, destroy):
        self.handle = handle
        # The finalizer references the handle value and the destroy function, never `self`.
        self._finalizer = weakref.finalize(self, destroy, handle)

    @property
    def alive(self):
        return self._finalizer.alive


class HandleOwner:
    """Base of the Python objects wrapping a handle: close() once, context manager, clear
    errors after close."""

    _kind = "object"
    _keeper = None

    def _live(self):
        """The keeper; raises ClosedError after close()."""
        keeper = self._keeper
        if keeper is None:
            raise ClosedError("%s is closed" % self._describe())
        return keeper

    def _describe(self):
        name = getattr(self, "name", "")
        return "%s %r" % (self._kind, name) if name else self._kind

    @property
    def closed(self):
        return self._keeper is None

    def _check(self, status, context=None):
        """check() that reports ClosedError when another thread closed this object meanwhile."""
        if status != 0 and self._keeper is None:
            raise ClosedError("%s was closed" % self._describe())
        check(status, context)

    def _release(self):
        """Drops this object's reference to the handle; the handle is destroyed as soon as no
        borrowed array needs it any more."""
        self._keeper = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
