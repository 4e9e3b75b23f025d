"""Test setup for tests/python.

* Makes the `specpeer` package (tests/python/specpeer) importable.
* Makes the `libpyacq` binding importable without `pip install`: bindings/python goes on
  sys.path, and LIBPYACQ_PATH points at the repository's build/lib (from `make lib`) unless it
  is already set.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BINDING = os.path.join(REPO, "bindings", "python")

for path in (BINDING, HERE):
    if path not in sys.path:
        sys.path.insert(0, path)

os.environ.setdefault("LIBPYACQ_PATH", os.path.join(REPO, "build", "lib"))
