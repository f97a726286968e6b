"""Column widths and wrapping, measured: no label, header, note or source is cut on screen or in print.

A text's need is its length in Excel column-width units (about one '0' each) with East Asian wide
characters counting double, scaled for bold or large fonts, plus one unit of padding. A left-aligned
text may run into empty cells to its right, up to the end of its printed page: the print area's last
column, or the last column before a column page break. Anything else must fit its own column.

What does not fit widens its column, to the widest such text that fits under the column's cap; a text
past the cap wraps there, the column made wide enough that it takes at most two lines (up to the cap),
and its row tall enough for its lines. A note or title alone on its row in column A widens nothing: it
wraps across the first printed page. A formula showing text is measured by a stand-in, the longest
text it can show (see ``Item.shows``).
"""

import functools
import math
import unicodedata

from openpyxl.utils import get_column_letter

from .styles import aligned

ROW_POINTS = 15.0        # one line of 11 pt text
CAPS = {1: 60, 2: 30}    # the label and unit columns' widest; value columns below
VALUE_CAP = 24


@functools.lru_cache(maxsize=4096)
def text_need(text: str, bold: bool = False, size: float = 11) -> float:
    """Column-width units ``text`` needs on one line: wide (CJK) characters count double; plus padding."""
    units = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return units * (1.1 if bold else 1.0) * size / 11 + 1


def font_and_alignment(cell):
    """The cell's font and alignment objects, read from its workbook's style tables (``cell.font`` and
    ``cell.alignment`` wrap each read in a new proxy object)."""
    wb, style = cell.parent.parent, cell._style
    return wb._fonts[style.fontId], wb._alignments[style.alignmentId]


def cell_need(cell, text: str | None = None) -> float:
    """Column-width units the cell's text (or ``text``, what its formula can show) needs, its indent included."""
    font, alignment = font_and_alignment(cell)
    indent = 2.0 * float(alignment.indent or 0)  # a level ≈ 2 units
    return text_need(str(cell.value if text is None else text), bool(font.b), float(font.sz or 11)) + indent


def width(ws, col: int) -> float:
    return ws.column_dimensions[get_column_letter(col)].width or 8.43


class Widths(dict):
    """Column → :func:`width`, each read once: for a pass that changes no width until it ends."""

    def __init__(self, ws):
        super().__init__()
        self.ws = ws

    def __missing__(self, col: int) -> float:
        self[col] = width(self.ws, col)
        return self[col]


def page_end(col: int, last_col: int, page_starts=()) -> int:
    """The last column printed on the same page as ``col``: the print area's last, or the one before the next break."""
    return min([s - 1 for s in page_starts if s > col] + [last_col])


def filled(ws) -> set[tuple[int, int]]:
    """(row, column) of every cell of ``ws`` that holds something (read once a pass: fitting changes no value)."""
    return {(r, c) for (r, c), cell in ws._cells.items() if cell.value not in (None, "")}


def room(widths: Widths, cell, last_col: int, page_starts, full: set) -> float:
    """Width a text cell may use: its own column, plus the empty cells to its right on its page when left-aligned
    (``full``: the cells that hold something, :func:`filled`)."""
    total = widths[cell.column]
    if font_and_alignment(cell)[1].horizontal in ("right", "center"):
        return total
    for c in range(cell.column + 1, page_end(cell.column, last_col, page_starts) + 1):
        if (cell.row, c) in full:
            break
        total += widths[c]
    return total


def _alone(cell, last_col: int, full: set) -> bool:
    """Whether ``cell`` is a column-A text with nothing else on its printed row (a note, a block title)."""
    return cell.column == 1 and not any((cell.row, c) in full for c in range(2, last_col + 1))


def _lines(need: float, span: float) -> int:
    return math.ceil(need / max(span - 1, 1) * 1.05)


def _wrap(ws, cell, need: float, span: float, merge_to: int | None = None, beside=()) -> None:
    """Wrap ``cell`` in ``span`` width units (across to ``merge_to``), its row made tall enough; the row's other
    values (``beside``: their columns) set level with its first line."""
    if merge_to and merge_to > cell.column:
        ws.merge_cells(start_row=cell.row, start_column=cell.column, end_row=cell.row, end_column=merge_to)
    cell.alignment = aligned(cell.alignment.horizontal, "top", wrap_text=True)
    height = max(ws.row_dimensions[cell.row].height or ROW_POINTS,
                 _lines(need, span) * ROW_POINTS * (float(cell.font.sz or 11) / 11))
    ws.row_dimensions[cell.row].height = height
    for other in (ws.cell(cell.row, c) for c in beside if c != cell.column):
        if other.alignment.vertical is None:
            other.alignment = aligned(other.alignment.horizontal, "top", indent=other.alignment.indent)


def _texts(ws, last_col: int, stand_ins: dict | None = None) -> list[tuple]:
    """(cell, its need) for every text cell of the print area, and every formula cell with a stand-in text, by row
    then column (the sheet's own cells only: none is made for an empty address)."""
    stand_ins = stand_ins or {}
    out = []
    for (r, col), c in sorted(ws._cells.items()):
        if col > last_col:
            continue
        if (r, col) in stand_ins:
            out.append((c, cell_need(c, stand_ins[(r, col)])))
        elif isinstance(c.value, str) and c.data_type == "s" and c.value:
            out.append((c, cell_need(c)))
    return out


def widen(ws, last_col: int, source_col: int | None = None, page_starts=(), stand_ins: dict | None = None) -> None:
    """Widen each column to its widest text that does not fit in it (up to the column's cap); sources and notes wrap
    instead. A formula's stand-in text widens its column up to the widest cap: the formula may show it on any row."""
    wanted: dict[int, float] = {}
    full, widths = filled(ws), Widths(ws)
    for cell, need in _texts(ws, last_col, stand_ins):
        if cell.column == source_col or cell.row <= 2 or _alone(cell, last_col, full):
            continue
        have = room(widths, cell, last_col, page_starts, full)
        if need <= have:
            continue
        shown = stand_ins and (cell.row, cell.column) in stand_ins  # its row may show any: one line for all
        cap = max(CAPS.values()) if shown else CAPS.get(cell.column, VALUE_CAP)
        others = have - widths[cell.column]  # the empty cells it may run into
        own = need - others
        if own > cap:  # it will wrap in its own column: wide enough for two lines
            own = next((w for w in range(math.ceil(need / 2), cap + 1) if _lines(need, w) <= 2), cap)
        wanted[cell.column] = max(wanted.get(cell.column, 0), min(cap, math.ceil(own * 2) / 2))  # in half units
    for col, want in wanted.items():
        ws.column_dimensions[get_column_letter(col)].width = max(widths[col], want)


def wrap(ws, last_col: int, page_starts=(), stand_ins: dict | None = None) -> None:
    """Wrap every text that still does not fit: a note alone on its row across the first page, anything else in its column."""
    first_page = page_end(1, last_col, page_starts)
    widths = Widths(ws)
    printed = sum(widths[c] for c in range(1, first_page + 1))
    full = filled(ws)
    by_row: dict[int, list[int]] = {}
    for r, c in full:
        by_row.setdefault(r, []).append(c)
    for cell, need in _texts(ws, last_col, stand_ins):
        if need <= room(widths, cell, last_col, page_starts, full):
            continue
        if _alone(cell, last_col, full):
            _wrap(ws, cell, need, printed, merge_to=first_page)
        else:
            _wrap(ws, cell, need, widths[cell.column], beside=by_row.get(cell.row, ()))
