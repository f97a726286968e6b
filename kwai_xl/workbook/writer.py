"""Placed sheet layouts → an openpyxl workbook: cells, styles, names, validation, print setup."""

from copy import copy
from datetime import date
from itertools import combinations

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule
from openpyxl.utils import column_index_from_string, get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.pagebreak import Break

from . import styles
from .charts import add_chart
from .fingerprint import cell_text
from .fit import text_need, widen, wrap
from .layout import FIRST_VALUE_COL, Item, References, SheetLayout, defined_names


class _Pending:
    """One cell of a generated sheet as the writer decides it: value and style, made an openpyxl cell by
    :meth:`_Grid.write` (fields as openpyxl's cell names them)."""

    __slots__ = ("_value", "data_type", "font", "fill", "border", "alignment", "number_format", "hyperlink", "comment")

    def __init__(self):
        self._value = self.data_type = self.font = self.fill = self.border = self.alignment = None
        self.number_format = self.hyperlink = self.comment = None

    @property
    def value(self):
        return self._value

    @value.setter
    def value(self, value) -> None:
        """A value written again is typed again (as openpyxl's cell does): text set as text no longer holds."""
        self._value, self.data_type = value, None


class _Grid(dict):
    """(row, column) → :class:`_Pending`: a sheet's cells, decided in any order and then written at once, each
    distinct style resolved by openpyxl once and copied to the cells that share it (openpyxl looks up every
    style field of every assignment in its tables, the largest cost of writing a sheet)."""

    def cell(self, row: int, column: int) -> _Pending:
        pending = self.get((row, column))
        if pending is None:
            pending = self[(row, column)] = _Pending()
        return pending

    def write(self, ws) -> None:
        """Make every pending cell a cell of ``ws``, in the order each was first decided."""
        resolved: dict[tuple, tuple] = {}  # style → (its objects, kept so their ids stay theirs; the cell style)
        for (row, column), p in self.items():
            cell = ws.cell(row, column)
            key = (id(p.font), id(p.fill), id(p.border), id(p.alignment), p.number_format)
            hit = resolved.get(key)
            if hit is None:
                for field in ("font", "fill", "border", "alignment", "number_format"):
                    if getattr(p, field) is not None:
                        setattr(cell, field, getattr(p, field))
                resolved[key] = ((p.font, p.fill, p.border, p.alignment), cell._style)
            else:
                cell._style = copy(hit[1])
            if p.value is not None:
                cell.value = p.value
            if p.data_type is not None:
                cell.data_type = p.data_type
            if p.hyperlink is not None:
                cell.hyperlink = p.hyperlink
            if p.comment is not None:
                cell.comment = p.comment


def _text(cell, value) -> None:
    """Write ``value`` as text, even when it starts with = (never a formula) or holds a literal ``_xHHHH_``."""
    cell.value = cell_text(value) if isinstance(value, str) else value
    if isinstance(value, str):
        cell.data_type = "s"


def _fmt(cell, key) -> None:
    if key:
        cell.number_format = styles.NUMBER_FORMATS.get(key, key)


def _per_row(value, i: int):
    return value[i] if isinstance(value, list) else (value if i == 0 else None)


