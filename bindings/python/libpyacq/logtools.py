"""pyacq's log tools (PROTOCOL §6): host / process / thread names, ``LogSender`` (a logging
handler pushing records as JSON over ZeroMQ), ``LogServer`` (a thread pulling them into a local
logger), ``start_log_server`` and ``RPCLogHandler`` (stderr, prefixed with
``[host:process:thread]``). Wire-compatible with pyacq's log channel, so records from original
pyacq processes arrive here and the reverse. The ZeroMQ parts need pyzmq.
"""

import logging
import os
import socket
import sys
import threading

from .serializer import JsonSerializer

__all__ = ["set_host_name", "get_host_name", "set_process_name", "get_process_name", "set_thread_name",
           "get_thread_name", "start_log_server", "get_logger_address", "set_logger_address", "LogSender",
           "LogServer", "RPCLogHandler", "log_exceptions"]

_names = {"host": None, "process": None}
_thread_names = {}
_logger_address = None
_sender = None
_server = None
_lock = threading.Lock()


def set_host_name(name):
    _names["host"] = name


def get_host_name():
    return _names["host"] or socket.gethostname()


def set_process_name(name):
    _names["process"] = name


def get_process_name():
    return _names["process"] or "process-%d" % os.getpid()


def set_thread_name(name, tid=None):
    _thread_names[threading.get_ident() if tid is None else tid] = name


def get_thread_name(tid=None):
    tid = threading.get_ident() if tid is None else tid
    return _thread_names.get(tid, "thread-%x" % tid)


def _zmq():
    try:
        import zmq
    except ImportError:
        raise ImportError("pyacq's log channel (LogSender, LogServer, start_log_server) needs pyzmq "
                          "(pip install pyzmq)") from None
    return zmq


class LogSender(logging.Handler):
    """Sends every record it handles to the LogServer at `address` (PUSH socket, one JSON frame
    per record with the host / process / thread names added). With `logger` it attaches
    itself to that logger (name or Logger)."""

    def __init__(self, address=None, logger=None):
        logging.Handler.__init__(self)
        self._socket = None
        self._lock_socket = threading.Lock()
        self._serializer = JsonSerializer()
        if address is not None:
            self.connect(address)
        if logger is not None:
            (logging.getLogger(logger) if isinstance(logger, str) else logger).addHandler(self)

    def connect(self, address):
        zmq = _zmq()
        if isinstance(address, bytes):  # pyacq hands addresses around as bytes
            address = address.decode("ascii")
        with self._lock_socket:
            if self._socket is not None:
                self._socket.close()
            self._socket = zmq.Context.instance().socket(zmq.PUSH)
            self._socket.linger = 1000
            self._socket.connect(address)

    def emit(self, record):
        if self._socket is None:
            return
        fields = dict(record.__dict__)
        fields["msg"] = record.getMessage()
        fields.pop("args", None)
        fields["exc_info"] = None
        if record.exc_info and not record.exc_text:
            fields["exc_text"] = logging.Formatter().formatException(record.exc_info)
        fields.update(process_name=get_process_name(), thread_name=get_thread_name(), host_name=get_host_name())
        fields = {key: value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
                  for key, value in fields.items()}
        with self._lock_socket:
            self._socket.send(self._serializer.dumps(fields))

    def close(self):
        with self._lock_socket:
            if self._socket is not None:
                self._socket.close()
                self._socket = None
        logging.Handler.close(self)


class LogServer(threading.Thread):
    """A thread receiving records from LogSenders (PULL socket bound to `address`) and handing
    them to `logger`. ``address`` is the bound address senders connect to."""

    def __init__(self, logger, address="tcp://127.0.0.1:*", sort=True):
        threading.Thread.__init__(self, name="libpyacq-LogServer", daemon=True)
        zmq = _zmq()
        self.logger = logging.getLogger(logger) if isinstance(logger, str) else logger
        self._socket = zmq.Context.instance().socket(zmq.PULL)
        self._socket.linger = 1000
        self._socket.bind(address)
        self.address = self._socket.getsockopt(zmq.LAST_ENDPOINT).decode("ascii")
        self._serializer = JsonSerializer()
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.is_set():
            if not self._socket.poll(100):
                continue
            try:
                fields = self._serializer.loads(self._socket.recv())
            except ValueError:
                continue  # not a log record: a peer must not stop the log of the others
            if isinstance(fields, dict):
                self.logger.handle(logging.makeLogRecord(fields))
        self._socket.close()

    def stop(self):
        self._stop_event.set()


def start_log_server(logger):
    """Starts this process's LogServer feeding `logger` (a name or a Logger); processes that
    should log here call set_logger_address(get_logger_address()). Only one per process."""
    global _server
    with _lock:
        if _server is not None:
            raise RuntimeError("this process already has a LogServer (at %s)" % _server.address)
        _server = LogServer(logger)
        _server.start()
    return _server


def get_logger_address():
    """This process's LogServer address, else the address given to set_logger_address (or None)."""
    return _server.address if _server is not None else _logger_address


def set_logger_address(address):
    """Sends every record of this process's root logger to the LogServer at `address` (a
    LogSender attached to the root logger). Only once per process."""
    global _logger_address, _sender
    with _lock:
        if _sender is not None:
            raise RuntimeError("this process already sends its log records to %s" % _logger_address)
        _sender = LogSender(address, logging.getLogger())
        _logger_address = address


class RPCLogHandler(logging.StreamHandler):
    """A stderr handler prefixing each record with ``[host:process:thread]`` (the sender's names
    for records from other processes, this process's names otherwise)."""

    def __init__(self, stream=sys.stderr):
        logging.StreamHandler.__init__(self, stream)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def format(self, record):
        header = "[%s:%s:%s]" % (getattr(record, "host_name", None) or get_host_name(),
                                 getattr(record, "process_name", None) or get_process_name(),
                                 getattr(record, "thread_name", None) or get_thread_name())
        return "%s %s" % (header, logging.StreamHandler.format(self, record))


def log_exceptions():
    """Logs uncaught exceptions of this process (sys.excepthook) through the root logger."""
    def hook(exc_type, value, tb):
        logging.getLogger().error("Unhandled exception:", exc_info=(exc_type, value, tb))
    sys.excepthook = hook
