"""OutputStream / InputStream (PROTOCOL.md §8), plaindata (§9) and sharedmem (§11).

All sockets come from one process-wide zmq context, like pyacq's; `inproc`
streams therefore only work between streams of the same process.
"""

import copy
import os
import random
import string

import numpy as np
import zmq

from . import plaindata
from .dtypes import normalise_dtype_param, parse_dtype
from .ringbuffer import RingBuffer
from .sharedmem import SharedFile, decode_notification, encode_notification

__all__ = ["default_params", "make_url", "OutputStream", "InputStream", "CONTEXT"]

CONTEXT = zmq.Context.instance()
LINGER_MS = 1000
PROTOCOLS = ("tcp", "ipc", "inproc")
TRANSFER_MODES = ("plaindata", "sharedmem")
PIPE_PREFIX = "pyacq_pipe_"
PIPE_CHARS = string.ascii_uppercase + string.digits

# §8.1, in spec order.
_DEFAULT_PARAMS = (
    ("protocol", "tcp"),
    ("interface", "127.0.0.1"),
    ("port", "*"),
    ("transfermode", "plaindata"),
    ("streamtype", "analogsignal"),
    ("dtype", "float32"),
    ("shape", [-1, 1]),
    ("axisorder", None),
    ("buffer_size", 0),
    ("compression", ""),
    ("scale", None),
    ("offset", None),
    ("units", ""),
    ("sample_rate", 1.0),
    ("double", False),
    ("fill", None),
)

# Keys an input spec must agree on; every other input-spec key overrides (§8.3).
_MUST_MATCH = ("protocol", "transfermode", "shape", "dtype")


def default_params():
    return copy.deepcopy(dict(_DEFAULT_PARAMS))


def make_url(params):
    protocol = params["protocol"]
    if protocol not in PROTOCOLS:
        raise ValueError(f"unsupported protocol {protocol!r}; expected one of {PROTOCOLS}")
    if protocol in ("inproc", "ipc"):
        return f"{protocol}://{params['interface']}"
    return f"tcp://{params['interface']}:{params['port']}"


def _pipe_name():
    return PIPE_PREFIX + "".join(random.choice(PIPE_CHARS) for _ in range(24))


def _as_plain(value):
    """Tuples become lists so spec/kwarg values compare like their wire form."""
    if isinstance(value, (list, tuple)):
        return [_as_plain(item) for item in value]
    return value


def _check_shape(shape):
    shape = [int(n) for n in shape]
    if not shape or not (shape[0] == -1 or shape[0] > 0) or any(n <= 0 for n in shape[1:]):
        raise ValueError(f"invalid stream shape {shape}: first dim -1 or > 0, others > 0")


def _ring_shape(params):
    size = int(params["buffer_size"])
    if size <= 0:
        raise ValueError("sharedmem needs buffer_size > 0")
    return (size,) + tuple(params["shape"][1:])


def _shared_nbytes(params):
    return RingBuffer.nbytes(_ring_shape(params), params["dtype"], params["double"])


def _ring_for(params, storage):
    """The RingBuffer a sharedmem stream's params describe, on `storage`."""
    return RingBuffer(_ring_shape(params), params["dtype"], double=params["double"],
                      axisorder=params["axisorder"], fill=params["fill"], storage=storage)


class OutputStream:
    def __init__(self, spec=None, detect_subscribers=False):
        """`detect_subscribers=True` binds an XPUB instead of a PUB: identical on
        the wire for SUB peers, but lets `wait_for_subscribers` block until a
        subscription has really arrived (no slow-joiner guessing)."""
        self.spec = copy.deepcopy(dict(spec or {}))
        self.detect_subscribers = detect_subscribers
        self.params = None
        self.socket = None
        self.ring = None
        self._shared_file = None
        self._last_index = 0

    def configure(self, **kwargs):
        """§8.2: defaults < spec < kwargs, validate, bind, set up the transfer mode."""
        for key, value in kwargs.items():
            if key in self.spec:
                assert _as_plain(value) == _as_plain(self.spec[key]), \
                    f"{key}={value!r} conflicts with the stream spec value {self.spec[key]!r}"
        params = default_params()
        params.update(copy.deepcopy(self.spec))
        params.update(copy.deepcopy(kwargs))
        params["dtype"] = normalise_dtype_param(params["dtype"])
        _check_shape(params["shape"])
        if params["transfermode"] not in TRANSFER_MODES:
            raise ValueError(f"unsupported transfermode {params['transfermode']!r}")
        if params["protocol"] in ("inproc", "ipc"):
            params["interface"] = _pipe_name()
        self.dtype = parse_dtype(params["dtype"])
        self._bind(params)
        if params["transfermode"] == "sharedmem":
            self._create_shared_ring(params)
        self.params = params

    def _bind(self, params):
        url = make_url(params)
        self.socket = CONTEXT.socket(zmq.XPUB if self.detect_subscribers else zmq.PUB)
        self.socket.linger = LINGER_MS
        if self.detect_subscribers:
            self.socket.setsockopt(zmq.XPUB_VERBOSE, 1)  # report every subscriber
        self.socket.bind(url)
        endpoint = self.socket.getsockopt_string(zmq.LAST_ENDPOINT)
        params["port"] = endpoint.rsplit(":", 1)[1]  # a str; odd for ipc/inproc, as pyacq

    def _create_shared_ring(self, params):
        self._shared_file = SharedFile.create(_shared_nbytes(params))
        self.ring = _ring_for(params, storage=self._shared_file.mapping)
        params["shm_id"] = self._shared_file.path

    def wait_for_subscribers(self, count=1, timeout_ms=10000):
        """True once `count` subscriptions arrived (needs detect_subscribers)."""
        if not self.detect_subscribers:
            raise RuntimeError("wait_for_subscribers needs OutputStream(detect_subscribers=True)")
        seen = 0
        while seen < count:
            if not self.socket.poll(timeout_ms):
                return False
            message = self.socket.recv()
            seen += message[:1] == b"\x01"
        return True

    def send(self, data, index=None):
        """Publish one chunk; `index` = sample count after it (§8.4)."""
        data = np.asarray(data)
        if data.dtype != self.dtype:
            raise ValueError(f"chunk dtype {data.dtype} does not match stream dtype {self.dtype}")
        if self.params["transfermode"] == "sharedmem":
            index = self._send_shared(data, index)
        else:
            index = self._last_index + data.shape[0] if index is None else index
            frames = plaindata.encode_chunk(data, index, self.params["compression"])
            self.socket.send_multipart(frames)
        self._last_index = index

    def _send_shared(self, data, index):
        shape = self.params["shape"]
        if list(data.shape[1:]) != list(shape[1:]) or (shape[0] > 0 and list(data.shape) != list(shape)):
            raise ValueError(f"chunk shape {data.shape} does not match stream shape {shape}")
        self.ring.new_chunk(data, index)
        index = self.ring.index()
        self.socket.send(encode_notification(index, data.shape[0]))
        return index

    def reset_index(self):
        """Node restart: indexes start over at 0 (sharedmem: in place, §11.5)."""
        self._last_index = 0
        if self.ring is not None:
            self.ring.reset_index()

    def close(self):
        if self.socket is not None:
            self.socket.close()
            self.socket = None
        if self._shared_file is not None:
            self.ring = None
            self._shared_file.close()
            self._shared_file = None
        if self.params and self.params["protocol"] == "ipc":
            _remove_pipe_file(self.params["interface"])


