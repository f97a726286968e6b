"""Arguments as Excel passes them to a UDF, made safe for the engine; results made safe for a cell.

Excel (through xlwings) hands a function scalars, 1-D or 2-D lists with None for
empty cells, or numpy arrays with NaN for them. :func:`numbers` turns any of
these into a float array, checking the value range; :func:`broadcast` lines
arrays up like Excel arithmetic; :func:`to_cell` turns a result into what a
cell or a spilled range shows. A problem raises :class:`ArgumentError`, whose
text (``#VALUE! penetration must be between 0 and 1``) is the message; what the
cell shows depends on the host (:func:`error_result`). Anything else raised is a
bug and is not caught: the host shows it as the Python exception it is.

Rules: a date, a boolean, text or a nested list where a number belongs is an
error; so is an empty range, a non-finite input (±inf, or beyond ±1e308) and a
non-finite result (an overflow). Peer statistics skip text and blanks only.
"""

import datetime as dt
import logging
import math
import os
import sys
from functools import wraps

import numpy as np

from ..registry import RULES

LOG = logging.getLogger("kwai_xl.udfs")
ERROR_VALUES_ENV = "KWAI_XL_ERROR_VALUES"
"""Set to 1 to return bare error values (``#VALUE!``) as in xlwings Lite, where this is the default."""
LAST_ERRORS: dict[tuple, str] = {}
"""(function name, arguments as text) → message of its last failure, for ``KWAI_ERROR``."""


class ArgumentError(ValueError):
    """A bad UDF argument (or an unrepresentable result); ``str()`` is the message, ``#VALUE!``/``#NUM!`` first."""

    @property
    def code(self) -> str:
        return str(self).split(" ", 1)[0]


def bare_error_values() -> bool:
    """True where the host turns an exact error text into an error value (xlwings Lite / Office.js)."""
    return sys.platform == "emscripten" or os.environ.get(ERROR_VALUES_ENV) == "1"


def call_key(name: str, args: tuple) -> tuple:
    """The key under which a call's failure is remembered (arguments as short text, so ranges compare by value)."""
    return (name.upper(), tuple(_describe_arg(a) for a in args))


def _describe_arg(a) -> str:
    if a is None or (isinstance(a, str) and not a.strip()):
        return ""  # an empty cell and an omitted argument are the same call
    if isinstance(a, np.ndarray):
        a = a.tolist()
    return repr(a)[:2000]


def error_result(func_name: str, args: tuple, err: "ArgumentError"):
    """What the cell gets for a bad call: an error value in Lite, the message text on desktop.

    Classic (COM) xlwings UDFs cannot return an error value (xlwings issue #776), so there
    the cell shows ``#VALUE! message``. Either way the message is logged and kept for
    ``=KWAI_ERROR(...)``.
    """
    message = str(err)
    LAST_ERRORS[call_key(func_name, args)] = message
    if len(LAST_ERRORS) > 1000:
        LAST_ERRORS.pop(next(iter(LAST_ERRORS)))
    LOG.warning("%s: %s", func_name, message)
    return err.code if bare_error_values() else message


def _describe(v) -> str:
    text = repr(v) if isinstance(v, str) else str(v)
    return text if len(text) <= 20 else text[:17] + "..."


