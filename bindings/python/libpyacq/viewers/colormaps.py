"""Lookup tables for the scalogram images (no matplotlib needed)."""

import numpy as np

from ._qt import pg

_STOPS = {
    "gray": [(0, (0, 0, 0)), (1, (255, 255, 255))],
    "hot": [(0, (0, 0, 0)), (0.375, (255, 0, 0)), (0.75, (255, 255, 0)), (1, (255, 255, 255))],
    "jet": [(0, (0, 0, 128)), (0.125, (0, 0, 255)), (0.375, (0, 255, 255)), (0.625, (255, 255, 0)),
            (0.875, (255, 0, 0)), (1, (128, 0, 0))],
}


def lookup_table(name, n=512):
    """(n, 4) uint8 RGBA table of colormap `name` (viridis, jet, gray, hot, or any pyqtgraph map)."""
    if name in _STOPS:
        positions, colors = zip(*_STOPS[name])
        cmap = pg.ColorMap(np.array(positions), np.array([c + (255,) for c in colors], dtype=np.ubyte))
    else:
        cmap = pg.colormap.get(name)
    return cmap.getLookupTable(0., 1., n, alpha=True)
