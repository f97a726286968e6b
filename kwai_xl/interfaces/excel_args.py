"""Arguments as Excel passes them to a UDF, made safe for the engine; results made safe for a cell.

Excel (through xlwings) hands a function scalars, 1-D or 2-D lists with None for
empty cells, or numpy arrays with NaN for them. :func:`numbers` turns any of
these into a float array, checking the value range; :func:`broadcast` lines
arrays up like Excel arithmetic; :func:`to_cell` turns a result into what a
cell or a spilled range shows. A problem raises :class:`ArgumentError`, whose
text (``#VALUE! penetration must be between 0 and 1``) goes in the cell.
"""

import math
from functools import wraps

import numpy as np


class ArgumentError(ValueError):
    """A bad UDF argument; ``str()`` is the short text the cell shows."""


def _describe(v) -> str:
    text = repr(v) if isinstance(v, str) else str(v)
    return text if len(text) <= 20 else text[:17] + "..."


def numbers(value, name: str, rule: str = "any", default=None) -> np.ndarray:
    """``value`` (a scalar, a list, a list of lists or an array) as a 2-D float array, range-checked.

    ``rule`` is any, fraction (0 to 1), nonnegative or positive. An empty argument takes
    ``default``; an empty cell inside a range is an error.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is None:
            raise ArgumentError(f"#VALUE! {name} is empty")
        value = default
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiu" and value.ndim <= 2:
        return _checked(np.atleast_2d(value.astype(float)), name, rule)
    arr = np.array(value, dtype=object)
    if arr.ndim == 0:
        arr = arr.reshape(1, 1)
    elif arr.ndim == 1:
        arr = arr.reshape(1, -1)
    elif arr.ndim > 2:
        raise ArgumentError(f"#VALUE! {name} must be a cell or a range")
    out = np.empty(arr.shape, dtype=float)
    for idx, v in np.ndenumerate(arr):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            raise ArgumentError(f"#VALUE! {name} has an empty cell")
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise ArgumentError(f"#VALUE! {name} must be a number, not {_describe(v)}")
        f = float(v)
        if not math.isfinite(f):
            raise ArgumentError(f"#VALUE! {name} must be finite")
        if rule == "fraction" and not 0.0 <= f <= 1.0:
            raise ArgumentError(f"#VALUE! {name} must be between 0 and 1, not {_describe(v)}")
        if rule == "nonnegative" and f < 0:
            raise ArgumentError(f"#VALUE! {name} must not be negative, not {_describe(v)}")
        if rule == "positive" and f <= 0:
            raise ArgumentError(f"#VALUE! {name} must be above 0, not {_describe(v)}")
        out[idx] = f
    return out


def _checked(arr: np.ndarray, name: str, rule: str) -> np.ndarray:
    """The vectorised path of :func:`numbers` for a numeric array: the same checks, the first failure reported."""
    bad = ~np.isfinite(arr)
    if bad.any():
        first = arr[bad][0]
        raise ArgumentError(f"#VALUE! {name} has an empty cell" if np.isnan(first) else f"#VALUE! {name} must be finite")
    if rule == "fraction" and ((arr < 0) | (arr > 1)).any():
        raise ArgumentError(f"#VALUE! {name} must be between 0 and 1, not {_describe(arr[(arr < 0) | (arr > 1)][0])}")
    if rule == "nonnegative" and (arr < 0).any():
        raise ArgumentError(f"#VALUE! {name} must not be negative, not {_describe(arr[arr < 0][0])}")
    if rule == "positive" and (arr <= 0).any():
        raise ArgumentError(f"#VALUE! {name} must be above 0, not {_describe(arr[arr <= 0][0])}")
    return arr


def optional_numbers(value, name: str, rule: str = "any") -> np.ndarray:
    """Like :func:`numbers`, but blanks anywhere are NaN (for metrics that may be missing)."""
    arr = np.array([[None]] if value is None else value, dtype=object)
    arr = arr.reshape(1, 1) if arr.ndim == 0 else arr.reshape(1, -1) if arr.ndim == 1 else arr
    if arr.ndim > 2:
        raise ArgumentError(f"#VALUE! {name} must be a cell or a range")
    out = np.full(arr.shape, np.nan)
    for idx, v in np.ndenumerate(arr):
        if v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and math.isnan(v)):
            continue
        out[idx] = numbers(v, name, rule)[0, 0]
    return out


def cells(value) -> list:
    """Every cell of an argument, flattened, text and blanks kept (for statistics that skip them)."""
    if value is None:
        return []
    return list(np.array(value, dtype=object).ravel())


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
        return "n.a." if math.isnan(v) else float(v)
    return v


def excel_safe(func):
    """Return :class:`ArgumentError` text instead of raising, and a short message for anything else."""
    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ArgumentError as err:
            return str(err)
        except Exception as err:  # a cell must never show a traceback
            return f"#VALUE! {func.__name__}: {err.__class__.__name__}"
    return wrapper
