"""OutputStream and InputStream (pyacq's names and calls) over libpyacq's C ABI.

Units: ``recv(timeout=...)`` and ``wait_for_subscribers(timeout=...)`` take **seconds** (float;
None = wait forever); ``InputStream.poll(timeout)`` takes **milliseconds**, exactly as pyacq's
(which hands the value to ZeroMQ). Long or infinite waits are done in short slices so Ctrl-C
still interrupts them.
"""

import copy
import ctypes
import weakref

import numpy as np

from . import _capi, timing
from ._arrays import CallerArray, borrowed_array, chunk_index, from_json, stream_dtype, strict_int, to_json
from ._capi import check, lib, timeout_ms
from ._handle import HandleKeeper, HandleOwner
from ._wait import TIMEOUT_STATUS as _TIMEOUT, sliced
from .errors import InvalidArgument, StateError
from .ringbuffer import RingBuffer

__all__ = ["OutputStream", "InputStream"]

#: Seconds a connect through a node stream may take (a remote output's params are fetched).
NODE_TIMEOUT = 30.0


def _sliced(call, timeout):
    """Runs `call(ms)` until it returns something else than PYACQ_ERR_TIMEOUT or `timeout`
    (seconds, None = forever) expires; returns the last status."""
    return sliced(call, timeout_ms(timeout))


def _poll_ms(timeout):
    """pyacq's poll timeout: milliseconds (None = forever) -> seconds for _sliced."""
    if timeout is None:
        return None
    try:
        timeout = float(timeout)
    except (TypeError, ValueError):
        raise InvalidArgument("poll timeout must be None or a number of milliseconds, got %r" % (timeout,)) from None
    if timeout != timeout or timeout < 0:
        raise InvalidArgument("poll timeout must be None or a number of milliseconds >= 0, got %r" % (timeout,))
    return timeout / 1000.0


def _params_of(source):
    """A params dict from an OutputStream (ours or any object with a `params` dict), a proxy to
    a remote one (proxies supply their stream's params: ``_stream_params``) or a dict."""
    stream_params = getattr(type(source), "_stream_params", None)
    params = stream_params(source) if callable(stream_params) else getattr(source, "params", source)
    if not isinstance(params, dict):
        raise InvalidArgument("connect() needs an OutputStream, a proxy to one or its params dict, got %s"
                              % type(source).__name__)
    if not params:
        raise StateError("the output stream is not configured: it has no params yet")
    return params


class _ParamsMixin:
    """``params`` / ``dtype`` kept on the Python side (users may add keys to ``params``, as in
    pyacq), filled from the library when empty, e.g. after a remote peer configured or
    connected a stream published on an RPCServer."""

    _params_function = None
    _params = None
    _dtype = None

    @property
    def params(self):
        if not self._params and self._keeper is not None:
            self._sync_params()
        return self._params

    @params.setter
    def params(self, value):
        self._params = value
        self._dtype = None

    @property
    def dtype(self):
        if self._dtype is None and self.params:
            self._dtype = stream_dtype(self._params["dtype"])
        return self._dtype

    @dtype.setter
    def dtype(self, value):
        self._dtype = value

    def _sync_params(self):
        """Reads the library's params (no error if there are none yet)."""
        keeper = self._keeper
        if keeper is None:
            return
        out = ctypes.c_void_p()
        if getattr(lib, self._params_function)(keeper.handle, ctypes.byref(out)) == 0 and out.value:
            params = from_json(_capi.take_string(out.value))
            if params:
                self._params = params
                self._dtype = None