def _write_item(ws, grid: _Grid, sheet: SheetLayout, item: Item, refs: References, validations: dict) -> None:
    for i in range(max(item.h, 1)):
        r = item.row + i
        label = item.row_labels[i] if i < len(item.row_labels) else (item.label if i == 0 else "")
        if label:
            _text(grid.cell(r, 1), label)
            grid.cell(r, 1).font = styles.STALE_FONT if item.style == "stale" else styles.NOTE_FONT if item.kind == "note" else (
                styles.OUTPUT_FONT if item.style == "output" else styles.LABEL_FONT)
        unit = _per_row(item.unit, i) if isinstance(item.unit, list) else (item.unit if i == 0 or item.h > 1 else "")
        if unit:
            _text(grid.cell(r, 2), unit)
            grid.cell(r, 2).font = styles.UNIT_FONT
        as_of = _per_row(item.as_of, i) if isinstance(item.as_of, list) else (item.as_of if i == 0 else None)
        if as_of:
            cell = grid.cell(r, sheet.as_of_col)
            cell.value = date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
            _fmt(cell, "date")
            cell.font, cell.alignment = styles.UNIT_FONT, styles.CENTER
        source = _per_row(item.source, i) if isinstance(item.source, list) else (item.source if i == 0 else "")
        if source:
            _text(grid.cell(r, sheet.source_col), source)
            grid.cell(r, sheet.source_col).font = styles.UNIT_FONT
        for j, raw in enumerate(item.cells[i] if i < len(item.cells) else []):
            if raw is None and item.kind != "input":
                continue
            cell = grid.cell(r, item.col + j)
            if item.kind == "input":  # a blank input slot is styled too: pull reads what is typed there
                if raw is None:
                    pass
                elif isinstance(raw, str):
                    _text(cell, raw)
                else:
                    cell.value = raw
                cell.font, cell.fill = styles.INPUT_FONT, styles.INPUT_FILL
            elif item.kind == "formula":
                cell.value = refs.resolve(raw, sheet.title, i, j, item.h, item.w)
                cell.font = styles.OUTPUT_FONT if item.style == "output" else (
                    styles.LINK_FONT if refs.is_link(raw, sheet.title) else styles.CALC_FONT)
            else:
                _text(cell, raw)
                cell.font = styles.HEADER_FONT if item.style == "header" else (
                    styles.NOTE_FONT if item.style == "note" else styles.LABEL_FONT)
                if item.style == "header":
                    cell.alignment = styles.RIGHT
                elif item.beside:  # text placed right of a table's numbers
                    cell.alignment = styles.TEXT_BESIDE_NUMBERS
            _fmt(cell, item.fmt_at(i, j))
            if item.kind in ("input", "formula"):  # numbers right; a formula giving text reads from the left,
                cell.alignment = styles.TEXT_BESIDE_NUMBERS if item.fmt_at(i, j) == "text" else styles.RIGHT  # apart
            if item.style == "output":
                cell.border = styles.OUTPUT_BORDER
            elif item.style == "stale":
                cell.font = styles.STALE_FONT
        if item.kind == "note" and item.h == 1 and label:
            grid.cell(r, 1).alignment = styles.aligned(vertical="top")
    if item.validation:
        for j in item.validation_cols or range(item.w):
            col = get_column_letter(item.col + j)
            validations.setdefault(item.validation, []).append(f"{col}{item.row}:{col}{item.row + item.h - 1}")
    if item.link and item.link in refs.titles:
        _link(grid.cell(item.row, 1), refs.titles[item.link])
    if item.comment:
        grid.cell(item.row, item.col).comment = Comment(item.comment, "kwai-xl")
    if item.base_cell:
        base = grid.cell(item.row + item.base_cell[0], item.col + item.base_cell[1])
        base.border, base.font = styles.BASE_BORDER, styles.BASE_FONT
    if item.style == "heat":
        rng = f"{get_column_letter(item.col)}{item.row}:{get_column_letter(item.col + item.w - 1)}{item.row + item.h - 1}"
        ws.conditional_formatting.add(rng, ColorScaleRule(start_type="min", start_color="F8696B", mid_type="percentile",
                                                          mid_value=50, mid_color="FFEB84", end_type="max",
                                                          end_color="63BE7B"))
    if item.style in ("check", "flag"):  # a flag is shown, not part of the master check: amber, not red
        rng = f"{get_column_letter(item.col)}{item.row}:{get_column_letter(item.col + item.w - 1)}{item.row + item.h - 1}"
        ws.conditional_formatting.add(rng, CellIsRule(operator="equal", formula=["1"], fill=styles.CHECK_OK_FILL))
        ws.conditional_formatting.add(rng, CellIsRule(operator="notEqual", formula=["1"], fill=(
            styles.CHECK_BAD_FILL if item.style == "check" else styles.FLAG_FILL)))


def _stand_ins(sheet: SheetLayout) -> dict[tuple[int, int], str]:
    """(row, column) → the longest text each text-formula cell of a ``shows`` item can show, for fitting."""
    items = {it.id: it for it in sheet.items() if it.id}
    out = {}
    for item in sheet.items():
        shown = items.get(item.shows)
        if shown is None:
            continue
        texts = [t for t in [*shown.row_labels, *(v for row in shown.cells for v in row)] if isinstance(t, str)]
        longest = max(texts, key=text_need, default="")
        for i in range(item.h):
            for j in range(item.w):
                if item.fmt_at(i, j) == "text":
                    out[(item.row + i, item.col + j)] = longest
    return out


def _link(cell, title: str) -> None:
    """Make ``cell`` a hyperlink to cell A1 of the sheet titled ``title`` (a link, not a formula)."""
    cell.hyperlink = f"#{quote_sheetname(title)}!A1"
    cell.font = styles.HYPERLINK_FONT


