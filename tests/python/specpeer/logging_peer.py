"""Log forwarding peer (PROTOCOL.md §6): LogSender (PUSH) / LogServer (PULL),
and `measure_clock_diff` (§6.3).

Each record is one JSON frame (pyacq's JSON serializer: default separators)
holding the Python LogRecord attributes without `args`, `msg` already
formatted, `exc_info` null (traceback text goes to `exc_text`), plus
`process_name`, `thread_name` and `host_name`.
"""

import json
import logging
import math
import threading
import time
import traceback

import zmq

from . import names
from .rpc_serializer import JsonSerializer, ProxyRef

__all__ = ["LogSender", "LogSenderHandler", "LogServer", "record_to_dict",
           "measure_clock_diff", "LINGER_MS"]

LINGER_MS = 1000
_JSON_SCALARS = (str, int, float, bool, type(None))


def _plain(value):
    """A JSON-encodable rendering of a record attribute (repr for anything else)."""
    if isinstance(value, _JSON_SCALARS):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return repr(value)


def record_to_dict(record, host_name=None, process_name=None, thread_name=None):
    """The map a LogSender sends for `record` (§6.2)."""
    data = dict(record.__dict__)
    data["msg"] = record.getMessage()
    data.pop("args", None)
    data.pop("message", None)
    if record.exc_info and not data.get("exc_text"):
        data["exc_text"] = "".join(traceback.format_exception(*record.exc_info))
    data["exc_info"] = None
    data = {key: _plain(value) for key, value in data.items()}
    data["process_name"] = names.get_process_name() if process_name is None else process_name
    data["thread_name"] = (names.get_thread_name(record.thread)
                           if thread_name is None else thread_name)
    data["host_name"] = names.get_host_name() if host_name is None else host_name
    return data


class LogSender:
    """PUSH socket connected to a log server address; thread-safe (locked)."""

    def __init__(self, address, *, host_name=None, process_name=None, thread_name=None,
                 context=None):
        self.address = address.decode() if isinstance(address, bytes) else address
        self._names = dict(host_name=host_name, process_name=process_name,
                           thread_name=thread_name)
        self._lock = threading.Lock()
        self.socket = (context or zmq.Context.instance()).socket(zmq.PUSH)
        self.socket.setsockopt(zmq.LINGER, LINGER_MS)
        self.socket.connect(self.address)
        self._serializer = JsonSerializer()

    def send_record(self, record):
        self.send_dict(record_to_dict(record, **self._names))

    def send_dict(self, data):
        frame = self._serializer.dumps(data)
        with self._lock:
            self.socket.send(frame)

    def log(self, level, msg, name="specpeer", **extra):
        """Build a LogRecord like `logging` would and send it."""
        record = logging.LogRecord(name, level, "(specpeer)", 0, msg, None, None)
        record.__dict__.update(extra)
        self.send_record(record)

    def close(self):
        with self._lock:
            self.socket.close(LINGER_MS)


class LogSenderHandler(logging.Handler):
    """A logging handler forwarding every record through a LogSender."""

    def __init__(self, address, level=logging.NOTSET, **sender_kw):
        super().__init__(level)
        self.sender = LogSender(address, **sender_kw)

    def emit(self, record):
        try:
            self.sender.send_record(record)
        except Exception:  # pragma: no cover - logging must not raise
            self.handleError(record)

    def close(self):
        try:
            self.sender.close()
        finally:
            super().close()


class LogServer:
    """PULL socket bound on `tcp://127.0.0.1:*` collecting record maps.

    Accepts any JSON object; `records` keeps them in arrival order.
    `logger`: optional logging.Logger to hand rebuilt LogRecords to.
    """

    def __init__(self, address="tcp://127.0.0.1:*", logger=None, context=None):
        self.socket = (context or zmq.Context.instance()).socket(zmq.PULL)
        self.socket.setsockopt(zmq.LINGER, LINGER_MS)
        self.socket.bind(address)
        self.address = self.socket.getsockopt_string(zmq.LAST_ENDPOINT)
        self.records = []
        self.errors = []
        self.logger = logger
        self._serializer = JsonSerializer()
        self._cond = threading.Condition()
        self._thread = None
        self._stop = False

    def poll(self, timeout=0.0):
        """Receive every pending record, waiting up to `timeout` s for the first.
        Returns the number received."""
        count = 0
        wait_ms = int(timeout * 1000)
        while self.socket.poll(wait_ms, zmq.POLLIN):
            wait_ms = 0
            frames = self.socket.recv_multipart()
            count += 1
            self._handle(frames)
        return count

    def _handle(self, frames):
        try:
            data = self._serializer.loads(frames[0])
            if not isinstance(data, dict):
                raise ValueError(f"log frame is not a map: {data!r}")
        except Exception as exc:
            with self._cond:
                self.errors.append((frames, exc))
                self._cond.notify_all()
            return
        with self._cond:
            self.records.append(data)
            self._cond.notify_all()
        if self.logger is not None:
            self.logger.handle(self.make_record(data))

    @staticmethod
    def make_record(data):
        """A logging.LogRecord from a received map (missing fields defaulted)."""
        data = dict(data)
        data.setdefault("args", None)
        data["exc_info"] = None
        return logging.makeLogRecord(data)

    def run_in_thread(self):
        """Collect records on a background thread (then use `wait_for`)."""
        def target():
            while not self._stop:
                self.poll(0.05)
            self.socket.close(LINGER_MS)

        self._thread = threading.Thread(target=target, name="specpeer-log-server", daemon=True)
        self._thread.start()
        return self._thread

    def wait_for(self, predicate, timeout=5.0):
        """Wait until some record satisfies `predicate`; returns it or None."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            with self._cond:
                for record in self.records[seen:]:
                    if predicate(record):
                        return record
                seen = len(self.records)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                if self._thread is not None:
                    self._cond.wait(min(remaining, 0.1))
                    continue
            self.poll(min(remaining, 0.1))

    def close(self):
        if self._thread is not None:
            self._stop = True
            self._thread.join(5)
            self._thread = None
        elif not self.socket.closed:
            self.socket.close(LINGER_MS)


def measure_clock_diff(client, count=10):
    """§6.3: mean over i of r_i - (l_i + l_(i+1)) / 2, in seconds, using the
    remote `time.perf_counter` (import "time" + call_obj ["perf_counter"])."""
    module = client.import_module("time")
    if not isinstance(module, ProxyRef):
        raise ValueError("measure_clock_diff needs a server outside the calling thread")
    remote = module.with_attributes("perf_counter")
    local, remote_times = [], []
    for _ in range(count):
        local.append(time.perf_counter())
        remote_times.append(client.call(remote))
    diffs = [remote_times[i] - (local[i] + local[i + 1]) / 2 for i in range(count - 1)]
    result = sum(diffs) / len(diffs)
    if not math.isfinite(result):  # pragma: no cover
        raise ValueError("non-finite clock difference")
    return result
