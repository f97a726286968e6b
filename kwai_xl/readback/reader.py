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

from ..engine.inputs import DRIVERS, GROUPS, UNIT_CONSTANTS, ModelInputs, PeerGroup
from ..engine.sweep import SWEEP_KEYS
from ..errors import KwaiError
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


def _text_or_none(v):
    return None if v in ("", None) else str(v)


def inputs_from_workbook(values: WorkbookValues) -> ModelInputs:
    """The model's inputs as a workbook holds them, read by their public names."""
    def group(prefix: str) -> PeerGroup:
        mcap = values.numbers(f"{prefix}_mcap").ravel()
        n = mcap.size
        shape = (n, 3)
        return PeerGroup(
            mcap=mcap,
            rev=values.numbers(f"{prefix}_rev").reshape(shape),
            np=values.numbers(f"{prefix}_np").reshape(shape) if f"{prefix}_np" in values.names else np.full(shape, np.nan),
            gmv=values.numbers(f"{prefix}_gmv").reshape(shape) if f"{prefix}_gmv" in values.names else np.full(shape, np.nan),
        )

    return ModelInputs(
        scenario=str(values.value("scenario")),
        sotp_stat=str(values.value("sotp_stat")),
        um_netizens=values.number("um_netizens"),
        um_penetration=values.numbers("um_penetration").ravel(),
        um_active_ratio=values.numbers("um_active_ratio").ravel(),
        um_spend=values.numbers("um_spend").ravel(),
        cm_sales=values.numbers("cm_sales").ravel(),
        cm_penetration=values.numbers("cm_penetration").ravel(),
        cm_completion=values.number("cm_completion"),
        cm_share=values.numbers("cm_share").ravel(),
        fx_rmb_per_hkd=values.number("fx_rmb_per_hkd"),
        ks=group("ks"),
        groups={prefix: group(prefix) for prefix in GROUPS},
        sotp_ls_revenue=values.number("sotp_ls_revenue"),
        sotp_ls_margin=values.number("sotp_ls_margin"),
        sotp_ads_revenue=values.number("sotp_ads_revenue"),
        sotp_premium=values.numbers("sotp_premium").ravel(),
        sotp_stat_override=tuple(_text_or_none(v) for v in values.value("sotp_stat_override")),
        net_cash=values.number("net_cash"),
        holding_discount=values.number("holding_discount"),
        shares=values.number("shares"),
        price=values.number("price"),
        drivers={key: values.number(f"drv_{key}") for key in DRIVERS},
        constants={key: values.number(key) for key in UNIT_CONSTANTS},
        ranges={key: _range(values, f"rng_{key}") for key in SWEEP_KEYS if f"rng_{key}" in values.names},
        sens_steps=values.numbers("sens_steps").ravel() if "sens_steps" in values.names else np.array([0.0, 0.5, 1.0]),
    )


def _range(values: WorkbookValues, name: str) -> tuple:
    low, high, basis = values.block(name)[0]
    if basis not in ("relative", "absolute") or not all(isinstance(v, (int, float)) for v in (low, high)):
        raise KwaiError(f"{values.path}: {name} should be low, high and relative/absolute, found {[low, high, basis]}")
    return float(low), float(high), basis
