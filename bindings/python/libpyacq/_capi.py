"""Every ctypes declaration of the libpyacq C ABI (include/pyacq.h) used by this package,
the library lookup, and the single status check.

Nothing outside this module touches ctypes function objects directly: the rest of the
package calls ``lib.pyacq_*`` through the prototypes declared here and passes each
returned status to :func:`check`.

Lookup order of the shared library:

1. ``$LIBPYACQ_PATH`` -- a path to the library file, or a directory holding it;
2. the package folder (``pip install`` bundles ``libpyacq.so.0`` there);
3. the system: ``ctypes.util.find_library("pyacq")``, then the soname ``libpyacq.so.0``.

The library is loaded with :class:`ctypes.CDLL`, which releases the GIL during every call, so
a blocking ``recv`` does not stop other Python threads (and Swift threads never wait on the
GIL).
"""

import ctypes
import ctypes.util
import glob
import os
import sys

from .errors import STATUS_EXCEPTIONS, InvalidArgument, LibraryError, PyAcqError, RemoteError, remote_error

__all__ = [
    "ABI_VERSION", "MAX_NDIM", "lib", "library_path", "check", "last_error", "status_name",
    "take_string", "pyacq_view", "OutputHandle", "InputHandle", "RingBufferHandle",
    "Int64Array", "ServerHandle", "ClientHandle", "ProxyHandle", "FutureHandle", "ManagerHandle",
    "HostHandle", "NodeGroupHandle", "NodeHandle", "StreamHandle", "timeout_ms",
]

#: The ABI this binding is written for (PYACQ_ABI_VERSION of include/pyacq.h).
ABI_VERSION = 0
#: PYACQ_VERSION_NUMBER of include/pyacq.h: while the major version is 0, minor versions break the
#: ABI too, so the loaded library must have the same major and minor version.
VERSION_NUMBER = 200
#: PYACQ_MAX_NDIM of include/pyacq.h.
MAX_NDIM = 32

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))

if sys.platform == "darwin":
    _FILE_NAMES = ("libpyacq.0.dylib", "libpyacq.dylib")
elif sys.platform == "win32":
    _FILE_NAMES = ("pyacq.dll", "libpyacq.dll")
else:
    _FILE_NAMES = ("libpyacq.so.%d" % ABI_VERSION, "libpyacq.so")


# ----------------------------------------------------------------------------- lookup

def _in_directory(directory):
    """The library file inside `directory`, or None."""
    for name in _FILE_NAMES:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate):
            return candidate
    # e.g. only libpyacq.so.0.1.0 was copied
    matches = sorted(glob.glob(os.path.join(directory, _FILE_NAMES[-1] + "*")))
    return matches[0] if matches else None


def _candidates():
    """(description, path-or-name) pairs in lookup order."""
    env = os.environ.get("LIBPYACQ_PATH", "").strip()
    if env:
        path = os.path.abspath(os.path.expanduser(env))
        found = _in_directory(path) if os.path.isdir(path) else path
        if not found or not os.path.exists(found):
            raise LibraryError(
                "LIBPYACQ_PATH=%r does not name the libpyacq shared library or a directory holding "
                "one of %s" % (env, ", ".join(_FILE_NAMES)))
        return [("LIBPYACQ_PATH", found)]
    candidates = []
    bundled = _in_directory(PACKAGE_DIR)
    if bundled:
        candidates.append(("package folder", bundled))
    system = ctypes.util.find_library("pyacq")
    if system:
        candidates.append(("system (find_library)", system))
    candidates.append(("system (soname)", _FILE_NAMES[0]))
    return candidates


def _load():
    errors = []
    for origin, path in _candidates():
        try:
            return ctypes.CDLL(path), path
        except OSError as exc:
            errors.append("%s %s: %s" % (origin, path, exc))
    raise LibraryError(
        "cannot load the libpyacq shared library. Build it with `make lib` and set "
        "LIBPYACQ_PATH to build/lib, or `pip install` the binding after `make lib`. Tried:\n  "
        + "\n  ".join(errors))


lib, library_path = _load()


# ----------------------------------------------------------------------------- types

class pyacq_clock_offset(ctypes.Structure):
    """struct pyacq_clock_offset (see pyacq.h)."""
    _fields_ = [("offset", ctypes.c_double), ("uncertainty", ctypes.c_double), ("round_trip", ctypes.c_double),
                ("measured_at", ctypes.c_double), ("probes", ctypes.c_int32)]


