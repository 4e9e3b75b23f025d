"""The spec's test vectors for test_rpc_peer.py and test_specpeer_vectors.py: where they are
($PYACQ_SPEC_VECTORS, default /work/shared/spec/vectors) and how a test reads one file."""

import json
import os

import pytest

VECTORS = os.environ.get("PYACQ_SPEC_VECTORS", "/work/shared/spec/vectors")


def skip_module_without_vectors():
    """Called at a test module's top level: skips the whole module when the vectors are not
    there."""
    if not os.path.isdir(VECTORS):
        pytest.skip(f"spec vectors not found in {VECTORS}", allow_module_level=True)


def load_vectors(name):
    with open(os.path.join(VECTORS, name)) as handle:
        return json.load(handle)
