"""The acceptance import hook (tests/python/pyacq_as_libpyacq.py): with it, `import pyacq` and
pyacq's module paths are libpyacq's modules, a path libpyacq lacks fails to import, and pyacq's
own test packages load from a source tree. Run in a child process so this one keeps its
modules."""

import os
import subprocess
import sys
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))

CHILD = textwrap.dedent("""
    import os, sys
    import pyacq_as_libpyacq                         # installs the hook
    import libpyacq
    import pyacq
    from pyacq import NumpyDeviceBuffer, create_manager
    from pyacq.core.rpc.serializer import JsonSerializer
    from pyacq.dsp.sosfilter import SosFilter
    import pyacq.core.stream.sharedarray as sharedarray
    assert pyacq is libpyacq and NumpyDeviceBuffer is libpyacq.NumpyDeviceBuffer
    assert SosFilter is libpyacq.SosFilter and JsonSerializer is libpyacq.JsonSerializer
    assert sys.modules["pyacq.core.stream.sharedarray"] is libpyacq.core.stream.sharedarray is sharedarray
    assert sharedarray.__spec__.name == "libpyacq.core.stream.sharedarray"   # the alias keeps its own spec
    try:
        import pyacq.devices.audio_pyaudio
    except ModuleNotFoundError as exc:
        assert "pyacq.devices.audio_pyaudio" in str(exc)
    else:
        raise AssertionError("pyacq.devices.audio_pyaudio must not import")
    from pyacq.core.tests.helpers_for_hook import VALUE   # a test package of the source tree
    assert VALUE == 42
    print("hook ok")
""")


def test_import_hook_maps_pyacq_to_libpyacq(tmp_path):
    tests = tmp_path / "pyacq" / "core" / "tests"
    tests.mkdir(parents=True)
    (tests / "helpers_for_hook.py").write_text("from pyacq import SosFilter\nVALUE = 42\n")
    env = dict(os.environ, PYACQ_SOURCE=str(tmp_path),
               PYTHONPATH=os.pathsep.join([HERE, os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "hook ok"