def _write_sheet(ws, sheet: SheetLayout, refs: References) -> None:
    ws.sheet_properties.tabColor = sheet.tab_color
    grid = _Grid()
    _text(grid.cell(1, 1), sheet.heading)
    grid.cell(1, 1).font = styles.HEADING_FONT
    _text(grid.cell(2, 1), sheet.subtitle)
    grid.cell(2, 1).font = styles.SUBTITLE_FONT
    if sheet.key != "contents" and "contents" in refs.titles:
        _text(grid.cell(3, 1), sheet.labels_contents)
        _link(grid.cell(3, 1), refs.titles["contents"])
    has_sources = any(it.source for it in sheet.items())
    validations: dict[str, list[str]] = {}
    for block in sheet.blocks:
        for c in range(1, sheet.max_col + 1 if has_sources else sheet.as_of_col):
            grid.cell(block.row, c).fill = styles.BLOCK_FILL
        _text(grid.cell(block.row, 1), f"{block.title} · {block.note}" if block.note else block.title)
        grid.cell(block.row, 1).font = styles.BLOCK_FONT
        for k, header in enumerate(block.header):
            r = block.row + 1 + k
            for c in range(1, sheet.max_col + 1 if has_sources else sheet.as_of_col):
                grid.cell(r, c).fill = styles.HEADER_FILL
            for j, text in enumerate(header):
                if text not in (None, ""):
                    cell = grid.cell(r, FIRST_VALUE_COL + j)
                    _text(cell, str(text))
                    cell.font, cell.alignment = styles.HEADER_FONT, styles.RIGHT
        r = block.row + len(block.header)
        for c, text, field in ((sheet.as_of_col, sheet.labels_as_of, "as_of"),
                               (sheet.source_col, sheet.labels_source, "source")):
            if any(getattr(it, field) for it in block.items):  # a header only over a column the block fills
                _text(grid.cell(r, c), text)
                grid.cell(r, c).font = styles.HEADER_FONT if block.header else styles.BLOCK_FONT
                grid.cell(r, c).alignment = styles.CENTER if c == sheet.as_of_col else styles.aligned()
        for item in block.items:
            _write_item(ws, grid, sheet, item, refs, validations)
    grid.write(ws)
    for list_id, ranges in validations.items():
        dv = DataValidation(type="list", formula1=list_id, allow_blank=True,
                            error=sheet.labels_invalid_choice, errorTitle="kwai-xl", showErrorMessage=True)
        for rng in ranges:
            dv.add(rng)
        ws.add_data_validation(dv)
    ws.column_dimensions["A"].width = sheet.label_width
    ws.column_dimensions["B"].width = sheet.unit_width
    for c in range(FIRST_VALUE_COL, sheet.as_of_col):
        ws.column_dimensions[get_column_letter(c)].width = sheet.value_width
    if has_sources:
        ws.column_dimensions[get_column_letter(sheet.as_of_col)].width = 11
        ws.column_dimensions[get_column_letter(sheet.source_col)].width = min(sheet.source_width, SOURCE_WIDTH)
    last_col = (sheet.max_col if has_sources else sheet.as_of_col - 1) + sheet.print_extra_cols
    source_col = sheet.source_col if has_sources else None
    stand_ins = _stand_ins(sheet)
    widen(ws, last_col, source_col, stand_ins=stand_ins)
    last_col = _chart_cover(ws, sheet, last_col)
    starts = _page_starts(ws, sheet, last_col, source_col)
    if starts:  # a page across may need more room for a text that ran past its break
        widen(ws, last_col, source_col, starts, stand_ins)
        for start in starts:
            ws.col_breaks.append(Break(id=start - 1, max=1048575))  # zero-based: the break is left of column ``start``
        ws.print_title_cols = "A:A"  # each page across repeats the labels
        ws.page_setup.pageOrder = "overThenDown"  # a row band's pages across print one after another
    wrap(ws, last_col, starts, stand_ins)
    if sheet.freeze:
        ws.freeze_panes = sheet.freeze
    _, lines = _chart_layout(sheet, ws, last_col)
    areas = _print_areas(ws, sheet, last_col, lines)
    ws.print_area = [f"A{first}:{get_column_letter(col)}{last}" for first, last, col in areas]
    ws.print_title_rows = "1:2"
    for row in _row_breaks(ws, sheet, last_col, lines, {first for first, _, _ in areas[1:]}):
        ws.row_breaks.append(Break(id=row - 1))  # zero-based: the break is above row ``row``
    ws.page_setup.orientation = "landscape" if _landscape(ws, sheet, last_col) else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    # an explicit scale that fits each page's columns to the page's width (fit-to-page would drop the chart's page break)
    ws.page_setup.scale = int(100 * _scale(ws, sheet, last_col))
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.print_options.gridLines = False
    ws.sheet_view.showGridLines = False
    ws.oddFooter.center.text = sheet.labels_footer


