"""dtype strings and fill values (PROTOCOL.md §13, §11.1)."""

import ast

import numpy as np

__all__ = ["parse_dtype", "normalise_dtype_param", "dtype_param", "fill_scalar"]


def parse_dtype(value):
    """Turn any dtype form found in params or ndarray encodings into a `np.dtype`.

    Accepts a dtype object or scalar type, a numpy name (`float32`, `int`), a
    typestr (`<f4`, `|S4`), a structured list of `[name, type]` /
    `(name, type, shape)` entries, or the Python-literal structured string
    `"[('index', '<i8'), ('label', 'S4')]"` used by the ndarray encoding.
    """
    if isinstance(value, np.dtype):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return parse_dtype(ast.literal_eval(text))
        return np.dtype(text)
    if isinstance(value, (list, tuple)):
        return np.dtype([_field_entry(entry) for entry in value])
    return np.dtype(value)


def _field_entry(entry):
    """One structured field as the tuple numpy expects (numpy rejects lists)."""
    if len(entry) not in (2, 3):
        raise ValueError(f"structured dtype field must have 2 or 3 items: {entry!r}")
    name, field_type = entry[0], parse_dtype(entry[1])
    if len(entry) == 2:
        return (str(name), field_type)
    return (str(name), field_type, tuple(entry[2]))


def normalise_dtype_param(value):
    """The §13.2 fix-up: a list-form structured dtype becomes a list of tuples.

    Only the container changes; names and type strings are kept as given so the
    param still serialises to the same arrays on the wire.
    """
    if isinstance(value, (list, tuple)):
        return [tuple(entry) for entry in value]
    return value


def dtype_param(dtype):
    """The value to put into params for `dtype`: a name or `[name, typestr]` pairs."""
    dtype = parse_dtype(dtype)
    if dtype.names is None:
        return dtype.name if dtype.isnative and dtype.kind not in "SUV" else dtype.str
    return [list(field) for field in dtype.descr]


def fill_scalar(dtype, fill=None):
    """The value written into skipped samples.

    `fill=None` means NaN for float/complex dtypes and all-zero bytes otherwise
    (a zero *scalar of the dtype*, so byte-string fields get b"" rather than b"0").
    """
    dtype = parse_dtype(dtype)
    if fill is not None:
        return np.array(fill).astype(dtype) if dtype.names is None else np.array(fill, dtype)
    if dtype.kind in "fc":
        return np.array(np.nan, dtype)
    return np.zeros((), dtype)