class _Stream(_ParamsMixin, HandleOwner):
    """What OutputStream and InputStream share: ``spec`` / ``name`` / ``node``, a handle created
    from the spec (created again when a node edited the spec before configure() / connect()),
    and the params read back from the library."""

    _publish_function = None

    def _publish_on(self, server_handle, key):
        """Publishes this stream's handle on an RPC server (the server keeps a reference)."""
        check(getattr(lib, self._publish_function)(server_handle, key, self._live().handle),
              "publish %r" % key.decode("utf-8"))

    _handle_type = None        # _capi.OutputHandle / _capi.InputHandle
    _create_function = None    # the C ABI's "pyacq_<kind>_create",
    _destroy_function = None   # "pyacq_<kind>_destroy"
    _close_function = None     # and "pyacq_<kind>_close"
    _spec_context = None       # names the spec in to_json()'s errors

    def __init__(self, spec=None, node=None, name=""):  # pyacq's argument order
        self.spec = dict(spec or {})
        self.name = name or ""
        self.node = node
        self.params = {}
        self.dtype = None
        self._create()

    #: Keeper of the pyacq_stream handle when this object is a local node's stream (adopted by
    #: _adopt); connect()/configure() then go through the node, never recreate the handle.
    _node_stream = None

    @classmethod
    def _adopt(cls, handle, node_stream, name="", node=None):
        """A stream object around an existing handle of this kind: the stream of a local node
        (``handle`` from pyacq_stream_local, ``node_stream`` the keeper of its pyacq_stream)."""
        self = cls.__new__(cls)
        self._buffer = None
        self.spec = {}
        self.name = name or ""
        self.node = node
        self.params = {}
        self.dtype = None
        self._keeper = HandleKeeper(handle, getattr(lib, cls._destroy_function))
        self._created_spec = {}
        self._node_stream = node_stream
        self._sync_params()
        return self

    def _node_stream_handle(self):
        """The pyacq_stream handle of a local node's stream, None for a free-standing stream."""
        keeper = self._node_stream
        return None if keeper is None else keeper.handle

    def _create(self):
        handle = self._handle_type()
        check(getattr(lib, self._create_function)(ctypes.byref(handle), to_json(self.spec, self._spec_context)))
        self._keeper = HandleKeeper(handle, getattr(lib, self._destroy_function))
        self._created_spec = copy.deepcopy(self.spec)

    def _recreate(self, keeper):
        """Closes the handle of `keeper` and creates one carrying the edited spec; returns the
        new keeper."""
        self._release()
        getattr(lib, self._close_function)(keeper.handle)
        self._create()
        return self._keeper

    def _read_params(self, keeper):
        """``params`` and ``dtype`` from the library (after configure() / connect())."""
        out = ctypes.c_void_p()
        check(getattr(lib, self._params_function)(keeper.handle, ctypes.byref(out)))
        self.params = from_json(_capi.take_string(out.value))
        self.dtype = stream_dtype(self.params["dtype"])


