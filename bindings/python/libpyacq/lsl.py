"""A bridge to Lab Streaming Layer: ``LSLInlet`` (an LSL stream -> a pyacq output stream with
timestamps) and ``LSLOutlet`` (a pyacq stream -> an LSL outlet with timestamps and metadata).

Both are Python nodes over ``pylsl`` (whose wheel ships liblsl): they live in the process that
creates them, like every libpyacq Python node, and connect to nodes anywhere.

Clocks: LSL stamps samples with ``local_clock()`` (the monotonic clock); LSLInlet adds the
inlet's ``time_correction()`` (refreshed every second) to map a remote outlet's stamps onto this
machine's local_clock. libpyacq's
stream clock is the same monotonic clock (plus the PYACQ_CLOCK_OFFSET_NS test knob), so the
bridge converts with the difference of the two clocks, measured once per node.
"""

import threading

import numpy as np

from .node import Node, register_node_type
from .errors import ClosedError, InvalidArgument, PyAcqTimeout, StateError
from . import timing

__all__ = ["LSLInlet", "LSLOutlet"]


def _pylsl():
    try:
        import pylsl
    except ImportError as exc:  # pragma: no cover - the install scripts provide it
        raise ImportError("the LSL bridge needs pylsl (pip install pylsl; its wheel ships liblsl): %s" % exc) from None
    return pylsl


# LSL channel formats <-> numpy dtypes (strings are not signals).
_FORMATS = {"float32": 1, "float64": 2, "int32": 4, "int16": 5, "int8": 6, "int64": 7}
_DTYPES = {code: name for name, code in _FORMATS.items()}


def _clock_delta(pylsl):
    """libpyacq stream clock - LSL local_clock, from the tightest of a few paired readings."""
    best = None
    for _ in range(16):
        a = timing.clock_now()
        lsl = pylsl.local_clock()
        b = timing.clock_now()
        if best is None or b - a < best[0]:
            best = (b - a, (a + b) / 2 - lsl)
    return best[1]


def _channel_names(info):
    """Labels from the LSL description's channels/channel/label, '' when absent."""
    names = []
    channel = info.desc().child("channels").child("channel")
    for _ in range(info.channel_count()):
        names.append(channel.child_value("label") if not channel.empty() else "")
        channel = channel.next_sibling() if not channel.empty() else channel
    return names


class LSLInlet(Node):
    """Reads an LSL stream found by ``name``, ``type`` and/or ``source_id`` (all given ones
    must match) and publishes it on ``signals``: dtype from the channel format, shape
    (-1, channel_count), sample_rate = nominal rate, channel_info from the channel labels,
    each chunk stamped with its last sample's LSL time mapped onto the stream clock."""

    _output_specs = {"signals": dict(streamtype="analogsignal")}

    def _configure(self, name=None, type=None, source_id=None, resolve_timeout=5.0, max_chunk=1024, max_buflen=360):
        pylsl = _pylsl()
        clauses = ["%s='%s'" % (key, value) for key, value in (("name", name), ("type", type), ("source_id", source_id))
                   if value is not None]
        if not clauses:
            raise InvalidArgument("LSLInlet needs name, type or source_id to find the LSL stream")
        found = pylsl.resolve_bypred(" and ".join(clauses), 1, resolve_timeout)
        if not found:
            raise PyAcqTimeout("no LSL stream with %s appeared within %s s" % (" and ".join(clauses), resolve_timeout))
        self.info = found[0]
        code = self.info.channel_format()
        if code not in _DTYPES:
            raise InvalidArgument("LSL stream %r has channel format %d; the bridge carries numeric channels only"
                                  % (self.info.name(), code))
        self.max_chunk = int(max_chunk)
        self.dtype = np.dtype(_DTYPES[code])
        # The full description (channel labels) comes from the outlet itself.
        # No proc_clocksync: liblsl would correct every sample (half the throughput); only the
        # last sample's stamp of a chunk is used, corrected here with time_correction().
        self.inlet = pylsl.StreamInlet(self.info, max_buflen=max_buflen, max_chunklen=self.max_chunk)
        self._names = _channel_names(self.inlet.info(timeout=resolve_timeout))
        self.output.spec.update(dtype=self.dtype.name, shape=(-1, self.info.channel_count()),
                                sample_rate=float(self.info.nominal_srate()))

    def after_output_configure(self, outputname):
        self.output.params["channel_info"] = [{"name": n} for n in self._names]
        self.output.params["lsl"] = {"name": self.info.name(), "type": self.info.type(),
                                     "source_id": self.info.source_id()}

    def _initialize(self):
        self.delta = _clock_delta(_pylsl())
        self.buffer = np.empty((self.max_chunk, self.info.channel_count()), dtype=self.dtype)
        self.head = 0

    def _start(self):
        self._running = True
        self.inlet.open_stream(timeout=5.0)
        self._thread = threading.Thread(target=self._run, name="LSLInlet", daemon=True)
        self._thread.start()

    #: Seconds between refreshes of LSL's clock correction for the outlet's host.
    CORRECTION_PERIOD = 1.0

    def _run(self):
        correction = self.inlet.time_correction(timeout=5.0)
        refreshed = timing.clock_now()
        while self._running:
            _, stamps = self.inlet.pull_chunk(timeout=0.1, max_samples=self.max_chunk, dest_obj=self.buffer)
            n = len(stamps)
            if not n:
                continue
            if timing.clock_now() - refreshed > self.CORRECTION_PERIOD:
                correction = self.inlet.time_correction(timeout=5.0)
                refreshed = timing.clock_now()
            self.head += n
            self.output.send(self.buffer[:n], index=self.head, timestamp=stamps[-1] + correction + self.delta)

    def _stop(self):
        self._running = False
        self._thread.join()

    def _close(self):
        self.inlet.close_stream()


