"""Time across processes and hosts: the stream clock, per-chunk timestamps and clock offsets.

A timestamp is seconds on a process's *stream clock* (CLOCK_MONOTONIC, the clock of
``time.perf_counter`` on Linux, plus the test knob ``PYACQ_CLOCK_OFFSET_NS``) of a chunk's last
sample. Between libpyacq peers every chunk carries its producer's timestamp; an InputStream maps
it onto its own clock with the producer's estimated clock offset.
"""

import collections
import ctypes
import json
import os

import numpy as np

from . import _capi
from ._capi import check, lib, timeout_ms

__all__ = ["ClockOffset", "clock_now", "read_timestamps"]


#: offset = peer clock - local clock (a peer time t is t - offset here); the truth lies within
#: offset +- uncertainty (half the shortest probe's round trip); measured_at on the local clock.
ClockOffset = collections.namedtuple("ClockOffset", "offset uncertainty round_trip measured_at probes")


def clock_now():
    """Seconds on this process's stream clock."""
    out = ctypes.c_double()
    check(lib.pyacq_clock_now(ctypes.byref(out)))
    return out.value


def _stamp(timestamp):
    return float("nan") if timestamp is None else float(timestamp)


def send_stamped(handle, chunk, index, timestamp, context):
    check(lib.pyacq_output_send_stamped(handle, chunk.pointer, chunk.dtype, chunk.ndim, chunk.shape, chunk.strides,
                                        index, _stamp(timestamp)), context)


def commit_stamped(handle, timestamp, context):
    check(lib.pyacq_output_commit_stamped(handle, _stamp(timestamp)), context)


def last_timestamp(handle, context):
    """(local, raw) of the last received chunk."""
    local, raw = ctypes.c_double(), ctypes.c_double()
    check(lib.pyacq_input_last_timestamp(handle, ctypes.byref(local), ctypes.byref(raw)), context)
    return local.value, raw.value


def _offset(out):
    return ClockOffset(out.offset, out.uncertainty, out.round_trip, out.measured_at, out.probes)


def input_clock_offset(handle, timeout, context):
    out = _capi.pyacq_clock_offset()
    check(lib.pyacq_input_clock_offset(handle, timeout_ms(timeout), ctypes.byref(out)), context)
    return _offset(out)


def rpc_clock_offset(handle, probes, ms, context):
    out = _capi.pyacq_clock_offset()
    check(lib.pyacq_rpc_client_clock_offset(handle, int(probes), ms, ctypes.byref(out)), context)
    return _offset(out)


#: One record of ``<stream>_timestamps.raw``.
TIMESTAMP_DTYPE = np.dtype([("index", "<i8"), ("timestamp", "<f8"), ("raw_timestamp", "<f8")])


def read_timestamps(dirname, stream):
    """The timestamps a RawRecorder kept for `stream` in `dirname`: ``(records, clock_offsets)``
    with records a structured array (index after each chunk, time of its last sample on the
    recorder's clock, the producer's own stamp) and clock_offsets the list of estimates in
    force while recording. Raises FileNotFoundError when the stream was not stamped."""
    with open(os.path.join(dirname, "stream_properties.json")) as f:
        entry = json.load(f)[stream]
    info = entry.get("timestamps")
    if not info:
        raise FileNotFoundError("stream %r of %s has no timestamps (its producer did not stamp chunks)" % (stream, dirname))
    dtype = np.dtype([(name, code) for name, code in info["dtype"]])
    records = np.fromfile(os.path.join(dirname, info["file"]), dtype=dtype)
    return records, entry.get("clock_offsets", [])
