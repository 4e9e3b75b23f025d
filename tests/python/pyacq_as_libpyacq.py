"""Acceptance run: the original pyacq's own test modules, unchanged, with ``import pyacq``
resolved to ``libpyacq``.

Imported (e.g. as the pytest plugin ``-p pyacq_as_libpyacq``) it installs a meta path finder:
``pyacq`` and ``pyacq.<path>`` are the modules ``libpyacq`` and ``libpyacq.<path>`` (the same
module objects); only pyacq's own test packages (``pyacq.<...>.tests``: fakenodes and the test
modules) are loaded from the original source tree, so every pyacq name a test uses comes from
libpyacq. A module libpyacq lacks (e.g. ``pyacq.devices.audio_pyaudio``) fails to import, as it should.

Run as a script it runs each module in its own pytest process and prints a table::

    python3 tests/python/pyacq_as_libpyacq.py [--src /tmp/pyacq-src] [--timeout 120] [module ...]

(modules as paths relative to ``<src>/pyacq``, default: the core, rpc, stream, dsp, rec and
npbufferdevice test modules). Qt-based tests need PyQt5 + pyqtgraph in the interpreter; they
run headless (QT_QPA_PLATFORM=offscreen). This is a manual/report step, not part of the suite:
it needs the original pyacq's source tree, which the repository must not contain.
"""

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BINDING = os.path.join(REPO, "bindings", "python")
SOURCE = os.environ.get("PYACQ_SOURCE", "/tmp/pyacq-src")

DEFAULT_MODULES = [
    "core/rpc/tests/test_rpc.py", "core/rpc/tests/test_serializer.py", "core/rpc/tests/test_spawner.py",
    "core/stream/tests/test_stream.py", "core/stream/tests/test_ringbuffer.py", "core/stream/tests/test_sharedarray.py",
    "core/tests/test_host.py", "core/tests/test_nodegroup.py", "core/tests/test_manager.py",
    "core/tests/test_node.py", "core/tests/test_tools.py",
    "dsp/tests/test_sosfilter.py", "dsp/tests/test_overlapfiltfilt.py", "dsp/tests/test_trigger.py",
    "dsp/tests/test_triggeraccumulator.py", "rec/tests/test_rawrecorder.py", "devices/tests/test_npbufferdevice.py",
]


class _AliasLoader(importlib.abc.Loader):
    """Loads ``pyacq.<path>`` as the already imported module ``libpyacq.<path>``."""

    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        module = importlib.import_module(self.target)
        self._own_spec = module.__spec__
        return module

    def exec_module(self, module):
        module.__spec__ = self._own_spec  # the import system set it to the alias's spec


class PyacqToLibpyacq(importlib.abc.MetaPathFinder):
    def __init__(self, source=SOURCE):
        self.source = source

    def find_spec(self, fullname, path=None, target=None):
        parts = fullname.split(".")
        if parts[0] != "pyacq":
            return None
        if "tests" in parts[1:]:
            return self._source_spec(fullname, parts)
        alias = ".".join(["libpyacq"] + parts[1:])
        if importlib.util.find_spec(alias) is None:
            return None  # -> ModuleNotFoundError: No module named 'pyacq.devices.audio_pyaudio'
        is_package = hasattr(importlib.import_module(alias), "__path__")
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(alias), is_package=is_package)

    def _source_spec(self, fullname, parts):
        base = os.path.join(self.source, *parts)
        if os.path.isdir(base):  # pyacq's test folders have no __init__.py
            init = os.path.join(base, "__init__.py")
            if os.path.exists(init):
                return importlib.util.spec_from_file_location(fullname, init, submodule_search_locations=[base])
            spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
            spec.submodule_search_locations = [base]
            return spec
        if os.path.exists(base + ".py"):
            return importlib.util.spec_from_file_location(fullname, base + ".py")
        return None


def install(source=SOURCE):
    """Makes `import pyacq` mean libpyacq in this process (idempotent)."""
    if BINDING not in sys.path:
        sys.path.insert(0, BINDING)
    os.environ.setdefault("LIBPYACQ_PATH", os.path.join(REPO, "build", "lib"))
    if not any(isinstance(f, PyacqToLibpyacq) for f in sys.meta_path):
        for name in [n for n in sys.modules if n == "pyacq" or n.startswith("pyacq.")]:
            del sys.modules[name]  # an original pyacq imported earlier must not shadow the alias
        sys.meta_path.insert(0, PyacqToLibpyacq(source))


if __name__ != "__main__":
    install()


# ----------------------------------------------------------------------------- report script

_COUNT = re.compile(r"(\d+) (passed|failed|error|errors|skipped|xfailed|xpassed)")


def run_module(relative, source, timeout):
    """(counts dict, short reasons, output tail) of one test module run in its own pytest."""
    path = os.path.join(source, "pyacq", relative)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([HERE, BINDING, os.environ.get("PYTHONPATH", "")]),
               QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"), PYACQ_SOURCE=source,
               LIBPYACQ_CHILD_IMPORTS="pyacq_as_libpyacq")  # spawned Python children resolve pyacq the same way
    env.setdefault("LIBPYACQ_PATH", os.path.join(REPO, "build", "lib"))
    command = [sys.executable, "-m", "pytest", "-q", "-rfE", "-p", "pyacq_as_libpyacq", "-p", "no:cacheprovider",
               "--rootdir", os.path.dirname(path), path]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, cwd="/tmp")
        output = done.stdout + done.stderr
    except subprocess.TimeoutExpired as exc:
        output = exc.stdout.decode("utf-8", "replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return {"timeout": 1}, ["timed out after %d s" % timeout], output[-2000:]
    summaries = [line for line in output.splitlines() if _COUNT.search(line) and " in " in line]
    summary = summaries[-1] if summaries else ""  # (a test's threads may print after pytest's summary)
    counts = {kind.rstrip("s") if kind == "errors" else kind: int(n) for n, kind in _COUNT.findall(summary)}
    reasons = [line for line in output.splitlines() if line.startswith(("FAILED", "ERROR"))]
    return counts, reasons, output[-3000:]


def main(argv):
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", default=SOURCE, help="the original pyacq's source tree")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per module")
    parser.add_argument("--verbose", action="store_true", help="print each module's output tail")
    parser.add_argument("modules", nargs="*", default=DEFAULT_MODULES)
    args = parser.parse_args(argv)
    if not os.path.isdir(os.path.join(args.src, "pyacq")):
        sys.exit("no pyacq source tree at %s (set --src)" % args.src)
    total = {}
    for relative in args.modules:
        counts, reasons, tail = run_module(relative, args.src, args.timeout)
        for kind, n in counts.items():
            total[kind] = total.get(kind, 0) + n
        print("%-45s %s" % (relative, ", ".join("%d %s" % (n, k) for k, n in sorted(counts.items())) or "no result"))
        for reason in reasons:
            print("    " + reason[:300])
        if args.verbose or not counts:
            print("    | " + "\n    | ".join(tail.strip().splitlines()[-15:]))
    print("total: " + ", ".join("%d %s" % (n, k) for k, n in sorted(total.items())))


if __name__ == "__main__":
    main(sys.argv[1:])