class LSLOutlet(Node):
    """Publishes its ``signals`` input as an LSL outlet ``name`` (type, source_id): channel
    count, nominal rate, numeric format and channel labels (channel_info) in the stream
    metadata; each chunk's last sample is stamped with the chunk's timestamp (received from
    a stamping libpyacq producer) on LSL's clock, or at push when the producer does not stamp."""

    _input_specs = {"signals": {}}

    def _configure(self, name="pyacq", type="EEG", source_id="", chunk_size=0, max_buffered=360):
        self.lsl_name, self.lsl_type, self.source_id = name, type, source_id
        self.chunk_size, self.max_buffered = int(chunk_size), max_buffered

    def _initialize(self):
        pylsl = _pylsl()
        params = self.input.params
        shape = params["shape"]
        if len(shape) != 2:
            raise InvalidArgument("LSLOutlet publishes 2-D (samples, channels) streams, got shape %s" % (shape,))
        dtype = np.dtype(self.input.dtype)
        if dtype.name not in _FORMATS:
            raise InvalidArgument("LSL has no channel format for dtype %s (use %s)" % (dtype, ", ".join(_FORMATS)))
        rate = float(params.get("sample_rate") or 0.0)
        info = pylsl.StreamInfo(self.lsl_name, self.lsl_type, int(shape[1]), rate, _FORMATS[dtype.name],
                                self.source_id)
        channels = info.desc().append_child("channels")
        for i, channel in enumerate(params.get("channel_info") or [{} for _ in range(shape[1])]):
            node = channels.append_child("channel")
            node.append_child_value("label", str(channel.get("name", "ch%d" % i)))
        info.desc().append_child_value("manufacturer", "libpyacq")
        self.outlet = pylsl.StreamOutlet(info, self.chunk_size, self.max_buffered)
        self.delta = _clock_delta(pylsl)

    def _start(self):
        self._running = True
        self._thread = threading.Thread(target=self._run, name="LSLOutlet", daemon=True)
        self._thread.start()

    def _run(self):
        stream = self.input
        while self._running:
            try:
                _, data = stream.recv(timeout=0.1)
                # Chunks already queued go out in one push (LSL derives the earlier samples'
                # stamps from the rate): one liblsl call instead of one per small chunk.
                parts = [data]
                rows = len(data)
                while rows < self.MAX_PUSH and stream.poll(0):
                    _, data = stream.recv(timeout=0)
                    parts.append(data)
                    rows += len(data)
                stamp = self._lsl_stamp(stream)
                self.outlet.push_chunk(parts[0] if len(parts) == 1 else np.concatenate(parts), timestamp=stamp)
            except PyAcqTimeout:
                continue
            except ClosedError:
                return

    #: Most samples gathered into one push.
    MAX_PUSH = 4096

    def _lsl_stamp(self, stream):
        """The last received chunk's time on LSL's clock; 0 (stamp at push) when unknown."""
        try:
            stamp = stream.last_timestamp - self.delta
        except StateError:  # an unstamped producer (an original pyacq output)
            return 0.0
        return 0.0 if stamp != stamp else stamp

    def _stop(self):
        self._running = False
        self._thread.join()

    def _close(self):
        del self.outlet


register_node_type(LSLInlet)
register_node_type(LSLOutlet)