class OutputStream(_Stream):
    """The producing end of a stream (pyacq.OutputStream).

    ``spec`` fixes params that configure() may not change (a node's output spec, e.g.
    ``{"shape": [-1, 16]}``); as in pyacq, a node may still edit ``stream.spec`` before
    configure() (the next configure() uses the edited spec). After configure(), ``params`` is
    the params dict (with the actual port / pipe name and ``shm_id``) a consumer connects
    with; like pyacq, you may add informational keys to it (e.g. ``channel_info``) before
    consumers connect. ``node``: the owning :class:`libpyacq.Node` (its
    ``after_output_configure(name)`` runs after each configure()).
    """

    _kind = "output stream"
    _params_function = "pyacq_output_params"
    _handle_type = _capi.OutputHandle
    _create_function = "pyacq_output_create"
    _destroy_function = "pyacq_output_destroy"
    _close_function = "pyacq_output_close"
    _spec_context = "output spec"
    _publish_function = "pyacq_rpc_server_publish_output"

    def _rpc_value(self):
        """What an RPC peer receives for this stream: its params (what a remote
        InputStream.connect needs)."""
        if not self.params:
            raise StateError("the output stream is not configured: configure it before sending it")
        return self.params

    def configure(self, **kwargs):
        """Sets params (defaults < spec < kwargs, PROTOCOL §8.2) and binds the socket (and, for
        sharedmem, creates the shared ring). Configuring again replaces the socket."""
        keeper = self._live()
        if self.spec != self._created_spec and self._node_stream is None:
            # The spec was edited (pyacq nodes do it in _configure): a new handle carries it.
            keeper = self._recreate(keeper)
        check(lib.pyacq_output_configure(keeper.handle, to_json(kwargs)), "configure %s" % self._describe())
        self._read_params(keeper)
        if self.node is not None:
            self.node.after_output_configure(self.name)

    @property
    def configured(self):
        """True once configure() succeeded (and until close())."""
        return bool(self.params) and not self.closed

    def reset_buffer_index(self):
        """pyacq's name of reset_index()."""
        self.reset_index()

    def send(self, data, index=None, timestamp=None):
        """Publishes one chunk (axis 0 = samples). `data` is any numpy array (any strides,
        negative ones included) of the stream dtype; it is handed to the library without a
        Python-side copy. `index` = stream index after this chunk (default: last + len).
        `timestamp`: stream-clock seconds of the chunk's last sample (libpyacq.timing; default:
        stamped at send)."""
        keeper = self._live()
        index = chunk_index(index, " (the stream index after this chunk)")
        chunk = CallerArray(data)
        if timestamp is not None:
            timing.send_stamped(keeper.handle, chunk, index, timestamp, "send on %s" % self._describe())
            return
        check(lib.pyacq_output_send(keeper.handle, chunk.pointer, chunk.dtype, chunk.ndim, chunk.shape,
                                    chunk.strides, index), "send on %s" % self._describe())

    def reserve(self, rows, index=None):
        """Zero-copy production: a writable numpy array of `rows` rows (the stream's other axes
        and dtype) that lives inside the shared ring (sharedmem) or the message to be sent
        (plaindata). Fill it, then call commit(); do not use it afterwards."""
        keeper = self._live()
        index = chunk_index(index, " (the stream index after this chunk)")
        data = ctypes.c_void_p()
        nbytes = ctypes.c_int64()
        check(lib.pyacq_output_reserve(keeper.handle, int(rows), index, ctypes.byref(data), ctypes.byref(nbytes)),
              "reserve on %s" % self._describe())
        shape = [int(rows)] + [int(n) for n in self.params["shape"][1:]]
        dtype = stream_dtype(self.params["dtype"])
        buffer = (ctypes.c_char * max(int(nbytes.value), 1)).from_address(data.value) if data.value else bytearray(1)
        return np.frombuffer(buffer, dtype=dtype, count=int(np.prod(shape))).reshape(shape)

    def commit(self, timestamp=None):
        """Publishes the rows obtained from reserve() (`timestamp` as in send())."""
        timing.commit_stamped(self._live().handle, timestamp, "commit on %s" % self._describe())

    @property
    def last_index(self):
        """Stream index after the last chunk sent."""
        out = ctypes.c_int64()
        check(lib.pyacq_output_last_index(self._live().handle, ctypes.byref(out)))
        return out.value

    @property
    def stats(self):
        """{"chunks_sent", "chunks_dropped", "samples_dropped", "last_index", "queued_bytes",
        "queued_bytes_peak", "max_queued_bytes", "consumer_queue_chunks"}: plaindata chunks not
        sent because slow consumers left more than ``max_queued_bytes`` (a configure() param,
        default 256 MiB, per consumer) queued -- the bound on what they can make the producer
        hold -- and what is queued now. See the README, "Slow consumers and lost samples"."""
        out = ctypes.c_void_p()
        check(lib.pyacq_output_stats(self._live().handle, ctypes.byref(out)))
        return from_json(_capi.take_string(out.value))

    @property
    def subscriber_count(self):
        """Number of consumers currently subscribed."""
        out = ctypes.c_int32()
        check(lib.pyacq_output_subscriber_count(self._live().handle, ctypes.byref(out)))
        return out.value

    def wait_for_subscribers(self, count=1, timeout=10.0):
        """Blocks until `count` consumers have subscribed, so no chunk is lost to ZeroMQ's
        slow-joiner effect. Raises PyAcqTimeout after `timeout` seconds (None = forever)."""
        keeper = self._live()
        count = strict_int(count, "wait_for_subscribers count", 0, 2 ** 31 - 1)
        self._check(_sliced(lambda ms: lib.pyacq_output_wait_subscribers(keeper.handle, count, ms), timeout),
                    "wait_for_subscribers on %s" % self._describe())
        return True

    def reset_index(self):
        """Index back to 0 (and the shared ring's header), as a restarted node does."""
        check(lib.pyacq_output_reset_index(self._live().handle))

    def close(self):
        """Closes the socket and removes the shared-memory file. Idempotent."""
        keeper = self._keeper
        if keeper is None:
            return
        self._release()
        check(lib.pyacq_output_close(keeper.handle))

    def __repr__(self):
        state = "closed" if self.closed else ("configured" if self.params else "unconfigured")
        return "<libpyacq.OutputStream %s%s>" % (state, " " + repr(self.name) if self.name else "")


