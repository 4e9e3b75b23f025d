"""Host / process / thread names (PROTOCOL.md §6.1).

They appear in RPC client identities (`<host>.<process>.<thread>:<address>`,
§1.2) and in log records (§6.2).
"""

import os
import socket
import threading

__all__ = ["get_host_name", "set_host_name", "get_process_name", "set_process_name",
           "get_thread_name", "set_thread_name", "make_identity"]

_lock = threading.Lock()
_host_name = None
_process_name = None
_thread_names = {}  # thread ident -> name


def get_host_name():
    return _host_name if _host_name is not None else socket.gethostname()


def set_host_name(name):
    global _host_name
    _host_name = name


def get_process_name():
    """`process-<pid>` unless set (bootstrapped children use their spawn name)."""
    return _process_name if _process_name is not None else f"process-{os.getpid()}"


def set_process_name(name):
    global _process_name
    _process_name = name


def get_thread_name(ident=None):
    """`thread-<ident in lowercase hex>` unless set for that thread."""
    ident = threading.get_ident() if ident is None else ident
    with _lock:
        name = _thread_names.get(ident)
    return name if name is not None else f"thread-{ident:x}"


def set_thread_name(name, ident=None):
    ident = threading.get_ident() if ident is None else ident
    with _lock:
        if name is None:
            _thread_names.pop(ident, None)
        else:
            _thread_names[ident] = name


def make_identity(address, host=None, process=None, thread=None):
    """The DEALER identity of §1.2: `<host>.<process>.<thread>:<server address>`."""
    host = get_host_name() if host is None else host
    process = get_process_name() if process is None else process
    thread = get_thread_name() if thread is None else thread
    return f"{host}.{process}.{thread}:{address}"