def _remove_pipe_file(path):
    """libzmq normally unlinks it on close, asynchronously; make sure it is gone."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


class InputStream:
    def __init__(self, spec=None):
        self.spec = copy.deepcopy(dict(spec or {}))
        self.params = None
        self.socket = None
        self.buffer = None
        self.shared_ring = None
        self._shared_file = None

    def connect(self, output):
        """`output` is an OutputStream or its params map (§8.3)."""
        params = copy.deepcopy(output.params if isinstance(output, OutputStream) else dict(output))
        self._apply_spec(params)
        self.params = params
        self.dtype = parse_dtype(params["dtype"])
        if params["transfermode"] == "sharedmem":
            self._open_shared_ring(params)  # before subscribing: no chunk can precede the mapping
        self.socket = CONTEXT.socket(zmq.SUB)
        self.socket.linger = LINGER_MS
        self.socket.setsockopt(zmq.SUBSCRIBE, b"")
        self.socket.connect(make_url(params))

    def _apply_spec(self, params):
        for key, wanted in self.spec.items():
            if key not in _MUST_MATCH:
                params[key] = copy.deepcopy(wanted)
            elif not _spec_value_matches(key, wanted, params.get(key)):
                raise ValueError(f"input spec {key}={wanted!r} does not match output {params.get(key)!r}")

    def _open_shared_ring(self, params):
        self._shared_file = SharedFile.open_readonly(params["shm_id"], _shared_nbytes(params))
        self.shared_ring = _ring_for(params, storage=self._shared_file.mapping)

    def poll(self, timeout=None):
        """True if a chunk is waiting; `timeout` in ms (None = forever)."""
        return bool(self.socket.poll(timeout))

    def recv(self, return_data=True):
        """(index, data) of the next chunk; data is a read-only view where possible."""
        frames = self.socket.recv_multipart()
        if self.params["transfermode"] == "sharedmem":
            if len(frames) != 1:
                raise ValueError(f"sharedmem message must have 1 frame, got {len(frames)}")
            index, length = decode_notification(frames[0])
            data = None
            if return_data or self.buffer is not None:
                data = self.shared_ring.get_data(index - length, index)
        else:
            index, data = plaindata.decode_chunk(frames, self.dtype, self.params["compression"])
        if self.buffer is not None:
            self.buffer.new_chunk(data, index)
        return index, (data if return_data else None)

    def set_buffer(self, size, double=True, axisorder=None, fill=None):
        """Keep the last `size` samples of received chunks in a local RingBuffer."""
        shape = (size,) + tuple(self.params["shape"][1:])
        self.buffer = RingBuffer(shape, self.dtype, double=double, axisorder=axisorder, fill=fill)

    def get_data(self, start, stop, copy=False, join=True):
        """History from the local buffer, else (sharedmem) straight from the shared ring."""
        ring = self.buffer if self.buffer is not None else self.shared_ring
        if ring is None:
            raise RuntimeError("no buffer: call set_buffer() first")
        return ring.get_data(start, stop, copy=copy, join=join)

    def empty_queue(self):
        """Drop every chunk already waiting (e.g. stale ones before a start)."""
        while self.socket.poll(0):
            self.socket.recv_multipart()

    def close(self):
        if self.socket is not None:
            self.socket.close()
            self.socket = None
        if self._shared_file is not None:
            self.shared_ring = None
            self._shared_file.close()
            self._shared_file = None


def _spec_value_matches(key, wanted, actual):
    if key == "shape":
        return len(wanted) == len(actual) and all(
            w == a or w == -1 or a == -1 for w, a in zip(wanted, actual))
    if key == "dtype":
        return parse_dtype(wanted) == parse_dtype(actual)
    return wanted == actual
