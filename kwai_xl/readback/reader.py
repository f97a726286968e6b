"""Reading a workbook back: its defined names, the values behind them and the inputs they hold.

Values come from the file's cached results (python-calamine, no recalculation):
the ones formualizer wrote at build time, or LibreOffice's after ``verify``
recalculates a copy. openpyxl reads the names (through defusedxml).
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries
from python_calamine import CalamineWorkbook

from ..engine.inputs import MULTIPLES, ModelInputs, Segment, sweep_keys
from ..errors import KwaiError
from ..quarters.inputs import inputs_from_names
from ..registry import DEFAULT_STRUCTURE, GroupShape, Structure
from ..workbook.package import open_checked

ERROR_VALUES = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "Err:", "#SPILL!", "#CALC!")


@dataclass(frozen=True)
class NamedRange:
    sheet: str
    min_row: int
    min_col: int
    max_row: int
    max_col: int

    @property
    def shape(self) -> tuple[int, int]:
        return self.max_row - self.min_row + 1, self.max_col - self.min_col + 1


def defined_names(path: Path) -> dict[str, NamedRange]:
    """Every workbook-scoped defined name that points at one rectangle of one sheet."""
    try:
        wb = load_workbook(open_checked(path), read_only=True, keep_links=False)
    except KwaiError:
        raise
    except Exception as err:
        raise KwaiError(f"{path}: cannot be read as an .xlsx workbook ({err.__class__.__name__})") from None
    try:
        out = {}
        for name, dn in wb.defined_names.items():
            dests = list(dn.destinations)
            if len(dests) != 1:
                continue
            sheet, ref = dests[0]
            min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
            out[name] = NamedRange(sheet, min_row, min_col, max_row, max_col)
        return out
    finally:
        wb.close()


class WorkbookValues:
    """Cached cell values of a workbook, addressed by defined name or by sheet and cell."""

    def __init__(self, path: Path):
        self.path = open_checked(path)
        self.names = defined_names(self.path)
        try:
            book = CalamineWorkbook.from_path(str(self.path))
            self.sheets = {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
                           for name in book.sheet_names}
        except Exception as err:  # calamine's errors are its own types; the message names the file
            raise KwaiError(f"{self.path}: cannot read its cells ({err.__class__.__name__})") from None

    def cell(self, sheet: str, row: int, col: int):
        rows = self.sheets[sheet]
        if row - 1 < len(rows) and col - 1 < len(rows[row - 1]):
            return rows[row - 1][col - 1]
        return ""

    def block(self, name: str) -> list[list]:
        """The values of a named range as rows (blank cells as "")."""
        if name not in self.names:
            raise KwaiError(f"{self.path}: the workbook has no defined name {name!r}")
        r = self.names[name]
        return [[self.cell(r.sheet, i, j) for j in range(r.min_col, r.max_col + 1)]
                for i in range(r.min_row, r.max_row + 1)]

    def value(self, name: str):
        """A named cell's value, or a named range's values as a numpy array (1-row and 1-column ranges flattened)."""
        rows = self.block(name)
        if len(rows) == 1 and len(rows[0]) == 1:
            return rows[0][0]
        arr = np.array(rows, dtype=object)
        return arr.ravel() if 1 in arr.shape else arr

    def number(self, name: str) -> float:
        v = self.value(name)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise KwaiError(f"{self.path}: {name} should be a number, found {v!r}")
        return float(v)

    def numbers(self, name: str) -> np.ndarray:
        """A named range as floats, blanks as NaN; text is an error."""
        arr = np.array(self.block(name), dtype=object)
        out = np.full(arr.shape, np.nan)
        for idx, v in np.ndenumerate(arr):
            if v == "" or v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise KwaiError(f"{self.path}: {name} should hold numbers, found {v!r}")
            out[idx] = float(v)
        return out

    def optional_numbers(self, name: str) -> np.ndarray:
        """A named range as floats, blanks (and text) as NaN."""
        arr = np.array(self.block(name), dtype=object)
        out = np.full(arr.shape, np.nan)
        for idx, v in np.ndenumerate(arr):
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                out[idx] = float(v)
        return out

    def error_cells(self) -> list[str]:
        """Addresses of every cell holding an error value, outside the xlwings sheets (whose UDFs need the add-in)."""
        from openpyxl.utils import get_column_letter
        found = []
        for sheet, rows in self.sheets.items():
            if "xlwings" in sheet:
                continue
            for i, row in enumerate(rows, start=1):
                for j, v in enumerate(row, start=1):
                    if isinstance(v, str) and v.startswith(ERROR_VALUES):
                        found.append(f"{sheet}!{get_column_letter(j)}{i} {v}")
        return found


def structure_from_workbook(values: WorkbookValues) -> Structure:
    """The peer groups and SOTP segments a workbook was built with, read from its names.

    Segments come from the SOTP sheet's ``sotp_structure`` codes (key, group, multiple, metric, source);
    a workbook built before segments were data has MODEL.md's three.
    """
    names = values.names
    if "sotp_structure" in names:
        rows = values.block("sotp_structure")
        segments = tuple(Segment(str(key), str(group), str(mult), str(metric), source == "input",
                                 f"sotp_{key}_margin" in names) for key, group, mult, metric, source in zip(*rows))
    else:
        segments = DEFAULT_STRUCTURE.segments
    groups = tuple(GroupShape(n[:-5], names[n].shape[0], tuple(m for m in MULTIPLES if f"{n[:-5]}_{m}" in names))
                   for n in names if n.endswith("_mcap") and n != "ks_mcap")
    ranges = tuple(k for k in sweep_keys(segments) if f"rng_{k}" in names)
    steps = names["sens_steps"].shape[1] if "sens_steps" in names else 0
    return Structure(groups, segments, ranges, steps)


def inputs_from_workbook(values: WorkbookValues) -> ModelInputs:
    """The model's inputs as a workbook holds them, read by their public names."""
    structure = structure_from_workbook(values)
    legacy = "sotp_structure" not in values.names  # premiums and overrides were one row per segment

    def block(name: str) -> np.ndarray:
        if legacy and name.startswith("sotp_") and name.endswith(("_premium", "_stat_override")):
            row = "sotp_premium" if name.endswith("_premium") else "sotp_stat_override"
            k = [s.key for s in structure.segments].index(name.split("_")[1])
            return np.array([[values.block(row)[0][k]]], dtype=object)
        return np.array(values.block(name), dtype=object)

    for name in ("scenario", "sotp_stat"):
        if not isinstance(values.value(name), str):
            raise KwaiError(f"{values.path}: {name} should be text, found {values.value(name)!r}")
    grid = values.block("sens_grid")[0] if "sens_grid" in values.names else ()
    try:
        return inputs_from_names(structure, block, has=values.names.__contains__, sens_grid=tuple(grid))
    except ValueError as err:
        raise KwaiError(f"{values.path}: {err}") from None