SOURCE_WIDTH = 50      # sources wrap past this, so printouts stay at a readable scale
SOURCE_MIN = 30        # and past this when that saves splitting a sheet across pages
PORTRAIT_WIDTH = 100   # column-width units that fit a portrait A4 page at a readable scale
PRINT_FLOOR = 0.6      # the least print scale a sheet prints at where a column page break can lift it (11 pt → 6.6 pt)
CM_PER_CHAR = 0.19   # an Excel column-width unit, in cm, at the default font
CM_PER_ROW = 0.53    # a default row, in cm
# a column-width unit on paper at 100%, in cm, with some 6% to spare: LibreOffice's PDF measures 0.197 (Peer Comps'
# multiples page: 156 units over 22.3 cm at 72.7%), as Excel's 7 px a unit plus 5 px of padding at 96 dpi gives
PRINT_CM_PER_CHAR = 0.21


def chart_anchors(sheet: SheetLayout, ws, last_col: int) -> tuple[list[str], int]:
    """Each chart's top-left cell, and the rows the charts under the blocks take (see ``_chart_layout``)."""
    anchors, lines = _chart_layout(sheet, ws, last_col)
    return anchors, sum(n for _, n in lines)


def _chart_layout(sheet: SheetLayout, ws, last_col: int) -> tuple[list[str], list[tuple[int, int]]]:
    """Each chart's top-left cell, and the first row and height in rows of each line of charts.

    ``anchor: below K`` charts sit under the last block side by side in the order K. No chart crosses
    a column page break: one that would starts the next page across, or a new line where there is
    none. On a sheet printed across pages the charts keep clear of column A, which every page repeats.
    Any other anchor is taken as a cell address."""
    pages = _pages(ws, last_col)
    spans = [(_x_cm(ws, sheet, 2 if k == 0 and len(pages) > 1 else a), _x_cm(ws, sheet, b + 1))
             for k, (a, b) in enumerate(pages)]
    below = sorted((int((str(spec.get("anchor", "below 0")).split() + ["0"])[1]), n)
                   for n, spec in enumerate(sheet.charts) if str(spec.get("anchor", "below")).startswith("below"))
    anchors = [str(spec.get("anchor")) for spec in sheet.charts]
    span, x_cm, row, line_rows, lines = 0, spans[0][0], sheet.max_row + 1, 0, []
    for _, n in below:
        spec = sheet.charts[n]
        w, rows = spec.get("width", 16), int(spec.get("height", 7.5) / CM_PER_ROW) + 2
        while x_cm > spans[span][0] and x_cm + w > spans[span][1]:  # no room left on this page across
            if span + 1 < len(spans):
                span, x_cm = span + 1, spans[span + 1][0]
            else:
                lines.append((row, line_rows))
                span, x_cm, row, line_rows = 0, spans[0][0], row + line_rows, 0
        col = 1
        while _x_cm(ws, sheet, col) + 0.1 < x_cm:
            col += 1
        anchors[n] = f"{get_column_letter(col)}{row}"
        x_cm, line_rows = _x_cm(ws, sheet, col) + w + 0.5, max(line_rows, rows)
    if below:
        lines.append((row, line_rows))
    return anchors, lines


def _chart_cover(ws, sheet: SheetLayout, last_col: int) -> int:
    """``last_col``, or further right where a chart under the blocks is wider than the columns (a narrow sheet's
    print area takes in its widest chart, so no chart is cut at the print area's edge)."""
    widest = max((spec.get("width", 16) for spec in sheet.charts
                  if str(spec.get("anchor", "below")).startswith("below")), default=0.0) + 0.5
    while _x_cm(ws, sheet, last_col + 1) < widest:
        last_col += 1
    return last_col


def _x_cm(ws, sheet: SheetLayout, col: int) -> float:
    """The left edge of column ``col`` on screen, in cm from column A's."""
    return sum(_width(ws, sheet, c) for c in range(1, col)) * CM_PER_CHAR


