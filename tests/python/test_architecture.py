"""Structure checks: every copy of the status table agrees with include/pyacq.h, and each Swift
target of Package.swift declares exactly the modules its sources import."""

import glob
import os
import re

import pytest

from libpyacq import _capi, errors

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def header_statuses():
    """{name: code} of the pyacq_status enum in include/pyacq.h."""
    text = open(os.path.join(ROOT, "include", "pyacq.h")).read()
    body = re.search(r"typedef enum pyacq_status \{(.*?)\} pyacq_status;", text, re.S).group(1)
    found = dict((name, int(value, 0)) for name, value in re.findall(r"(PYACQ_\w+)\s*=\s*(-?\w+)", body))
    found.pop("PYACQ_STATUS_FORCE_INT32")
    return found


def test_header_enum_is_read():
    statuses = header_statuses()
    assert statuses["PYACQ_OK"] == 0 and statuses["PYACQ_ERR_HANDLE"] == -13 and len(statuses) >= 15


def test_library_status_names_match_the_header():
    for name, code in header_statuses().items():
        assert _capi.status_name(code) == name
    assert _capi.status_name(-1234) == "PYACQ_UNKNOWN_STATUS"


def test_python_exceptions_match_the_header():
    statuses = header_statuses()
    python = {cls.status_name: cls.status for cls in errors.STATUS_EXCEPTIONS.values()}
    assert python == {name: code for name, code in statuses.items() if name != "PYACQ_OK"}
    for code, cls in errors.STATUS_EXCEPTIONS.items():
        assert cls.status == code


def test_matlab_status_table_matches_the_header():
    rows = []
    for path in glob.glob(os.path.join(ROOT, "bindings", "matlab", "*.c")):
        rows += re.findall(r'\{\s*"(PYACQ_\w+)"\s*,\s*(-?\d+)\s*,', open(path).read())
    assert rows, "no status table found in bindings/matlab/*.c"
    assert {name: int(code) for name, code in rows} == header_statuses()


def _package_targets():
    """{target name: (declared dependencies, source folder)} from Package.swift."""
    text = open(os.path.join(ROOT, "Package.swift")).read()
    targets = {}
    for kind, body in re.findall(r"\.(target|executableTarget|testTarget)\((.*?)\)\s*,\s*(?=\.|\])", text, re.S):
        name = re.search(r'name:\s*"([^"]+)"', body).group(1)
        listed = re.search(r"dependencies:\s*\[(.*?)(?:\]|\Z)", body, re.S)
        deps = set(re.findall(r'"([^"]+)"', listed.group(1))) if listed else set()
        deps = {d for d in deps if d not in ("swift-argument-parser",)}
        path = re.search(r'path:\s*"([^"]+)"', body)
        folder = path.group(1) if path else os.path.join("Tests" if kind == "testTarget" else "Sources", name)
        targets[name] = (deps, folder)
    return targets


def test_package_targets_declare_what_they_import():
    system = {"Glibc", "Testing", "Foundation", "Synchronization", "XCTest", "Dispatch"}
    targets = _package_targets()
    assert "PyAcqCABI" in targets and "PyAcqProcess" in targets
    mismatches = []
    for name, (declared, folder) in targets.items():
        imports = set()
        for path in glob.glob(os.path.join(ROOT, folder, "**", "*.swift"), recursive=True):
            imports |= set(re.findall(r"^(?:@\w+\s+)?import\s+(\w+)", open(path).read(), re.M))
        imports -= system
        if "ArgumentParser" in imports:
            imports.discard("ArgumentParser")
            declared = declared - {"ArgumentParser"}
        if imports != declared:
            mismatches.append("%s: imports %s, declares %s" % (name, sorted(imports), sorted(declared)))
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("layer,forbidden", [
    ("PyAcqCore", {"PyAcqRPC", "PyAcqNodes", "PyAcqProcess", "PyAcqCABI"}),
    ("PyAcqNodes", {"PyAcqRPC", "PyAcqProcess", "PyAcqCABI"}),
    ("PyAcqRPC", {"PyAcqNodes", "PyAcqProcess", "PyAcqCABI"}),
    ("PyAcqProcess", {"PyAcqCABI"}),
])
def test_layers_point_downward(layer, forbidden):
    declared, _ = _package_targets()[layer]
    assert not declared & forbidden
