"""Blocking C ABI calls done in short slices, so that long or infinite waits can still be
interrupted (Ctrl-C) from Python."""

import time

__all__ = ["TIMEOUT_STATUS", "SLICE_MS", "sliced"]

TIMEOUT_STATUS = -5  # PYACQ_ERR_TIMEOUT
SLICE_MS = 100  # longest single blocking call, so KeyboardInterrupt gets through


def sliced(call, total_ms):
    """Runs `call(ms)` until it returns something else than PYACQ_ERR_TIMEOUT or `total_ms`
    milliseconds (-1 = forever) have passed; returns the last status."""
    if 0 <= total_ms <= SLICE_MS:
        return call(total_ms)
    deadline = None if total_ms < 0 else time.monotonic() + total_ms / 1000.0
    while True:
        if deadline is None:
            ms = SLICE_MS
        else:
            ms = max(0, min(SLICE_MS, int((deadline - time.monotonic()) * 1000.0 + 0.5)))
        status = call(ms)
        if status != TIMEOUT_STATUS or (deadline is not None and time.monotonic() >= deadline):
            return status
