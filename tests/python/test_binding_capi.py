"""libpyacq binding: library lookup, ABI check, ctypes declarations and the status check."""

import ctypes
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import libpyacq
from binding_support import ALL_DTYPES, subprocess_env
from libpyacq import _capi, errors
from libpyacq._capi import check, lib

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HEADER = os.path.join(REPO, "include", "pyacq.h")
BUILD_LIB = os.path.join(REPO, "build", "lib")


def header_functions():
    with open(HEADER) as handle:
        text = handle.read()
    return set(re.findall(r"PYACQ_API[^;(]*?\b(pyacq_\w+)\s*\(", text))


def test_every_header_function_is_declared_once_with_types():
    """The binding declares the whole C ABI (streams, ring buffers, RPC, managers, nodes)."""
    declared = set(_capi._PROTOTYPES)
    assert declared == header_functions()
    for name in declared:
        function = getattr(lib, name)
        assert function.argtypes is not None, name


def test_view_struct_matches_the_header():
    assert _capi.MAX_NDIM == 32
    assert ctypes.sizeof(_capi.pyacq_view) == 8 + 4 + 4 + 2 * 8 * 32
    assert _capi.pyacq_view.shape.offset == 16


def test_library_is_loaded_with_cdll_and_abi_checked():
    assert isinstance(lib, ctypes.CDLL) and not isinstance(lib, ctypes.PyDLL)
    assert lib.pyacq_abi_version() == libpyacq.ABI_VERSION == 0
    assert libpyacq.library_version() == "0.2.0"
    assert lib.pyacq_version_number() == _capi.VERSION_NUMBER == 200


def test_abi_mismatch_is_refused(monkeypatch):
    monkeypatch.setattr(_capi, "ABI_VERSION", 7)
    with pytest.raises(libpyacq.LibraryError, match=r"\(ABI 0\) but this binding is written for .*\(ABI 7\)") as info:
        _capi._check_abi()
    assert isinstance(info.value, ImportError)


def test_minor_version_mismatch_is_refused(monkeypatch):
    # While the major version is 0, a minor release changes the ABI: 0.2 refuses a 0.1 binding.
    monkeypatch.setattr(_capi, "VERSION_NUMBER", 100)
    with pytest.raises(libpyacq.LibraryError, match=r"libpyacq 0\.2\.0 .* written for libpyacq 0\.1"):
        _capi._check_abi()


def run_import(env_path, cwd=None):
    env = subprocess_env()
    env.pop("LIBPYACQ_PATH", None)
    if env_path is not None:
        env["LIBPYACQ_PATH"] = env_path
    code = "import libpyacq; print(libpyacq.library_path)"
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd or REPO, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("form", ["directory", "file"])
def test_lookup_from_libpyacq_path(form):
    path = BUILD_LIB if form == "directory" else os.path.join(BUILD_LIB, "libpyacq.so.0")
    result = run_import(path)
    assert result.returncode == 0, result.stderr
    assert os.path.realpath(result.stdout.strip()) == os.path.realpath(os.path.join(BUILD_LIB, "libpyacq.so.0"))


def test_bad_libpyacq_path_is_a_clear_error(tmp_path):
    result = run_import(str(tmp_path / "nothing-here"))
    assert result.returncode != 0
    assert "LibraryError" in result.stderr and "LIBPYACQ_PATH" in result.stderr


