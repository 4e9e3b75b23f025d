"""numpy <-> C ABI plumbing: dtype strings (PROTOCOL.md §13), JSON params, caller arrays going
in and borrowed pyacq_view results coming out as zero-copy numpy arrays."""

import ast
import ctypes
import functools
import json
import operator

import numpy as np

from . import _capi
from ._capi import check, lib
from .errors import DTypeError, InternalError, InvalidArgument

__all__ = ["as_dtype", "dtype_param", "wire_dtype", "normalize_dtype", "to_json", "from_json",
           "CallerArray", "chunk_index", "strict_int", "borrowed_array", "view_layout"]


# ----------------------------------------------------------------------------- dtypes

def _field(entry):
    if not isinstance(entry, (list, tuple)) or len(entry) not in (2, 3):
        raise DTypeError("a structured dtype field must be [name, type] or [name, type, shape], got %r"
                         % (entry,))
    name, field_type = str(entry[0]), as_dtype(entry[1])
    if len(entry) == 2:
        return (name, field_type)
    shape = entry[2]
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(n) for n in shape)
    return (name, field_type, shape)


def as_dtype(value):
    """A numpy dtype from any form found in params: dtype object or scalar type, numpy name
    ("float32", "int"), typestr ("<f4", "|S4", "<M8[ms]"), a structured list of
    [name, type(, shape)] entries, or such a list as JSON / Python-literal text."""
    if isinstance(value, np.dtype):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except ValueError:
                try:
                    parsed = ast.literal_eval(text)
                except (ValueError, SyntaxError) as exc:
                    raise DTypeError("cannot parse structured dtype %r: %s" % (value, exc)) from None
            return as_dtype(parsed)
        try:
            return np.dtype(text)
        except TypeError as exc:
            raise DTypeError("unknown dtype %r: %s" % (value, exc)) from None
    if isinstance(value, (list, tuple)):
        try:
            return np.dtype([_field(entry) for entry in value])
        except (TypeError, ValueError) as exc:
            if isinstance(exc, DTypeError):
                raise
            raise DTypeError("invalid structured dtype %r: %s" % (value, exc)) from None
    try:
        return np.dtype(value)
    except TypeError as exc:
        raise DTypeError("cannot make a dtype of %r: %s" % (value, exc)) from None


def _packed_fields(dtype):
    """[name, type(, shape)] entries of a structured dtype; libpyacq packs fields without
    padding, as numpy does by default."""
    entries, offset = [], 0
    for name in dtype.names:
        field_type, field_offset = dtype.fields[name][:2]
        if field_offset != offset:
            raise DTypeError(
                "structured dtype %s has padding or reordered fields (field %r at byte %d, expected "
                "%d); libpyacq needs packed fields (numpy's default, align=False)"
                % (dtype, name, field_offset, offset))
        if field_type.subdtype is not None:
            base, shape = field_type.subdtype
            entries.append([name, _type_value(base), list(shape)])
        else:
            entries.append([name, _type_value(field_type)])
        offset += field_type.itemsize
    if offset != dtype.itemsize:
        raise DTypeError("structured dtype %s has %d trailing padding bytes; libpyacq needs packed fields"
                         % (dtype, dtype.itemsize - offset))
    return entries


def _type_value(dtype):
    if dtype.names is not None:
        return _packed_fields(dtype)
    if dtype.hasobject:
        raise DTypeError("dtype %s holds Python objects; streams carry raw bytes only" % dtype)
    return dtype.str


@functools.lru_cache(maxsize=256)
def _wire_dtype_cached(dtype):
    value = _type_value(dtype)
    text = value if isinstance(value, str) else json.dumps(value)
    return text.encode("utf-8")


def wire_dtype(dtype):
    """The dtype string handed to the C ABI with array data: numpy's typestr ("<f4", "|S4",
    "<M8[ms]") or, for structured dtypes, a JSON list such as [["index","<i8"],["v","<f4",[3]]]."""
    return _wire_dtype_cached(np.dtype(dtype))