def _pages(ws, last_col: int, starts=None) -> list[tuple[int, int]]:
    """The first and last column of each page across: column breaks at ``starts`` (default: the sheet's own)."""
    if starts is None:
        starts = [brk.id + 1 for brk in ws.col_breaks.brk]
    edges = [1, *sorted(s for s in starts if 1 < s <= last_col), last_col + 1]
    return [(a, b - 1) for a, b in zip(edges, edges[1:])]


def _printed_cm(ws, sheet: SheetLayout, first: int, last: int) -> float:
    """Width of a page's columns ``first`` to ``last`` on paper at 100%, in cm, with column A repeated on
    every page after the first (a column's padding included)."""
    cols = ([1] if first > 1 else []) + list(range(first, last + 1))
    return sum(_width(ws, sheet, c) * PRINT_CM_PER_CHAR for c in cols)


def _page_width_cm(ws, sheet: SheetLayout, last_col: int) -> float:
    return 25.7 if _landscape(ws, sheet, last_col) else 17.0  # A4 less margins and some slack, cm


def _landscape(ws, sheet: SheetLayout, last_col: int) -> bool:
    return sheet.landscape or sum(_width(ws, sheet, c) for c in range(1, last_col + 1)) > PORTRAIT_WIDTH


def _scale(ws, sheet: SheetLayout, last_col: int, starts=None) -> float:
    """The print scale (at most 1) that fits every page's columns to the page's width."""
    page_w = _page_width_cm(ws, sheet, last_col)
    return max(0.1, min(1.0, *(page_w / _printed_cm(ws, sheet, a, b) for a, b in _pages(ws, last_col, starts))))


def _page_starts(ws, sheet: SheetLayout, last_col: int, source_col: int | None) -> list[int]:
    """Where the printout starts a new page across, so that every sheet prints at ``PRINT_FLOOR`` or more.

    The fewest pages across that reach the floor win: first one page, with the sources as wide as the
    template asks, then narrower (``SOURCE_MIN``, more lines); then breaks at the template's
    ``page_breaks`` (value-column offsets at block boundaries, in its order of preference), then before
    the sources' columns. When nothing reaches the floor, the breaks that give the best scale. A narrower
    source column, when chosen, is set on ``ws``."""
    candidates = [FIRST_VALUE_COL + k for k in dict.fromkeys(sheet.page_breaks)] + ([sheet.as_of_col] if source_col else [])
    candidates = list(dict.fromkeys(c for c in candidates if FIRST_VALUE_COL < c <= last_col))
    letter = get_column_letter(source_col) if source_col else None
    widths = [ws.column_dimensions[letter].width] if letter else [None]
    if letter and widths[0] > SOURCE_MIN:
        widths.append(SOURCE_MIN)
    best: tuple[float, list[int], float | None] = (0.0, [], widths[0])
    for n in range(len(candidates) + 1):
        for source_width in widths:
            if letter:
                ws.column_dimensions[letter].width = source_width
            for starts in combinations(candidates, n):
                option = (_scale(ws, sheet, last_col, sorted(starts)), sorted(starts), source_width)
                if option[0] >= PRINT_FLOOR:
                    return option[1]
                best = max(best, option, key=lambda option: option[0])
    if letter:
        ws.column_dimensions[letter].width = best[2]
    return best[1]


def _reach(sheet: SheetLayout, block) -> int:
    """The last column where ``block`` holds anything: its header, its items' cells, the as-of and source columns."""
    cols = [FIRST_VALUE_COL + len(row) - 1 for row in block.header]
    cols += [it.col + it.w - 1 for it in block.items if it.w]
    cols += [sheet.source_col for it in block.items if it.source or it.as_of]
    return max(cols, default=1)