def numbers(value, name: str, rule: str = "any", default=None) -> np.ndarray:
    """``value`` (a scalar, a list, a list of lists or an array) as a 2-D float array, range-checked.

    ``rule`` names one of :data:`kwai_xl.registry.RULES` (the data file's rules), or "any". An empty argument takes
    ``default``; an empty cell inside a range is an error.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is None:
            raise ArgumentError(f"#VALUE! {name} is empty")
        value = default
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiu" and value.ndim <= 2:
        if value.size == 0:
            raise ArgumentError(f"#VALUE! {name} is an empty range")
        return _checked(np.atleast_2d(value.astype(float)), name, rule)
    arr = grid(value, name)
    out = np.empty(arr.shape, dtype=float)
    for idx, v in np.ndenumerate(arr):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            raise ArgumentError(f"#VALUE! {name} has an empty cell")
        _number_or_raise(v, name)
        f = float(v)
        if not math.isfinite(f):
            raise ArgumentError(f"#VALUE! {name} must be finite")
        if rule in RULES and RULES[rule].broken(f):
            raise ArgumentError(f"#VALUE! {name} must {RULES[rule].says}, not {_describe(v)}")
        out[idx] = f
    return out


def grid(value, name: str) -> np.ndarray:
    """``value`` (a scalar, a row list or a list of rows) as a 2-D object array; ragged or deeper nesting is an error."""
    if isinstance(value, np.ndarray):
        arr = value.astype(object)
    elif isinstance(value, (list, tuple)):
        rows = [list(r) if isinstance(r, (list, tuple, np.ndarray)) else None for r in value]
        if all(r is None for r in rows):
            rows = [list(value)]  # a flat list is one row
        elif any(r is None for r in rows) or len({len(r) for r in rows}) > 1:
            raise ArgumentError(f"#VALUE! {name} must be a cell or a rectangular range")
        if any(isinstance(v, (list, tuple, np.ndarray, dict)) for r in rows for v in r):
            raise ArgumentError(f"#VALUE! {name} must be a cell or a range, not nested lists")
        arr = np.empty((len(rows), len(rows[0]) if rows else 0), dtype=object)
        for i, r in enumerate(rows):
            for j, v in enumerate(r):
                arr[i, j] = v
    elif isinstance(value, dict):
        raise ArgumentError(f"#VALUE! {name} must be a cell or a range")
    else:
        arr = np.empty((1, 1), dtype=object)
        arr[0, 0] = value
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2:
        raise ArgumentError(f"#VALUE! {name} must be a cell or a range")
    if arr.size == 0:
        raise ArgumentError(f"#VALUE! {name} is an empty range")
    return arr


def _number_or_raise(v, name: str) -> None:
    """A number is an int or float (numpy's too); booleans, dates, text and anything else are not."""
    if isinstance(v, (dt.date, dt.datetime, np.datetime64)):
        raise ArgumentError(f"#VALUE! {name} must be a number, not a date")
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise ArgumentError(f"#VALUE! {name} must be a number, not {_describe(v)}")
    if isinstance(v, int) and not -1e308 <= v <= 1e308:
        raise ArgumentError(f"#VALUE! {name} must be finite")


def _checked(arr: np.ndarray, name: str, rule: str) -> np.ndarray:
    """The vectorised path of :func:`numbers` for a numeric array: the same checks, the first failure reported."""
    bad = ~np.isfinite(arr)
    if bad.any():
        first = arr[bad][0]
        raise ArgumentError(f"#VALUE! {name} has an empty cell" if np.isnan(first) else f"#VALUE! {name} must be finite")
    bad = RULES[rule].broken(arr) if rule in RULES else False
    if np.any(bad):
        raise ArgumentError(f"#VALUE! {name} must {RULES[rule].says}, not {_describe(arr[bad][0])}")
    return arr


def optional_numbers(value, name: str, rule: str = "any") -> np.ndarray:
    """Like :func:`numbers`, but blanks anywhere are NaN (for metrics that may be missing)."""
    arr = grid(value, name)
    out = np.full(arr.shape, np.nan)
    for idx, v in np.ndenumerate(arr):
        if v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and math.isnan(v)):
            continue
        out[idx] = numbers(v, name, rule)[0, 0]
    return out


def statistic_cells(value, name: str) -> list[float]:
    """The numbers of a range for a peer statistic: text (n.a., n.m.) and blanks skipped, anything else checked.

    A date, a boolean, a nested list or a non-finite number is an error rather than silently dropped.
    """
    if value is None:
        return []
    out = []
    for v in grid(value, name).ravel():
        if v is None or isinstance(v, str) or (isinstance(v, float) and math.isnan(v)):
            continue
        _number_or_raise(v, name)
        if not math.isfinite(float(v)):
            raise ArgumentError(f"#VALUE! {name} must be finite")
        out.append(float(v))
    return out


def text(value, name: str, choices: tuple[str, ...], default: str) -> str:
    """A text choice, case-insensitive, blank = ``default``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    for choice in choices:
        if isinstance(value, str) and value.strip().lower() == choice.lower():
            return choice
    raise ArgumentError(f"#VALUE! {name} must be one of {'/'.join(choices)}, not {_describe(value)}")


def broadcast(**arrays: np.ndarray) -> list[np.ndarray]:
    """The arrays broadcast to one shape, as Excel arithmetic does; mismatched ranges are an error."""
    try:
        return list(np.broadcast_arrays(*arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {a.shape[0]}×{a.shape[1]}" for k, a in arrays.items() if a.size > 1)
        raise ArgumentError(f"#VALUE! ranges have mismatched shapes ({shapes})") from None


def to_cell(result):
    """A scalar for a 1 × 1 result, else a list of rows (a spilled range); NaN shows as "n.a."."""
    arr = np.array(result, dtype=object)
    if arr.ndim == 0:
        arr = arr.reshape(1, 1)
    elif arr.ndim == 1:
        arr = arr.reshape(1, -1)
    rows = [[_cell_value(v) for v in row] for row in arr.tolist()]
    return rows[0][0] if arr.shape == (1, 1) else rows


def _cell_value(v):
    if isinstance(v, (float, np.floating)):
        if math.isnan(v):
            return "n.a."
        if math.isinf(v):
            raise ArgumentError("#NUM! the result is too large to be a number (inputs beyond ±1e308?)")
        return float(v)
    return v


def excel_safe(func):
    """Turn :class:`ArgumentError` into the host's error result (:func:`error_result`).

    Nothing else is caught: any other exception is a bug, and the host shows it as one.
    """
    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ArgumentError as err:
            return error_result(func.__name__, args + tuple(kwargs.values()), err)
    return wrapper