def dtype_param(value):
    """The value to put into stream params for `value`: strings and lists are kept as given;
    dtype objects and scalar types become a numpy name ("float32") or typestr (">f4", "|S4"),
    structured ones a list of [name, typestr(, shape)] (never a dtype object, §13.2)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and not isinstance(value, np.dtype):
        return [[item if not isinstance(item, tuple) else list(item) for item in entry]
                if isinstance(entry, (list, tuple)) else entry for entry in value]
    dtype = as_dtype(value)
    if dtype.names is not None:
        return _packed_fields(dtype)
    if dtype.isnative and dtype.kind not in "SUV":
        return dtype.name
    return dtype.str


def normalize_dtype(value):
    """libpyacq's canonical form (numpy's str(dtype)) of a dtype, via pyacq_dtype_normalize."""
    value = dtype_param(value)
    text = value if isinstance(value, str) else json.dumps(value)
    out = ctypes.c_void_p()
    check(lib.pyacq_dtype_normalize(text.encode("utf-8"), ctypes.byref(out)))
    return _capi.take_string(out.value)


def stream_dtype(value):
    """The numpy dtype libpyacq uses for a params `dtype` value, checked against the library's
    own parsing (same item size)."""
    dtype = as_dtype(value)
    text = wire_dtype(dtype)
    itemsize = ctypes.c_int64()
    check(lib.pyacq_dtype_itemsize(text, ctypes.byref(itemsize)), "dtype %s" % (dtype,))
    if itemsize.value != dtype.itemsize:
        raise InternalError("libpyacq reads dtype %s as %d-byte items, numpy as %d"
                            % (dtype, itemsize.value, dtype.itemsize))
    return dtype


# ----------------------------------------------------------------------------- JSON

def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return dtype_param(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, bytes):
        return value.decode("utf-8")
    raise TypeError("%r (%s) cannot be sent as a stream param (JSON)" % (value, type(value).__name__))


def to_json(mapping, what="params"):
    """UTF-8 JSON bytes of a params dict (NaN/Infinity allowed, as the ABI accepts them)."""
    if mapping is None:
        return None
    if not isinstance(mapping, dict):
        raise InvalidArgument("%s must be a dict, got %s" % (what, type(mapping).__name__))
    mapping = dict(mapping)
    if "dtype" in mapping:
        mapping["dtype"] = dtype_param(mapping["dtype"])
    try:
        return json.dumps(mapping, default=_json_default).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InvalidArgument("%s cannot be encoded as JSON: %s" % (what, exc)) from None


def from_json(text):
    return json.loads(text) if text is not None else None


# ----------------------------------------------------------------------------- arrays in

class CallerArray:
    """(pointer, dtype string, ndim, shape, strides) of a numpy array for *_send/new_chunk,
    without copying it. Keep this object alive for the duration of the call."""

    __slots__ = ("array", "pointer", "dtype", "ndim", "shape", "strides")

    def __init__(self, data):
        array = data if isinstance(data, np.ndarray) else np.asarray(data)
        if array.ndim == 0:
            raise InvalidArgument("a chunk needs at least one dimension (axis 0 = samples), got a scalar")
        if array.ndim > _capi.MAX_NDIM:
            raise InvalidArgument("a chunk has at most %d dimensions, got %d" % (_capi.MAX_NDIM, array.ndim))
        self.array = array
        self.dtype = wire_dtype(array.dtype)
        self.pointer = array.__array_interface__["data"][0]
        self.ndim = array.ndim
        self.shape = (ctypes.c_int64 * array.ndim)(*array.shape)
        self.strides = (ctypes.c_int64 * array.ndim)(*array.strides)


def strict_int(value, what, low, high):
    """`value` as an int in [low, high], else InvalidArgument naming `what`: ctypes would wrap
    2**64 + 7 to 7 and int() would turn 1.5 into 1 without a word."""
    if isinstance(value, bool):
        raise InvalidArgument("%s must be an integer, got %r" % (what, value))
    try:
        number = operator.index(value)
    except TypeError:
        raise InvalidArgument("%s must be an integer, got %r" % (what, value)) from None
    if not low <= number <= high:
        raise InvalidArgument("%s must be between %d and %d, got %d" % (what, low, high, number))
    return number


# Stream indexes travel as 64-bit words but receivers accept only < 2**62 (PROTOCOL §9).
MAX_INDEX = 2 ** 62 - 1


def chunk_index(index, meaning=""):
    """The index argument of *_send/new_chunk: -1 for None (the current index + the chunk's
    length), else `index` as an int in [0, 2**62) (InvalidArgument otherwise; `meaning` names
    it in the message)."""
    if index is None:
        return -1
    return strict_int(index, "index%s" % meaning, 0, MAX_INDEX)


# ----------------------------------------------------------------------------- arrays out

class _Borrowed:
    """Exposes borrowed library memory to numpy through __array_interface__; the resulting
    array's ``base`` is this object, which keeps `owner` (the handle keeper) alive."""

    __slots__ = ("__array_interface__", "owner")

    def __init__(self, pointer, shape, strides, dtype, owner, readonly):
        self.owner = owner
        self.__array_interface__ = {
            "version": 3,
            "data": (pointer, readonly),
            "shape": shape,
            "strides": strides,
            "typestr": dtype.str,
            "descr": dtype.descr,
        }


def view_layout(view):
    """(pointer, shape, strides) of a pyacq_view."""
    ndim = view.ndim
    if not 0 <= ndim <= _capi.MAX_NDIM:
        raise InternalError("pyacq_view has ndim %d" % ndim)
    return view.data or 0, tuple(view.shape[:ndim]), tuple(view.strides[:ndim])


def borrowed_array(view, dtype, owner, readonly=True):
    """A numpy array over the memory a pyacq_view describes (no copy). Any strides, including
    negative ones, are honoured: `data` points at element [0, ..., 0]."""
    pointer, shape, strides = view_layout(view)
    if view.itemsize != dtype.itemsize:
        raise InternalError("pyacq_view itemsize %d does not match dtype %s (%d bytes)"
                            % (view.itemsize, dtype, dtype.itemsize))
    if not pointer or 0 in shape:
        array = np.empty(shape, dtype)
    else:
        array = np.asarray(_Borrowed(pointer, shape, strides, dtype, owner, readonly))
        if array.dtype != dtype:
            array = array.view(dtype)
    if readonly:
        array.flags.writeable = False
    return array
