#!/usr/bin/env python3
"""Executable Python node group child: give this file as `executable` to a Host that runs
`[executable, "-m", "pyacq.core.rpc.bootstrap", name]` (PROTOCOL.md §5.4), e.g. the Swift
`pyacq-host` (`create_nodegroup(name, executable=<this file>)`). It puts tests/python on
sys.path and runs specpeer.nodegroup_peer.main (the spec-peer bootstrap child with a
pure-Python `pyacq.core.nodegroup`).
"""

import os
import sys

if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    sys.path.insert(0, os.path.dirname(here))
    from specpeer.nodegroup_peer import main

    sys.exit(main())