class pyacq_view(ctypes.Structure):
    """struct pyacq_view: a borrowed, typed, strided view (see pyacq.h)."""
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("ndim", ctypes.c_int32),
        ("itemsize", ctypes.c_int32),
        ("shape", ctypes.c_int64 * MAX_NDIM),
        ("strides", ctypes.c_int64 * MAX_NDIM),
    ]


class _pyacq_output(ctypes.Structure):
    """Opaque struct pyacq_output."""


class _pyacq_input(ctypes.Structure):
    """Opaque struct pyacq_input."""


class _pyacq_ringbuffer(ctypes.Structure):
    """Opaque struct pyacq_ringbuffer."""


class _pyacq_rpc_server(ctypes.Structure):
    """Opaque struct pyacq_rpc_server."""


class _pyacq_rpc_client(ctypes.Structure):
    """Opaque struct pyacq_rpc_client."""


class _pyacq_proxy(ctypes.Structure):
    """Opaque struct pyacq_proxy."""


class _pyacq_future(ctypes.Structure):
    """Opaque struct pyacq_future."""


class _pyacq_manager(ctypes.Structure):
    """Opaque struct pyacq_manager."""


class _pyacq_host(ctypes.Structure):
    """Opaque struct pyacq_host."""


class _pyacq_nodegroup(ctypes.Structure):
    """Opaque struct pyacq_nodegroup."""


class _pyacq_node(ctypes.Structure):
    """Opaque struct pyacq_node."""


class _pyacq_stream(ctypes.Structure):
    """Opaque struct pyacq_stream."""


OutputHandle = ctypes.POINTER(_pyacq_output)
InputHandle = ctypes.POINTER(_pyacq_input)
RingBufferHandle = ctypes.POINTER(_pyacq_ringbuffer)
Int64Array = ctypes.POINTER(ctypes.c_int64)
ServerHandle = ctypes.POINTER(_pyacq_rpc_server)
ClientHandle = ctypes.POINTER(_pyacq_rpc_client)
ProxyHandle = ctypes.POINTER(_pyacq_proxy)
FutureHandle = ctypes.POINTER(_pyacq_future)
ManagerHandle = ctypes.POINTER(_pyacq_manager)
HostHandle = ctypes.POINTER(_pyacq_host)
NodeGroupHandle = ctypes.POINTER(_pyacq_nodegroup)
NodeHandle = ctypes.POINTER(_pyacq_node)
StreamHandle = ctypes.POINTER(_pyacq_stream)

_int = ctypes.c_int
_i32 = ctypes.c_int32
_i64 = ctypes.c_int64
_bool = ctypes.c_bool
_str = ctypes.c_char_p
_ptr = ctypes.c_void_p
_P = ctypes.POINTER
_StringOut = _P(ctypes.c_void_p)  # char ** whose result we free with pyacq_free

