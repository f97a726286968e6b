"""Column widths and wrapping, measured: no label, header, note or source is cut on screen or in print.

A text's need is its length in Excel column-width units (about one '0' each) with East Asian wide
characters counting double, scaled for bold or large fonts, plus one unit of padding. A left-aligned
text may run into empty cells to its right, up to the print area's last column; anything else must fit
its own column. What does not fit widens its column up to a cap; beyond the cap it wraps (notes and
titles across the printed width), with the row made tall enough for its lines.
"""

import functools
import math
import unicodedata

from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

ROW_POINTS = 15.0        # one line of 11 pt text
CAPS = {1: 60, 2: 30}    # the label and unit columns' widest; value columns below
VALUE_CAP = 24


@functools.lru_cache(maxsize=4096)
def text_need(text: str, bold: bool = False, size: float = 11) -> float:
    """Column-width units ``text`` needs on one line: wide (CJK) characters count double; plus padding."""
    units = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return units * (1.1 if bold else 1.0) * size / 11 + 1


def cell_need(cell) -> float:
    font = cell.font
    return text_need(str(cell.value), bool(font and font.b), float(font.sz or 11) if font else 11)


def width(ws, col: int) -> float:
    return ws.column_dimensions[get_column_letter(col)].width or 8.43


def room(ws, cell, last_col: int) -> float:
    """Width a text cell may use: its own column, plus the empty cells to its right when left-aligned."""
    total = width(ws, cell.column)
    if cell.alignment.horizontal in ("right", "center"):
        return total
    for c in range(cell.column + 1, last_col + 1):
        if ws.cell(cell.row, c).value not in (None, ""):
            break
        total += width(ws, c)
    return total


def _wrap(ws, cell, span: float, merge_to: int | None = None) -> None:
    if merge_to and merge_to > cell.column:
        ws.merge_cells(start_row=cell.row, start_column=cell.column, end_row=cell.row, end_column=merge_to)
    cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal=cell.alignment.horizontal)
    lines = math.ceil(cell_need(cell) / max(span - 1, 1) * 1.05)
    height = max(ws.row_dimensions[cell.row].height or ROW_POINTS, lines * ROW_POINTS * (float(cell.font.sz or 11) / 11))
    ws.row_dimensions[cell.row].height = height


def fit_text(ws, last_col: int, source_col: int | None = None) -> None:
    """Widen columns (up to their caps) or wrap cells so every text cell of ``ws`` shows whole."""
    texts = [c for row in ws.iter_rows(min_row=1, max_col=last_col) for c in row
             if isinstance(c.value, str) and c.data_type == "s" and c.value]
    for cell in texts:  # widen first: a column's widest text, up to the cap
        if cell.column == source_col or cell.row <= 2:
            continue
        need, have = cell_need(cell), room(ws, cell, last_col)
        if need > have:
            cap = CAPS.get(cell.column, VALUE_CAP)
            letter = get_column_letter(cell.column)
            wanted = math.ceil((need - (have - width(ws, cell.column))) * 2) / 2  # in half units
            ws.column_dimensions[letter].width = min(cap, max(width(ws, cell.column), wanted))
    printed = sum(width(ws, c) for c in range(1, last_col + 1))
    for cell in texts:  # then wrap what still does not fit
        need, have = cell_need(cell), room(ws, cell, last_col)
        if need <= have:
            continue
        if cell.column == 1 and all(ws.cell(cell.row, c).value in (None, "") for c in range(2, last_col + 1)):
            _wrap(ws, cell, printed, merge_to=last_col)
        else:
            _wrap(ws, cell, width(ws, cell.column))
