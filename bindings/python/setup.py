"""Bundles the libpyacq shared library and the pyacq-nodegroup executable into the package.

`pip install ./bindings/python` (after `make lib`) copies ../../build/lib/libpyacq.so.0 (the real
file behind the symlink) into the package folder, where libpyacq/_capi.py looks for it, and
../../build/bin/pyacq-nodegroup next to it: the library spawns node group processes with the
`pyacq-nodegroup` found next to itself (create_manager / create_nodegroup need it). Point
LIBPYACQ_BUILD_LIB at another directory or file to bundle another build (the executable is then
looked for in that directory, its ../bin, or at LIBPYACQ_BUILD_NODEGROUP); set
LIBPYACQ_NO_BUNDLE=1 to build a package without them (it then uses LIBPYACQ_PATH or the
system's libpyacq, and PYACQ_NODEGROUP_EXECUTABLE or a pyacq-nodegroup installed next to it).
"""

import glob
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_LIB_DIR = os.path.join(HERE, "..", "..", "build", "lib")
DEFAULT_BIN_DIR = os.path.join(HERE, "..", "..", "build", "bin")
SONAME = "libpyacq.so.0"
NODEGROUP = "pyacq-nodegroup"


def find_library():
    where = os.environ.get("LIBPYACQ_BUILD_LIB") or DEFAULT_LIB_DIR
    if os.path.isfile(where):
        return where
    for pattern in (SONAME, SONAME + ".*"):
        matches = sorted(glob.glob(os.path.join(where, pattern)))
        if matches:
            return matches[0]
    return None


def find_nodegroup(library):
    """The pyacq-nodegroup executable that goes with `library`."""
    explicit = os.environ.get("LIBPYACQ_BUILD_NODEGROUP")
    if explicit:
        return explicit if os.path.isfile(explicit) else None
    library_dir = os.path.dirname(os.path.abspath(library))
    for candidate in (os.path.join(library_dir, NODEGROUP), os.path.join(library_dir, "..", "bin", NODEGROUP),
                      os.path.join(DEFAULT_BIN_DIR, NODEGROUP)):
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


class BuildPyWithLibrary(build_py):
    def run(self):
        super().run()
        if os.environ.get("LIBPYACQ_NO_BUNDLE"):
            return
        source = find_library()
        if source is None:
            raise SystemExit(
                "libpyacq: no %s* in %s. Run `make lib` at the repository root first, set "
                "LIBPYACQ_BUILD_LIB to the library, or LIBPYACQ_NO_BUNDLE=1 to use a system libpyacq."
                % (SONAME, os.path.abspath(os.environ.get("LIBPYACQ_BUILD_LIB") or DEFAULT_LIB_DIR)))
        target = os.path.join(self.build_lib, "libpyacq", SONAME)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(source, target)  # follows the symlink chain: one real file
        os.chmod(target, 0o755)
        executable = find_nodegroup(source)
        if executable is None:
            raise SystemExit(
                "libpyacq: no %s next to %s (or in ../bin). Run `make lib` at the repository root (it "
                "builds build/bin/%s) or set LIBPYACQ_BUILD_NODEGROUP to the executable."
                % (NODEGROUP, source, NODEGROUP))
        target = os.path.join(self.build_lib, "libpyacq", NODEGROUP)
        shutil.copyfile(executable, target)
        os.chmod(target, 0o755)


class BinaryDistribution(Distribution):
    """The wheel carries a native library: platform-specific, not pure."""

    def has_ext_modules(self):
        return not os.environ.get("LIBPYACQ_NO_BUNDLE")


cmdclass = {"build_py": BuildPyWithLibrary}
try:
    from wheel.bdist_wheel import bdist_wheel

    class PlatformWheel(bdist_wheel):
        """py3-none-<platform>: ctypes needs no particular CPython ABI."""

        def get_tag(self):
            _, _, platform = super().get_tag()
            return "py3", "none", platform

    cmdclass["bdist_wheel"] = PlatformWheel
except ImportError:  # building without wheel (e.g. setup.py build)
    pass

setup(cmdclass=cmdclass, distclass=BinaryDistribution)