_PROTOTYPES = {
    # library
    "pyacq_version": (_str, []),
    "pyacq_version_number": (_i32, []),
    "pyacq_abi_version": (_i32, []),
    "pyacq_last_error": (_str, []),
    "pyacq_last_error_type": (_str, []),
    "pyacq_last_error_traceback": (_str, []),
    "pyacq_status_name": (_str, [_int]),
    "pyacq_free": (None, [_ptr]),
    "pyacq_dtype_itemsize": (_int, [_str, _P(_i64)]),
    "pyacq_dtype_normalize": (_int, [_str, _StringOut]),
    # output streams
    "pyacq_output_create": (_int, [_P(OutputHandle), _str]),
    "pyacq_output_configure": (_int, [OutputHandle, _str]),
    "pyacq_output_params": (_int, [OutputHandle, _StringOut]),
    "pyacq_output_send": (_int, [OutputHandle, _ptr, _str, _i32, Int64Array, Int64Array, _i64]),
    "pyacq_output_last_index": (_int, [OutputHandle, _P(_i64)]),
    "pyacq_output_subscriber_count": (_int, [OutputHandle, _P(_i32)]),
    "pyacq_output_wait_subscribers": (_int, [OutputHandle, _i32, _i32]),
    "pyacq_output_reset_index": (_int, [OutputHandle]),
    "pyacq_output_close": (_int, [OutputHandle]),
    "pyacq_output_destroy": (None, [OutputHandle]),
    # input streams
    "pyacq_input_create": (_int, [_P(InputHandle), _str]),
    "pyacq_input_connect": (_int, [InputHandle, _str]),
    "pyacq_input_params": (_int, [InputHandle, _StringOut]),
    "pyacq_input_poll": (_int, [InputHandle, _i32, _P(_bool)]),
    "pyacq_input_recv": (_int, [InputHandle, _i32, _P(_i64), _P(pyacq_view)]),
    "pyacq_input_recv_into": (_int, [InputHandle, _i32, _ptr, ctypes.c_size_t, _P(_i64), _P(pyacq_view)]),
    "pyacq_input_recv_retained": (_int, [InputHandle, _i32, _P(_i64), _P(pyacq_view), _P(_ptr)]),
    "pyacq_chunk_release": (None, [_ptr]),
    "pyacq_output_stats": (_int, [OutputHandle, _StringOut]),
    "pyacq_input_empty_queue": (_int, [InputHandle, _P(_i64)]),
    "pyacq_input_set_buffer": (_int, [InputHandle, _str]),
    "pyacq_input_buffer": (_int, [InputHandle, _P(RingBufferHandle)]),
    "pyacq_input_reset_buffer_index": (_int, [InputHandle]),
    "pyacq_input_stats": (_int, [InputHandle, _StringOut]),
    "pyacq_input_close": (_int, [InputHandle]),
    "pyacq_input_destroy": (None, [InputHandle]),
    # ring buffers
    "pyacq_ringbuffer_create": (_int, [_P(RingBufferHandle), _str]),
    "pyacq_ringbuffer_new_chunk": (_int, [RingBufferHandle, _ptr, _str, _i32, Int64Array, Int64Array, _i64]),
    "pyacq_ringbuffer_get_data": (_int, [RingBufferHandle, _i64, _i64, _P(pyacq_view), _P(pyacq_view)]),
    "pyacq_ringbuffer_read": (_int, [RingBufferHandle, _i64, _i64, _ptr, ctypes.c_size_t]),
    "pyacq_ringbuffer_index": (_int, [RingBufferHandle, _P(_i64)]),
    "pyacq_ringbuffer_first_index": (_int, [RingBufferHandle, _P(_i64)]),
    "pyacq_ringbuffer_info": (_int, [RingBufferHandle, _P(_i64), _P(_i32), _P(_i64), _StringOut, _P(_bool)]),
    "pyacq_ringbuffer_reset_index": (_int, [RingBufferHandle]),
    "pyacq_ringbuffer_shm_id": (_int, [RingBufferHandle, _StringOut]),
    "pyacq_ringbuffer_destroy": (None, [RingBufferHandle]),
    # RPC servers
    "pyacq_rpc_server_start": (_int, [_P(ServerHandle), _str]),
    "pyacq_rpc_server_address": (_int, [ServerHandle, _StringOut]),
    "pyacq_rpc_server_publish_output": (_int, [ServerHandle, _str, OutputHandle]),
    "pyacq_rpc_server_publish_input": (_int, [ServerHandle, _str, InputHandle]),
    "pyacq_rpc_server_publish_value": (_int, [ServerHandle, _str, _str]),
    "pyacq_rpc_server_stop": (_int, [ServerHandle]),
    "pyacq_rpc_server_destroy": (None, [ServerHandle]),
    # RPC clients
    "pyacq_rpc_client_create": (_int, [_P(ClientHandle), _str, _i32]),
    "pyacq_rpc_client_get_item": (_int, [ClientHandle, _str, _i32, _P(ProxyHandle)]),
    "pyacq_rpc_client_import": (_int, [ClientHandle, _str, _i32, _P(ProxyHandle)]),
    "pyacq_rpc_client_close_server": (_int, [ClientHandle, _i32]),
    "pyacq_rpc_client_destroy": (None, [ClientHandle]),
    # proxies and futures
    "pyacq_proxy_attr": (_int, [ProxyHandle, _str, _P(ProxyHandle)]),
    "pyacq_proxy_call": (_int, [ProxyHandle, _str, _str, _i32, _StringOut]),
    "pyacq_proxy_call_proxy": (_int, [ProxyHandle, _str, _str, _i32, _P(ProxyHandle)]),
    "pyacq_proxy_call_async": (_int, [ProxyHandle, _str, _str, _P(FutureHandle)]),
    "pyacq_proxy_call_nowait": (_int, [ProxyHandle, _str, _str]),
    "pyacq_future_wait": (_int, [FutureHandle, _i32, _StringOut]),
    "pyacq_future_done": (_int, [FutureHandle, _P(_bool)]),
    "pyacq_future_destroy": (None, [FutureHandle]),
    "pyacq_proxy_get_value": (_int, [ProxyHandle, _i32, _StringOut]),
    "pyacq_proxy_delete": (_int, [ProxyHandle, _i32]),
    "pyacq_proxy_to_json": (_int, [ProxyHandle, _StringOut]),
    "pyacq_proxy_from_json": (_int, [_str, _P(ProxyHandle)]),
    "pyacq_proxy_destroy": (None, [ProxyHandle]),
    "pyacq_input_connect_proxy": (_int, [InputHandle, ProxyHandle, _i32]),
    # managers and hosts
    "pyacq_manager_create": (_int, [_P(ManagerHandle), _str, _i32]),
    "pyacq_manager_proxy": (_int, [ManagerHandle, _P(ProxyHandle)]),
    "pyacq_manager_add_host": (_int, [ManagerHandle, _str, _i32, _P(HostHandle)]),
    "pyacq_manager_create_nodegroup": (_int, [ManagerHandle, _str, _str, _str, _i32, _P(NodeGroupHandle)]),
    "pyacq_manager_list_nodegroups": (_int, [ManagerHandle, _i32, _StringOut]),
    "pyacq_manager_start_all_nodes": (_int, [ManagerHandle, _i32]),
    "pyacq_manager_stop_all_nodes": (_int, [ManagerHandle, _i32]),
    "pyacq_manager_close": (_int, [ManagerHandle, _i32]),
    "pyacq_manager_destroy": (None, [ManagerHandle]),
    "pyacq_host_proxy": (_int, [HostHandle, _P(ProxyHandle)]),
    "pyacq_host_destroy": (None, [HostHandle]),
    # node groups
    "pyacq_nodegroup_create_node": (_int, [NodeGroupHandle, _str, _str, _i32, _P(NodeHandle)]),
    "pyacq_nodegroup_close": (_int, [NodeGroupHandle, _i32]),
    "pyacq_nodegroup_proxy": (_int, [NodeGroupHandle, _P(ProxyHandle)]),
    "pyacq_nodegroup_from_proxy": (_int, [ProxyHandle, _P(NodeGroupHandle)]),
    "pyacq_nodegroup_destroy": (None, [NodeGroupHandle]),
    "pyacq_list_node_types": (_int, [_StringOut]),
    # nodes
    "pyacq_node_configure": (_int, [NodeHandle, _str, _i32]),
    "pyacq_node_initialize": (_int, [NodeHandle, _i32]),
    "pyacq_node_start": (_int, [NodeHandle, _i32]),
    "pyacq_node_stop": (_int, [NodeHandle, _i32]),
    "pyacq_node_close": (_int, [NodeHandle, _i32]),
    "pyacq_node_output": (_int, [NodeHandle, _str, _i32, _P(StreamHandle)]),
    "pyacq_node_input": (_int, [NodeHandle, _str, _i32, _P(StreamHandle)]),
    "pyacq_node_proxy": (_int, [NodeHandle, _P(ProxyHandle)]),
    "pyacq_node_from_proxy": (_int, [ProxyHandle, _P(NodeHandle)]),
    "pyacq_node_destroy": (None, [NodeHandle]),
    "pyacq_node_create_local": (_int, [_str, _str, _P(NodeHandle)]),
    "pyacq_node_is_local": (_int, [NodeHandle, _P(_bool)]),
    "pyacq_node_call": (_int, [NodeHandle, _str, _str, _str, _i32, _StringOut]),
    "pyacq_node_get": (_int, [NodeHandle, _str, _i32, _StringOut]),
    # streams of nodes
    "pyacq_stream_configure": (_int, [StreamHandle, _str, _i32]),
    "pyacq_stream_connect": (_int, [StreamHandle, StreamHandle, _i32]),
    "pyacq_stream_params": (_int, [StreamHandle, _i32, _StringOut]),
    "pyacq_input_connect_stream": (_int, [InputHandle, StreamHandle, _i32]),
    "pyacq_stream_local": (_int, [StreamHandle, _P(OutputHandle), _P(InputHandle)]),
    "pyacq_stream_proxy": (_int, [StreamHandle, _P(ProxyHandle)]),
    "pyacq_stream_from_proxy": (_int, [ProxyHandle, _P(StreamHandle)]),
    "pyacq_stream_destroy": (None, [StreamHandle]),
    # devices and zero-copy production
    "pyacq_audio_devices": (_int, [_StringOut]),
    "pyacq_video_devices": (_int, [_StringOut]),
    "pyacq_output_reserve": (_int, [OutputHandle, _i64, _i64, _P(_ptr), _P(_i64)]),
    "pyacq_output_commit": (_int, [OutputHandle]),
    # time: the stream clock, stamped chunks, clock offsets (libpyacq.timing)
    "pyacq_clock_now": (_int, [_P(ctypes.c_double)]),
    "pyacq_output_send_stamped": (_int, [OutputHandle, _ptr, _str, _i32, Int64Array, Int64Array, _i64, ctypes.c_double]),
    "pyacq_output_commit_stamped": (_int, [OutputHandle, ctypes.c_double]),
    "pyacq_input_last_timestamp": (_int, [InputHandle, _P(ctypes.c_double), _P(ctypes.c_double)]),
    "pyacq_input_clock_offset": (_int, [InputHandle, _i32, _P(pyacq_clock_offset)]),
    "pyacq_rpc_client_clock_offset": (_int, [ClientHandle, _i32, _i32, _P(pyacq_clock_offset)]),
    # latency (closed-loop use)
    "pyacq_input_set_spin": (_int, [InputHandle, _i32]),
    "pyacq_input_wakeup_mode": (_int, [InputHandle, _P(_i32)]),
}


