#!/usr/bin/env python3
"""Executable bootstrap stand-in: give this file as `executable` to a spawner that
runs `[executable, "-m", "pyacq.core.rpc.bootstrap", name]` (PROTOCOL.md §5.4).

It puts tests/python on sys.path and runs specpeer.bootstrap.main, which skips
the `-m pyacq.core.rpc.bootstrap` pair and takes the next argument as name.
"""

import os
import sys

if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    sys.path.insert(0, os.path.dirname(here))
    from specpeer.bootstrap import main

    sys.exit(main())
