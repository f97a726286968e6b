"""Reading a workbook back: its defined names, the values behind them and the inputs they hold.

Values come from the file's cached results (python-calamine, no recalculation):
the ones formualizer wrote at build time, or LibreOffice's after ``verify``
recalculates a copy. openpyxl reads the names (through defusedxml). Error values
are read from the sheet XML itself (``t="e"`` cells), since python-calamine
turns them into "".
"""

import functools
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries
from openpyxl.workbook.defined_name import DefinedName
from python_calamine import CalamineWorkbook

from ..engine.inputs import MULTIPLES, ModelInputs, Segment, sweep_keys
from ..engine.scenarios import CHOICE_LISTS
from ..errors import KwaiError
from ..quarters.inputs import inputs_from_names
from ..registry import DEFAULT_STRUCTURE, GroupShape, Structure
from ..workbook.build import LANG_PROPERTY, LANGUAGES, load_labels, udf_sheet_titles
from ..workbook.package import custom_properties, name_elements, open_checked, sheet_parts, unescape_xml

ERROR_CELL = re.compile(r'<c r="([A-Z]+[0-9]+)"[^>]*?\st="e"[^>]*>(?:<f[^>]*/>|<f[^>]*>.*?</f>)?(?:<v>(.*?)</v>)?', re.S)
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
    """Every workbook-scoped defined name that points at one rectangle of one sheet (read from the
    workbook part alone; a sheet-scoped name, a formula or a name of several areas is left out)."""
    path = open_checked(path)
    try:
        with zipfile.ZipFile(path) as z:
            elements = name_elements(path, z)
    except zipfile.BadZipFile as err:
        raise KwaiError(f"{path}: cannot be read as an .xlsx workbook ({err.__class__.__name__})") from None
    out = {}
    for el in elements:
        if el.get("localSheetId") is not None or not el.text:
            continue
        dests = list(DefinedName(el.get("name"), attr_text=el.text).destinations)
        if len(dests) != 1:
            continue
        sheet, ref = dests[0]
        min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
        out[el.get("name")] = NamedRange(sheet, min_row, min_col, max_row, max_col)
    return out


class _Sheets(dict):
    """Sheet title → its rows of cached values, each sheet read from the workbook when first asked for."""

    def __init__(self, book: CalamineWorkbook, path: Path):
        super().__init__()
        self.book, self.path = book, path

    def __missing__(self, title: str) -> list[list]:
        if title not in self.book.sheet_names:
            raise KeyError(title)
        try:
            rows = self[title] = self.book.get_sheet_by_name(title).to_python(skip_empty_area=False)
        except Exception as err:  # calamine's errors are its own types; the message names the file
            raise KwaiError(f"{self.path}: cannot read the cells of sheet {title!r} ({err.__class__.__name__})") from None
        return rows


class WorkbookValues:
    """Cached cell values of a workbook, addressed by defined name or by sheet and cell."""

    def __init__(self, path: Path, names: dict[str, NamedRange] | None = None):
        """``names``: the defined names when they are known already (a recalculated copy of a read workbook)."""
        self.path = open_checked(path)
        self.names = defined_names(self.path) if names is None else names
        try:
            self.sheets = _Sheets(CalamineWorkbook.from_path(str(self.path)), self.path)
        except Exception as err:  # calamine's errors are its own types; the message names the file
            raise KwaiError(f"{self.path}: cannot read its cells ({err.__class__.__name__})") from None

    def cell(self, sheet: str, row: int, col: int):
        rows = self.sheets[sheet]
        if row - 1 < len(rows) and col - 1 < len(rows[row - 1]):
            return rows[row - 1][col - 1]
        return ""

    def raw_block(self, name: str) -> list[list]:
        """The values of a named range as rows (blank cells as ""), as the cells show them."""
        if name not in self.names:
            raise KwaiError(f"{self.path}: the workbook has no defined name {name!r}")
        r = self.names[name]
        return [[self.cell(r.sheet, i, j) for j in range(r.min_col, r.max_col + 1)]
                for i in range(r.min_row, r.max_row + 1)]

    def block(self, name: str) -> list[list]:
        """The values of a named range as rows (blank cells as ""), a choice shown translated read as its code."""
        codes = self.choice_codes
        return [[codes.get(v, v) if isinstance(v, str) else v for v in row] for row in self.raw_block(name)]

    @functools.cached_property
    def choice_codes(self) -> dict:
        """What the workbook's dropdown lists show → the model's codes (empty where they show the codes)."""
        out = {}
        for list_name, codes in CHOICE_LISTS.items():
            if list_name in self.names:
                shown = self.raw_block(list_name)[0]
                out.update({str(s): c for s, c in zip(shown, codes) if s not in ("", None) and str(s) != c})
        return out

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

    def name_at(self, sheet: str, row: int, col: int) -> str:
        """The public name covering a cell (the smallest such range), or ""."""
        covering = [(r.shape[0] * r.shape[1], name) for name, r in self.names.items()
                    if r.sheet == sheet and r.min_row <= row <= r.max_row and r.min_col <= col <= r.max_col]
        return min(covering)[1] if covering else ""

    def error_cells(self) -> list[str]:
        """Every cell holding an error value, as ``Sheet!A1 #VALUE! (name)``, outside the xlwings sheets
        (whose UDFs need the add-in). Read from the sheet XML: python-calamine turns errors into ""."""
        found = []
        with zipfile.ZipFile(self.path) as z:
            udf_sheets = udf_sheet_titles(custom_properties(self.path, z).get(LANG_PROPERTY, "en"))
            for sheet, part in sheet_parts(z).items():
                if sheet in udf_sheets or part not in z.namelist():
                    continue
                for ref, value in ERROR_CELL.findall(z.read(part).decode("utf-8")):
                    name = self.name_at(sheet, *coordinate_to_tuple(ref))
                    found.append(f"{sheet}!{ref} {unescape_xml(value) or '#ERROR'}" + (f" ({name})" if name else ""))
        return found


def failing_checks(values: WorkbookValues) -> list[str]:
    """The labels of the Checks sheet's checks that do not read 1, as the workbook's cached values hold them
    (the master check first); empty when the master check passes."""
    master = values.names.get("check_master")
    if master is None or values.cell(master.sheet, master.min_row, master.min_col) == 1:
        return []
    checked = {"1 = OK"} | {load_labels(lang).get("unit_text", {}).get("1 = OK", "1 = OK") for lang in LANGUAGES}
    rows = values.sheets[master.sheet]  # a check's unit reads "1 = OK" (a flag's does not: it is not in the master)
    return [str(row[0]) for row in rows if len(row) > master.min_col - 1 and str(row[1]).strip() in checked
            and row[master.min_col - 1] != 1]


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
