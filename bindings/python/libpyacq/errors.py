"""Exceptions raised by libpyacq.

Every failure of the C library arrives as a negative ``pyacq_status`` code plus the message of
``pyacq_last_error()``; :func:`libpyacq._capi.check` turns that pair into one of the classes
below. Each class also derives from the closest built-in exception, so ``except ValueError`` /
``except TimeoutError`` / ``except IndexError`` keep working in code written for pyacq.
"""

import builtins

__all__ = [
    "PyAcqError", "InvalidArgument", "ParamsError", "DTypeError", "StateError", "PyAcqTimeout",
    "PyAcqIOError", "MalformedMessage", "BufferIndexError", "BufferTooSmall", "OverrunError",
    "ClosedError", "RemoteError", "RemoteCallError", "RemoteCallException", "HandleError", "InternalError",
    "LibraryError",
    "remote_error", "typed_error",
]


class PyAcqError(Exception):
    """Base class of every libpyacq error.

    ``status`` is the C status code (e.g. -3), ``status_name`` its symbolic name
    (e.g. ``"PYACQ_ERR_DTYPE"``) and ``message`` the library's message."""

    status = None
    status_name = None

    def __init__(self, message="", status=None, status_name=None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if status_name is not None:
            self.status_name = status_name

    def __str__(self):
        return self.message


class InvalidArgument(PyAcqError, ValueError):
    """A NULL/closed handle, a wrong size or shape (PYACQ_ERR_INVALID_ARGUMENT)."""
    status, status_name = -1, "PYACQ_ERR_INVALID_ARGUMENT"


class ParamsError(PyAcqError, ValueError):
    """Invalid, unknown or mistyped stream params or options (PYACQ_ERR_BAD_PARAMS)."""
    status, status_name = -2, "PYACQ_ERR_BAD_PARAMS"


class DTypeError(PyAcqError, TypeError):
    """Unknown dtype, or a chunk whose dtype differs from the stream's (PYACQ_ERR_DTYPE)."""
    status, status_name = -3, "PYACQ_ERR_DTYPE"


class StateError(PyAcqError, RuntimeError):
    """The call is not valid now, e.g. send() before configure() (PYACQ_ERR_STATE)."""
    status, status_name = -4, "PYACQ_ERR_STATE"


class PyAcqTimeout(PyAcqError, TimeoutError):
    """Nothing arrived within the timeout (PYACQ_ERR_TIMEOUT)."""
    status, status_name = -5, "PYACQ_ERR_TIMEOUT"


class PyAcqIOError(PyAcqError, OSError):
    """Socket, file or memory-mapping failure (PYACQ_ERR_IO)."""
    status, status_name = -6, "PYACQ_ERR_IO"


class MalformedMessage(PyAcqError, ValueError):
    """A received message was malformed; it was dropped and counted in ``stats``
    (PYACQ_ERR_MALFORMED). Later messages are received normally."""
    status, status_name = -7, "PYACQ_ERR_MALFORMED"


class BufferIndexError(PyAcqError, IndexError):
    """Samples outside the ring buffer's range (PYACQ_ERR_INDEX)."""
    status, status_name = -8, "PYACQ_ERR_INDEX"


class BufferTooSmall(PyAcqError, ValueError):
    """The destination cannot hold the result (PYACQ_ERR_BUFFER_TOO_SMALL)."""
    status, status_name = -9, "PYACQ_ERR_BUFFER_TOO_SMALL"


class OverrunError(PyAcqError):
    """The producer overwrote samples while they were being read (PYACQ_ERR_OVERRUN)."""
    status, status_name = -10, "PYACQ_ERR_OVERRUN"


class ClosedError(StateError):
    """The stream or buffer was closed (PYACQ_ERR_CLOSED, or a Python object after close())."""
    status, status_name = -11, "PYACQ_ERR_CLOSED"


class RemoteError(PyAcqError):
    """A remote peer reported an error (PYACQ_ERR_REMOTE)."""
    status, status_name = -12, "PYACQ_ERR_REMOTE"


class RemoteCallError(RemoteError):
    """An exception raised by a remote object during an RPC call (pyacq's
    RemoteCallException). ``type_name`` (alias ``type_str``) is the remote exception type,
    ``remote_message`` its message and ``traceback`` the remote traceback lines. The class
    actually raised also derives from the built-in exception named ``type_name`` when there
    is one (``except KeyError`` catches a remote KeyError)."""

    type_name = None
    remote_message = ""
    traceback = ()

    @property
    def type_str(self):
        return self.type_name

    @property
    def tb_str(self):
        return "".join(self.traceback)


class HandleError(PyAcqError, TypeError):
    """A NULL, destroyed or foreign handle, or a handle of another kind (PYACQ_ERR_HANDLE)."""
    status, status_name = -13, "PYACQ_ERR_HANDLE"


class InternalError(PyAcqError):
    """A bug in libpyacq (PYACQ_ERR_INTERNAL): please report it."""
    status, status_name = -99, "PYACQ_ERR_INTERNAL"


class LibraryError(PyAcqError, ImportError):
    """The shared library could not be found or loaded, or has another ABI version."""

    def __init__(self, message=""):
        PyAcqError.__init__(self, message)
        self.msg = message


#: status code -> exception class (used by libpyacq._capi.check).
STATUS_EXCEPTIONS = {
    cls.status: cls
    for cls in (InvalidArgument, ParamsError, DTypeError, StateError, PyAcqTimeout, PyAcqIOError,
                MalformedMessage, BufferIndexError, BufferTooSmall, OverrunError, ClosedError,
                RemoteError, HandleError, InternalError)
}


RemoteCallException = RemoteCallError  # pyacq's name

_REMOTE_CLASSES = {}


def _remote_class(type_name):
    """RemoteCallError, combined with the built-in exception `type_name` when one exists."""
    cls = _REMOTE_CLASSES.get(type_name)
    if cls is not None:
        return cls
    builtin = getattr(builtins, type_name, None) if type_name else None
    cls = RemoteCallError
    if (isinstance(builtin, type) and issubclass(builtin, Exception) and not issubclass(builtin, Warning)
            and not issubclass(builtin, RemoteCallError)):
        try:
            cls = type("Remote" + type_name, (RemoteCallError, builtin), {"__module__": __name__})
            cls("probe")  # some built-ins (UnicodeError...) need other constructor arguments
        except TypeError:
            cls = RemoteCallError
    _REMOTE_CLASSES[type_name] = cls
    return cls


_TYPED_CLASSES = {}


def typed_error(error, type_name):
    """`error` (a local libpyacq error) as an instance of a class that also derives from the
    built-in exception `type_name` (e.g. KeyError for a node's unknown parameter, TypeError for
    an unexpected configure keyword), so code written for pyacq's nodes catches it."""
    builtin = getattr(builtins, type_name or "", None)
    if (not isinstance(builtin, type) or not issubclass(builtin, Exception) or issubclass(builtin, Warning)
            or isinstance(error, builtin)):
        return error
    key = (type(error), builtin)
    cls = _TYPED_CLASSES.get(key)
    if cls is None:
        try:
            cls = type(type(error).__name__ + builtin.__name__, key, {"__module__": __name__})
            cls("probe")
        except TypeError:  # incompatible layouts or constructors: keep the libpyacq class
            cls = type(error)
        _TYPED_CLASSES[key] = cls
    typed = cls(error.message, error.status, error.status_name)
    typed.type_name = type_name
    return typed


def remote_error(message, type_name, traceback, context=None):
    """The exception for a PYACQ_ERR_REMOTE status, from the structured last-error details:
    `type_name` (pyacq_last_error_type), `traceback` (pyacq_last_error_traceback, the peer's
    formatted traceback) and `message` (pyacq_last_error)."""
    shown = "%s: %s" % (context, message) if context else message
    lines = tuple(line + "\n" for line in traceback.splitlines())
    if not lines:  # not an exception raised by a remote object (e.g. a malformed reply)
        return RemoteError(shown, RemoteError.status, RemoteError.status_name)
    short_type = type_name.rpartition(".")[2]
    error = _remote_class(short_type)(shown, RemoteError.status, RemoteError.status_name)
    error.type_name = short_type
    # The last traceback line is the exception as Python prints it: "<Type>: <message>".
    last = lines[-1].strip()
    error.remote_message = last.partition(": ")[2]
    error.traceback = lines
    return error
