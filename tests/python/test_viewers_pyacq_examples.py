"""The original pyacq's viewer examples (oscilloscope, triggered oscilloscope, time-frequency)
run unchanged with ``import pyacq`` meaning libpyacq and draw the (simulated) sound: see
run_pyacq_example.py. They are read from the original pyacq's source tree (PYACQ_SOURCE,
default /tmp/pyacq-src), which the repository does not contain."""

import json
import os
import subprocess
import sys

import pytest

import viewer_support as vs

SOURCE = os.environ.get("PYACQ_SOURCE", "/tmp/pyacq-src")
RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run_pyacq_example.py")


def run_example(name, seconds=4.):
    path = os.path.join(SOURCE, "examples", name)
    if not os.path.isfile(path):
        pytest.skip("the original pyacq's examples are not at %s (set PYACQ_SOURCE)" % path)
    os.makedirs(vs.SCREENSHOTS, exist_ok=True)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYACQ_SOURCE=SOURCE,
               PYTHONPATH=os.path.join(vs.REPO, "bindings", "python"),
               LIBPYACQ_PATH=os.environ.get("LIBPYACQ_PATH", os.path.join(vs.REPO, "build", "lib")))
    prefix = os.path.join(vs.SCREENSHOTS, "pyacq_example_" + name[:-3])
    done = subprocess.run([sys.executable, RUNNER, path, str(seconds), prefix], env=env, capture_output=True,
                          text=True, timeout=120, cwd="/tmp")
    lines = [l for l in done.stdout.splitlines() if l.startswith("example-result: ")]
    assert done.returncode == 0 and lines, (done.stdout + done.stderr)[-3000:]
    return json.loads(lines[-1].split(": ", 1)[1])


def test_oscilloscope_example():
    result = run_example("pyaudio_oscope_local.py")
    scope = result["QOscilloscope"]
    assert scope["running"]   # gain 0.001 × the sound (peaks near ±10000): about 20 peak to peak
    assert scope["ptp"] == pytest.approx(20., rel=0.1)


def test_triggered_oscilloscope_example():
    result = run_example("pyaudio_triggerscope.py")
    assert result["QTriggeredOscilloscope"]["running"] and result["QTriggeredOscilloscope"]["total_trig"] > 3


def test_time_frequency_example():
    result = run_example("pyaudio_tfr.py", seconds=5.)
    assert result["QTimeFreq"]["running"] and result["QTimeFreq"]["map_max"] > 0