def test_lookup_in_the_package_folder(tmp_path):
    """A copy of the package with the library inside it (what `pip install` produces) loads
    that library when LIBPYACQ_PATH is not set."""
    import shutil
    package = tmp_path / "site" / "libpyacq"
    shutil.copytree(os.path.join(REPO, "bindings", "python", "libpyacq"), package,
                    ignore=shutil.ignore_patterns("__pycache__", "libpyacq.so*"))
    shutil.copyfile(os.path.join(BUILD_LIB, "libpyacq.so.0"), package / "libpyacq.so.0")
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "site"))
    env.pop("LIBPYACQ_PATH", None)
    result = subprocess.run([sys.executable, "-c", "import libpyacq; print(libpyacq.library_path)"],
                            env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(package / "libpyacq.so.0")


# ------------------------------------------------------------------ check()

@pytest.mark.parametrize("status, cls, builtin", [
    (-1, libpyacq.InvalidArgument, ValueError),
    (-2, libpyacq.ParamsError, ValueError),
    (-3, libpyacq.DTypeError, TypeError),
    (-4, libpyacq.StateError, RuntimeError),
    (-5, libpyacq.PyAcqTimeout, TimeoutError),
    (-6, libpyacq.PyAcqIOError, OSError),
    (-7, libpyacq.MalformedMessage, ValueError),
    (-8, libpyacq.BufferIndexError, IndexError),
    (-9, libpyacq.BufferTooSmall, ValueError),
    (-10, libpyacq.OverrunError, libpyacq.PyAcqError),
    (-11, libpyacq.ClosedError, libpyacq.StateError),
    (-12, libpyacq.RemoteError, libpyacq.PyAcqError),
    (-99, libpyacq.InternalError, libpyacq.PyAcqError),
    (-1234, libpyacq.PyAcqError, Exception),
])
def test_check_maps_status_codes(status, cls, builtin):
    with pytest.raises(cls) as info:
        check(status)
    assert type(info.value) is cls
    assert isinstance(info.value, (libpyacq.PyAcqError, builtin))
    assert info.value.status == status
    assert info.value.status_name == _capi.status_name(status)
    check(0)


def test_check_carries_the_library_message():
    out = ctypes.c_int64()
    status = lib.pyacq_dtype_itemsize(b"float33", ctypes.byref(out))
    assert status == -3
    with pytest.raises(libpyacq.DTypeError, match="unknown dtype 'float33'") as info:
        check(status)
    assert info.value.status_name == "PYACQ_ERR_DTYPE"


def test_status_names():
    assert _capi.status_name(0) == "PYACQ_OK"
    assert _capi.status_name(-7) == "PYACQ_ERR_MALFORMED"
    assert _capi.status_name(12345) == "PYACQ_UNKNOWN_STATUS"
    assert set(errors.STATUS_EXCEPTIONS) == {-1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12, -13, -99}
    assert errors.STATUS_EXCEPTIONS[-13] is errors.HandleError


# ------------------------------------------------------------------ dtypes

@pytest.mark.parametrize("name", sorted(ALL_DTYPES))
def test_dtype_strings_round_trip_through_the_library(name):
    dtype = ALL_DTYPES[name]
    canonical = libpyacq.normalize_dtype(dtype)
    assert libpyacq.as_dtype(canonical) == dtype
    if dtype.names is None:
        assert canonical == str(dtype)  # numpy's str(dtype), as PROTOCOL §13.1 says
    itemsize = ctypes.c_int64()
    check(lib.pyacq_dtype_itemsize(libpyacq._arrays.wire_dtype(dtype), ctypes.byref(itemsize)))
    assert itemsize.value == dtype.itemsize


@pytest.mark.parametrize("text, canonical", [
    ("float32", "float32"), ("<f4", "float32"), ("=f4", "float32"), ("float", "float64"), ("int", "int64"),
    (">i2", ">i2"), ("|b1", "bool"), ("S4", "|S4"), ("U3", "<U3"), ("<M8[ms]", "datetime64[ms]"),
    ('[["index","<i8"],["label","|S4"]]', "[('index', '<i8'), ('label', 'S4')]"),
    ("[('a', '<f4', (3,)), ('b', '?')]", "[('a', '<f4', (3,)), ('b', '?')]"),
])
def test_normalize_dtype(text, canonical):
    assert libpyacq.normalize_dtype(text) == canonical


def test_dtype_params():
    assert libpyacq.dtype_param(np.float32) == "float32"
    assert libpyacq.dtype_param(np.dtype(">f4")) == ">f4"
    assert libpyacq.dtype_param("int16") == "int16"
    assert libpyacq.dtype_param(ALL_DTYPES["structured"]) == [["index", "<i8"], ["label", "|S4"], ["jitter", "<f8"]]
    assert libpyacq.dtype_param([("a", "int64"), ("b", "S4")]) == [["a", "int64"], ["b", "S4"]]
    with pytest.raises(libpyacq.DTypeError, match="padding"):
        libpyacq.dtype_param(np.dtype([("a", "u1"), ("b", "<f8")], align=True))
    with pytest.raises(libpyacq.DTypeError):
        libpyacq.normalize_dtype("float33")


# ------------------------------------------------------------------ raw handles

def test_null_and_destroyed_handles_are_errors_not_crashes():
    count = ctypes.c_int32()
    assert lib.pyacq_output_subscriber_count(None, ctypes.byref(count)) == -13  # PYACQ_ERR_HANDLE
    assert "NULL" in _capi.last_error()
    handle = _capi.OutputHandle()
    check(lib.pyacq_output_create(ctypes.byref(handle), None))
    lib.pyacq_output_destroy(handle)
    assert lib.pyacq_output_configure(handle, b"{}") == -13
    assert "destroyed" in _capi.last_error()
    with pytest.raises(errors.HandleError, match="destroyed"):
        check(lib.pyacq_output_configure(handle, b"{}"))
    # A new handle never takes the value of a destroyed one: the stale handle stays stale.
    newer = _capi.OutputHandle()
    check(lib.pyacq_output_create(ctypes.byref(newer), None))
    try:
        assert ctypes.cast(newer, ctypes.c_void_p).value != ctypes.cast(handle, ctypes.c_void_p).value
        assert lib.pyacq_output_reset_index(handle) == -13
    finally:
        lib.pyacq_output_destroy(newer)
    lib.pyacq_output_destroy(handle)  # twice: ignored
    lib.pyacq_output_destroy(None)
    # an input handle passed as an output handle
    other = _capi.InputHandle()
    check(lib.pyacq_input_create(ctypes.byref(other), None))
    try:
        assert lib.pyacq_output_close(ctypes.cast(other, _capi.OutputHandle)) == -13
        assert "expected a output stream handle, got a InputStream handle" in _capi.last_error()
    finally:
        lib.pyacq_input_destroy(other)
    # ctypes itself refuses a handle of the wrong type
    with pytest.raises(ctypes.ArgumentError):
        lib.pyacq_output_close(other)


def test_closed_c_handles_report_state():
    handle = _capi.OutputHandle()
    check(lib.pyacq_output_create(ctypes.byref(handle), None))
    try:
        check(lib.pyacq_output_configure(handle, json.dumps({"shape": [-1, 2]}).encode()))
        check(lib.pyacq_output_close(handle))
        data = np.zeros((2, 2), "float32")
        shape = (ctypes.c_int64 * 2)(2, 2)
        status = lib.pyacq_output_send(handle, data.ctypes.data, None, 2, shape, None, -1)
        assert status in (-4, -11)
        with pytest.raises(libpyacq.StateError):
            check(status)
    finally:
        lib.pyacq_output_destroy(handle)


def test_bad_json_is_a_params_error():
    handle = _capi.OutputHandle()
    check(lib.pyacq_output_create(ctypes.byref(handle), None))
    try:
        with pytest.raises(libpyacq.ParamsError):
            check(lib.pyacq_output_configure(handle, b"{not json"))
        with pytest.raises(libpyacq.ParamsError):
            check(lib.pyacq_output_configure(handle, b"[1, 2]"))
    finally:
        lib.pyacq_output_destroy(handle)