def _declare():
    missing = []
    for name, (restype, argtypes) in _PROTOTYPES.items():
        try:
            function = getattr(lib, name)
        except AttributeError:
            missing.append(name)
            continue
        function.restype = restype
        function.argtypes = argtypes
    if missing:
        raise LibraryError("%s lacks the functions %s: it is not a libpyacq of ABI %d"
                           % (library_path, ", ".join(missing), ABI_VERSION))


_declare()


def _check_abi():
    found = lib.pyacq_abi_version()
    major_minor = lib.pyacq_version_number() // 100
    if found != ABI_VERSION or major_minor != VERSION_NUMBER // 100:
        raise LibraryError(
            "%s is libpyacq %s (ABI %d) but this binding is written for libpyacq %d.%d (ABI %d); install a "
            "matching libpyacq or point LIBPYACQ_PATH at one"
            % (library_path, version(), found, VERSION_NUMBER // 10000, VERSION_NUMBER // 100 % 100, ABI_VERSION))


# ----------------------------------------------------------------------------- helpers

def version():
    """Version text of the loaded library, e.g. "0.1.0"."""
    return lib.pyacq_version().decode("ascii")


def _thread_text(function):
    text = function()
    return text.decode("utf-8", "replace") if text else ""


def last_error():
    """pyacq_last_error() of this thread."""
    return _thread_text(lib.pyacq_last_error)


def status_name(status):
    name = lib.pyacq_status_name(status)
    return name.decode("ascii") if name else "PYACQ_UNKNOWN_STATUS"


def check(status, context=None):
    """Raises the exception of `status` (a pyacq_status) with this thread's last-error details;
    returns None for PYACQ_OK. Call it right after the failing call, on the same thread."""
    if status == 0:
        return
    message = last_error() or status_name(status)
    if status == RemoteError.status:
        raise remote_error(message, _thread_text(lib.pyacq_last_error_type),
                           _thread_text(lib.pyacq_last_error_traceback), context)
    if context:
        message = "%s: %s" % (context, message)
    cls = STATUS_EXCEPTIONS.get(status, PyAcqError)
    raise cls(message, status, status_name(status))


def timeout_ms(seconds, what="timeout"):
    """A timeout in seconds (None = forever) as the C ABI's milliseconds (-1 = forever): the one
    conversion of the package."""
    if seconds is None:
        return -1
    try:
        seconds = float(seconds)
    except (TypeError, ValueError):
        raise InvalidArgument("%s must be None or a number of seconds, got %r" % (what, seconds)) from None
    if seconds != seconds or seconds < 0:
        raise InvalidArgument("%s must be None or a number of seconds >= 0, got %r" % (what, seconds))
    return int(min(seconds * 1000.0 + 0.5, 2 ** 31 - 1))


def take_string(pointer):
    """Decodes a `char *` returned through a StringOut and frees it with pyacq_free."""
    if not pointer:
        return None
    try:
        return ctypes.string_at(pointer).decode("utf-8")
    finally:
        lib.pyacq_free(pointer)


_check_abi()