class InputStream(_Stream):
    """The consuming end of a stream (pyacq.InputStream).

    Arrays returned by recv() are **read-only zero-copy views** of library memory (a received
    frame, or the producer's shared ring for sharedmem). Each array keeps that memory alive
    (other threads' recv() and close() do not free it); a sharedmem producer may still
    overwrite the rows once they fall out of its ring: use ``recv(copy=True)`` (or
    ``np.array(data)``) to keep such data longer.
    """

    _kind = "input stream"
    _params_function = "pyacq_input_params"
    _handle_type = _capi.InputHandle
    _create_function = "pyacq_input_create"
    _destroy_function = "pyacq_input_destroy"
    _close_function = "pyacq_input_close"
    _spec_context = "input spec"
    _publish_function = "pyacq_rpc_server_publish_input"

    def __init__(self, spec=None, node=None, name=""):
        self._buffer = None
        super().__init__(spec, node, name)

    def connect(self, output):
        """Connects to a producer: an OutputStream (libpyacq's, or any object with a ``params``
        dict such as a pyacq one), its params dict, or an :class:`libpyacq.ObjectProxy` to a
        remote OutputStream (its params are fetched by value, as pyacq does). Then runs the
        owning node's ``after_input_connect(name)``."""
        keeper = self._live()
        if self.spec != self._created_spec and not self.params and self._node_stream is None:
            keeper = self._recreate(keeper)
        source = getattr(type(output), "_node_stream_handle", None)  # (never a proxy's deferred attribute)
        source = source(output) if callable(source) else None
        context = "connect %s" % self._describe()
        if source is not None and self._node_stream is not None:  # node to node, in any process
            check(lib.pyacq_stream_connect(self._node_stream.handle, source, timeout_ms(NODE_TIMEOUT)), context)
        elif source is not None:  # a node's output, local or in a node group
            check(lib.pyacq_input_connect_stream(keeper.handle, source, timeout_ms(NODE_TIMEOUT)), context)
        else:
            check(lib.pyacq_input_connect(keeper.handle, to_json(_params_of(output))), context)
        self._read_params(keeper)
        self._buffer = None
        if self.node is not None:
            self.node.after_input_connect(self.name)

    @property
    def connected(self):
        """True once connect() succeeded (and until close())."""
        return bool(self.params) and not self.closed

    def poll(self, timeout=None):
        """True when a chunk is waiting. `timeout` is in **milliseconds** (None = wait forever),
        as pyacq's InputStream.poll, which hands it to ZeroMQ; 0 returns at once."""
        keeper = self._live()
        ready = ctypes.c_bool(False)
        timeout = _poll_ms(timeout)
        status = _sliced(lambda ms: _poll_status(keeper.handle, ms, ready), timeout)
        if status == _TIMEOUT:
            return False
        self._check(status, "poll on %s" % self._describe())
        return bool(ready.value)

    def recv(self, return_data=True, timeout=None, copy=False):
        """Receives the next chunk: ``(index, data)``. `index` is the stream index after the
        chunk; `data` a read-only view that keeps its memory alive (``copy=True`` gives
        an independent C-order copy), or None with ``return_data=False`` (cheapest).
        Raises PyAcqTimeout after `timeout` seconds (None = wait forever), MalformedMessage
        for a malformed message (dropped and counted in ``stats``)."""
        keeper = self._live()
        index = ctypes.c_int64()
        view = _capi.pyacq_view() if return_data else None
        view_ref = ctypes.byref(view) if return_data else None
        chunk = ctypes.c_void_p()
        status = _sliced(lambda ms: lib.pyacq_input_recv_retained(keeper.handle, ms, ctypes.byref(index), view_ref,
                                                                  ctypes.byref(chunk)), timeout)
        # The array's base owns the chunk: it stays valid across other threads' recv() and close().
        owner = _RetainedChunk(chunk.value) if chunk.value else keeper
        self._check(status, "recv on %s" % self._describe())
        if not return_data:
            return index.value, None
        dtype = self.dtype
        if dtype is None or view.itemsize != dtype.itemsize:  # connected remotely meanwhile
            self._sync_params()
            dtype = self.dtype
        data = borrowed_array(view, dtype, owner)
        if copy:
            data = np.array(data, order="C", copy=True)
        return index.value, data

    @property
    def last_timestamp(self):
        """Time of the last received chunk's last sample on this process's clock (the
        producer's stamp minus the estimated clock offset; NaN before the first estimate).
        StateError when the producer does not stamp (an original pyacq output)."""
        return timing.last_timestamp(self._live().handle, "last_timestamp of %s" % self._describe())[0]

    @property
    def last_raw_timestamp(self):
        """The last received chunk's stamp on the producer's clock."""
        return timing.last_timestamp(self._live().handle, "last_raw_timestamp of %s" % self._describe())[1]

    def clock_offset(self, timeout=2.0):
        """The producer's clock offset (libpyacq.timing.ClockOffset), waiting up to `timeout`
        seconds for the first estimate; re-estimated every 5 s (input spec key
        ``clock_offset_period``)."""
        return timing.input_clock_offset(self._live().handle, timeout, "clock_offset of %s" % self._describe())

    @property
    def spin_us(self):
        """Microseconds recv() and poll() busy-wait for a chunk before sleeping (default 0):
        a shorter wake-up for closed-loop experiments, at the cost of a core while waiting."""
        return getattr(self, "_spin_us", 0)

    @spin_us.setter
    def spin_us(self, value):
        value = strict_int(value, "spin_us", 0, 1000000)
        check(lib.pyacq_input_set_spin(self._live().handle, value), "spin_us on %s" % self._describe())
        self._spin_us = value

    @property
    def socket_free_wakeup(self):
        """True when this sharedmem input is woken through its libpyacq producer's shared
        wake-up page (stream param ``shm_wakeup``) rather than by notification messages."""
        mode = ctypes.c_int32()
        check(lib.pyacq_input_wakeup_mode(self._live().handle, ctypes.byref(mode)))
        return bool(mode.value)

    def empty_queue(self):
        """Discards every chunk already queued; returns how many."""
        out = ctypes.c_int64()
        check(lib.pyacq_input_empty_queue(self._live().handle, ctypes.byref(out)))
        return out.value

    def set_buffer(self, size, double=True, axisorder=None, fill=None):
        """Keeps the last `size` samples of every received chunk in a private ring buffer,
        read with get_data() or ``buffer[...]``."""
        keeper = self._live()
        options = {"size": strict_int(size, "set_buffer size", -2 ** 62, 2 ** 62), "double": bool(double), "axisorder": axisorder, "fill": fill}
        check(lib.pyacq_input_set_buffer(keeper.handle, to_json(options, "buffer options")),
              "set_buffer on %s" % self._describe())
        self._buffer = None

    @property
    def buffer(self):
        """The RingBuffer get_data() reads: the one of set_buffer(), else a sharedmem producer's
        ring (read-only); None when there is neither."""
        if self._buffer is None or self._buffer.closed:
            keeper = self._live()
            handle = _capi.RingBufferHandle()
            status = lib.pyacq_input_buffer(keeper.handle, ctypes.byref(handle))
            if status == StateError.status:
                return None
            check(status)
            self._buffer = RingBuffer._from_handle(handle, self.dtype)
        return self._buffer

    def __getitem__(self, item):
        """``stream[start:stop]``: samples of the buffer (pyacq's InputStream indexing)."""
        buffer = self.buffer
        if buffer is None:
            raise StateError("%s has no buffer: call set_buffer() first (or connect to a sharedmem stream)"
                             % self._describe())
        return buffer[item]

    @property
    def _own_buffer(self):
        """pyacq's flag: False when the buffer is the producer's shared ring (sharedmem)."""
        return (self.params or {}).get("transfermode") != "sharedmem"

    @property
    def receiver(self):
        """pyacq's receiver object, as far as its users look at it: ``receiver.buffer``, the
        producer's shared ring for sharedmem (None for plaindata)."""
        return _Receiver(None if self._own_buffer else self.buffer)

    def get_data(self, start, stop, copy=False, join=True):
        """Samples [start, stop) of the buffer (see RingBuffer.get_data)."""
        buffer = self.buffer
        if buffer is None:
            raise StateError("%s has no buffer: call set_buffer() first (or connect to a sharedmem stream)"
                             % self._describe())
        return buffer.get_data(start, stop, copy=copy, join=join)

    def reset_buffer_index(self):
        """Sets the private buffer's indexes back to 0."""
        check(lib.pyacq_input_reset_buffer_index(self._live().handle))

    @property
    def stats(self):
        """{"chunks_received", "samples_received", "samples_lost", "malformed_messages",
        "last_error"}: losses (index gaps) and rejected messages are never silent. Still
        readable after close(), with the final count (a sharedmem reader's close counts the
        samples published after the last chunk it received as lost)."""
        keeper = self._keeper
        if keeper is None and self._final_stats is not None:
            return dict(self._final_stats)
        return self._read_stats(self._live())

    @staticmethod
    def _read_stats(keeper):
        out = ctypes.c_void_p()
        check(lib.pyacq_input_stats(keeper.handle, ctypes.byref(out)))
        return from_json(_capi.take_string(out.value))

    _final_stats = None

    def close(self):
        """Closes the socket. Arrays from recv() must not be used afterwards. Idempotent."""
        keeper = self._keeper
        if keeper is None:
            return
        self._release()
        if self._buffer is not None:
            self._buffer.close()
            self._buffer = None
        check(lib.pyacq_input_close(keeper.handle))
        self._final_stats = self._read_stats(keeper)

    def __repr__(self):
        state = "closed" if self.closed else ("connected" if self.params else "unconnected")
        return "<libpyacq.InputStream %s%s>" % (state, " " + repr(self.name) if self.name else "")


class _RetainedChunk:
    """Holds a chunk from pyacq_input_recv_retained; released when the last array using it goes."""

    __slots__ = ("_finalizer", "__weakref__")

    def __init__(self, pointer):
        self._finalizer = weakref.finalize(self, lib.pyacq_chunk_release, pointer)


class _Receiver:
    """What pyacq code reads of an InputStream's ``receiver``."""

    def __init__(self, buffer):
        self.buffer = buffer


def _poll_status(handle, ms, ready):
    """pyacq_input_poll as a status where "not ready" counts as a timeout (for _sliced)."""
    status = lib.pyacq_input_poll(handle, ms, ctypes.byref(ready))
    if status == 0 and not ready.value:
        return _TIMEOUT
    return status