def _print_areas(ws, sheet: SheetLayout, last_col: int, lines: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """(first row, last row, last column) of each rectangle of the print area: one, the whole sheet, unless it
    prints across pages. Then each run of blocks whose figures reach the same pages across is an area of its own,
    as wide as its blocks reach, so that no page of figures prints the labels of rows with nothing there (a page
    of only the as-of and source columns lists the sources of the rows that have one; a block of notes alone runs
    with its neighbours). Each area starts a new page; the charts print as wide as the sheet."""
    pages = _pages(ws, last_col)
    runs: list[list] = []  # [first row, last column, the first columns of the pages of figures it reaches]
    for block in sheet.blocks:
        reach = _reach(sheet, block)
        end = next(b for _, b in pages if reach <= b)
        figures = [a for a, b in pages if b <= end and a < sheet.as_of_col] if reach >= FIRST_VALUE_COL else None
        if runs and (figures is None or runs[-1][2] in (None, figures)):
            runs[-1][1:] = [max(runs[-1][1], end), runs[-1][2] or figures]
        else:
            runs.append([block.row if runs else 1, end, figures])
    if not runs or lines and runs[-1][1] != last_col:
        runs.append([sheet.max_row if runs else 1, last_col, None])
    bottom = sheet.max_row + sum(n for _, n in lines)
    return [(run[0], nxt[0] - 1 if nxt else bottom, run[1]) for run, nxt in zip(runs, [*runs[1:], None])]


def _page_height_cm(ws, sheet: SheetLayout, last_col: int) -> float:
    # A4 less margins, header and footer, cm (LibreOffice's PDF holds some 16.4 cm of rows on a landscape page)
    return 16.0 if _landscape(ws, sheet, last_col) else 24.5


def _row_breaks(ws, sheet: SheetLayout, last_col: int, lines: list[tuple[int, int]], area_starts=frozenset()) -> list[int]:
    """The rows that start a printed page down, so that no block and no line of charts is split across two.

    A sheet that fits one page gets none. Otherwise a block (its title to the blank row after it) that
    would pass the page's foot starts the next page, as do the charts (under a blank row, clear of the
    table's page) and then each line of charts that would pass a page's foot. A block taller than a page
    runs on over pages as it must. Pages after the first repeat the title rows (1 and 2). A print area's
    first row (``area_starts``) starts a page of itself and needs no break."""
    tall = {r: dims.height / 15 for r, dims in ws.row_dimensions.items() if dims.height}  # rows of other than 15 pt

    def height(first: int, last: int) -> float:  # in default rows
        return sum(tall.get(r, 1.0) for r in range(first, last + 1))

    page = _page_height_cm(ws, sheet, last_col) / (CM_PER_ROW * _scale(ws, sheet, last_col))
    titles = height(1, 2)
    chart_rows = sum(n for _, n in lines)
    if height(1, sheet.max_row) + chart_rows <= page:
        return []
    units = [(b.row, height(b.row, (nxt.row if nxt else sheet.max_row) - 1))
             for b, nxt in zip(sheet.blocks, [*sheet.blocks[1:], None])]
    if lines:
        units += [(sheet.max_row, 1 + lines[0][1])] + [(first - 1, n) for first, n in lines[1:]]
    starts, used = [], height(1, units[0][0] - 1) if units else 0.0
    for k, (first, h) in enumerate(units):
        charts_begin = bool(lines) and k == len(sheet.blocks)
        if first in area_starts:
            used = titles
        elif used > titles and (charts_begin or page < used + h <= used + page - titles):
            starts.append(first)
            used = titles
        while used + h > page:  # taller than a page: it runs on over the next
            h -= page - used
            used = titles
        used += h
    return starts


def _print_last_col(ws) -> int:
    """The last column of ``ws``'s print area (of its widest rectangle)."""
    lasts = [ref.split(":")[-1].replace("$", "") for ref in str(ws.print_area).split(",")]
    return max(column_index_from_string("".join(ch for ch in last if ch.isalpha())) for last in lasts)


def _width(ws, sheet: SheetLayout, col: int) -> float:
    return ws.column_dimensions[get_column_letter(col)].width or _column_width(sheet, col)


def _column_width(sheet: SheetLayout, col: int) -> float:
    if col == 1:
        return sheet.label_width
    if col == 2:
        return sheet.unit_width
    if col < sheet.as_of_col:
        return sheet.value_width
    return 11 if col == sheet.as_of_col else sheet.source_width


def workbook_from_layouts(sheets: list[SheetLayout]) -> Workbook:
    """The openpyxl workbook of placed ``sheets``: every cell, name, validation, chart and print setting."""
    refs = References(sheets)
    wb = Workbook()
    wb.remove(wb.active)
    styles.remember_styles(wb)
    for sheet in sheets:
        _write_sheet(wb.create_sheet(sheet.title), sheet, refs)
    for name, ref in defined_names(sheets).items():
        wb.defined_names[name] = DefinedName(name, attr_text=ref)
    for sheet in sheets:
        ws = wb[sheet.title]
        anchors, _ = chart_anchors(sheet, ws, _print_last_col(ws))
        for spec, anchor in zip(sheet.charts, anchors):
            add_chart(ws, spec, refs, anchor)
    wb.calculation.fullCalcOnLoad = True
    return wb
