"""The original pyacq's BrainAmpSocket and OpenBCI nodes read `pyacq simulate brainamp` and
`pyacq simulate openbci`: the simulators speak the real protocols. Run on request, with
PYACQ_REFERENCE_PYTHON=<python of an original pyacq install, e.g. one made by
shared/tools/setup_pyacq_reference.sh, plus pyserial> and a built `pyacq` tool; skipped, saying
why, otherwise.
Where the original node is buggy (PROTOCOL §14.4) the test pins what differs."""
import json
import os
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
# Opt-in: the original pyacq's own serial loop can stall on a loaded machine, so these checks run
# when asked for, against the python of an original pyacq install (+ pyserial for OpenBCI).
REFERENCE = os.environ.get("PYACQ_REFERENCE_PYTHON", "")
TOOLS = [os.path.join(REPO, p, "pyacq") for p in ("build/bin", ".build-lib/release", ".build/debug")]
TOOL = next((t for t in TOOLS if os.access(t, os.X_OK)), None)

pytestmark = [
    pytest.mark.skipif(not REFERENCE or not os.access(REFERENCE, os.X_OK),
                       reason="reference checks: set PYACQ_REFERENCE_PYTHON to the python of an original pyacq install"),
    pytest.mark.skipif(TOOL is None, reason="pyacq tool not built (make lib)"),
]


def run_reference(script, *args):
    out = subprocess.run([REFERENCE, os.path.join(HERE, "reference", script), TOOL, *args],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_original(dtype, fragment=0):
    return run_reference("original_brainamp_reader.py", dtype, str(fragment))


def test_original_reads_float32_samples_and_markers():
    got = run_original("float32")
    assert got["samples"] >= 500 and got["equal"]
    assert got["names"] == ["Ch1", "Ch2"] and got["rate"] == 1000.0
    assert got["resolutions"] == pytest.approx([0.1, 0.2, 0.3])
    # Its quirk: trigger index = markers in this block (0 or 1 here), not cumulative.
    with_markers = [c for c in got["marker_chunks"] if c[1]]
    assert with_markers[0] == [1, [[37, "Stimulus", "S  1"]]]
    assert with_markers[1] == [1, [[74, "Stimulus", "S  2"]]]


def test_original_ignores_int16_data():
    assert run_original("int16")["samples"] == 0



def reference_has(module):
    return subprocess.run([REFERENCE, "-c", f"import {module}"], capture_output=True).returncode == 0


@pytest.mark.skipif(os.access(REFERENCE, os.X_OK) and not reference_has("serial"),
                    reason="the reference pyacq install has no pyserial (pip install pyserial into it)")
def test_original_openbci_reads_packets_except_its_sign_quirk():
    got = run_reference("original_openbci_reader.py")
    assert got["rows"] >= 300 and got["dtype"] == "int64"
    # Every row matches except those whose first byte is 0x7F: pyacq sign-extends from 127.
    assert got["wrong_rows"][:3] == [5, 21, 37] and got["wrong_rows_all_0x7f"]
    assert got["difference"] == -(1 << 24)
