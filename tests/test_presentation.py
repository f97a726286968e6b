"""What a reader sees: no text cut on screen or in print (a measured rule), and a Chinese workbook without English units."""

import math
import re
import unicodedata

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from kwai_xl.paths import DATA_DIR
from kwai_xl.quarters.schema import load_quarter
from kwai_xl.workbook.build import build_workbook, layouts

ALLOWED_LATIN = re.compile(r"GMV|IPO|DAU|ARPPU|eCPM|ad load|P/GMV|KWAI_\w+|n\.a\.|\d{4}[QE]\d?|\b[A-Z]{2,5}\b|top\d+|FY\d*|Q\d")


def need(text: str, bold: bool = False, size: float = 11) -> float:
    """Column-width units a one-line text needs: CJK (wide) characters count double, plus one of padding."""
    units = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return units * (1.1 if bold else 1) * size / 11 + 1


@pytest.fixture(scope="module", params=["en", "zh"])
def book(request, seed_quarter, tmp_path_factory):
    path = build_workbook(seed_quarter, tmp_path_factory.mktemp("look") / f"k-{request.param}.xlsx",
                          lang=request.param).path
    return request.param, load_workbook(path)


def _areas(ws) -> list[tuple[int, int, int]]:
    """(first row, last row, last column) of each rectangle of the print area (each prints on pages of its own)."""
    out = []
    for ref in str(ws.print_area).split(","):
        first, last = ref.split("!")[-1].replace("$", "").split(":")
        out.append((int(re.sub(r"\D", "", first)), int(re.sub(r"\D", "", last)),
                    ws[re.sub(r"\d+", "", last) + "1"].column))
    return out


def _last_col(ws) -> int:
    return max(col for _, _, col in _areas(ws))


def _width(ws, col: int) -> float:
    return ws.column_dimensions[get_column_letter(col)].width or 8.43


def _page_starts(ws) -> list[int]:
    """The first column of each page across after the first (a column break is left of column id + 1)."""
    return sorted(b.id + 1 for b in ws.col_breaks.brk)


def _page_end(ws, col: int, last: int) -> int:
    """The last column printed on the same page as ``col``."""
    return min([s - 1 for s in _page_starts(ws) if s > col] + [last])


def test_no_text_is_cut(book):
    """Every text cell fits: its own column (right-aligned, centred, or a neighbour in the way), or the empty
    cells to its right within the print area, up to a column page break; a wrapped cell fits in its lines
    (row height / 15 pt)."""
    _, wb = book
    merged = {}
    for ws in wb:
        for rng in ws.merged_cells.ranges:
            merged[(ws.title, rng.min_row, rng.min_col)] = rng.max_col
    cut = []
    for ws in wb:
        last = _last_col(ws)
        for row in ws.iter_rows(max_col=last):
            for cell in row:
                if not (isinstance(cell.value, str) and cell.data_type == "s" and cell.value):
                    continue
                font = cell.font
                n = need(cell.value, bool(font.b), float(font.sz or 11))
                end = merged.get((ws.title, cell.row, cell.column), cell.column)
                room = sum(_width(ws, c) for c in range(cell.column, end + 1))
                if cell.alignment.wrap_text:
                    lines = (ws.row_dimensions[cell.row].height or 15) / (15 * float(font.sz or 11) / 11)
                    ok = n <= (room - 1) * math.floor(lines + 1e-9) + 1 + 1e-6
                else:
                    if cell.alignment.horizontal not in ("right", "center"):
                        for c in range(end + 1, _page_end(ws, end, last) + 1):  # a text does not run onto the next page
                            if ws.cell(cell.row, c).value not in (None, ""):
                                break
                            room += _width(ws, c)
                    ok = n <= room + 1e-6
                if not ok:
                    cut.append(f"{ws.title}!{cell.coordinate} {cell.value[:40]!r} needs {n:.0f}, has {room:.0f}")
    assert cut == []


PRINT_FLOOR = 60  # per cent: below this an A4 printout's 11 pt text is smaller than 6.6 pt
A4_CM = {"portrait": (21.0, 29.7), "landscape": (29.7, 21.0)}
IN_CM = 2.54


def _column_cm(width: float) -> float:
    """A column's width on paper at 100%: Excel's 7 pixels per width unit plus 5 of padding at 96 dpi (Calibri
    11; LibreOffice's Carlito has the same metrics and its PDF measures within 1% of this)."""
    return (7 * width + 5) / 96 * IN_CM


@pytest.fixture(scope="module", params=[(q.stem, lang) for q in sorted(DATA_DIR.glob("*.yaml")) for lang in ("en", "zh")],
                ids=lambda p: f"{p[0]}-{p[1]}")
def printed(request, tmp_path_factory):
    """Every shipped quarter, built in each language."""
    quarter, lang = request.param
    path = build_workbook(load_quarter(DATA_DIR / f"{quarter}.yaml"), tmp_path_factory.mktemp("print") / f"{quarter}-{lang}.xlsx",
                          lang=lang).path
    return request.param, load_workbook(path)


def test_every_sheet_prints_at_a_readable_scale_and_each_page_across_fits(printed):
    """Each sheet's print scale is at least the floor, and at that scale each page across (the print area's columns
    between column breaks, with column A repeated on every page after the first) fits A4's width between the
    margins; charts neither cross a column break, nor sit in the repeated column A, nor cross a row break."""
    (quarter, lang), wb = printed
    low, wide, split = [], [], []
    for ws in wb:
        setup, margins = ws.page_setup, ws.page_margins
        scale = setup.scale or 100
        if scale < PRINT_FLOOR:
            low.append(f"{ws.title} prints at {scale}%")
        last, starts = _last_col(ws), _page_starts(ws)
        if starts:
            assert str(ws.print_title_cols).replace("$", "") == "A:A", ws.title  # the labels repeat on every page
        room = A4_CM[setup.orientation][0] - (margins.left + margins.right) * IN_CM
        edges = [1, *starts, last + 1]
        for first, end in zip(edges, edges[1:]):
            cols = ([1] if first > 1 else []) + list(range(first, end))
            need = sum(_column_cm(_width(ws, c)) for c in cols) * scale / 100
            if need > room:
                wide.append(f"{ws.title} columns {get_column_letter(first)}:{get_column_letter(end - 1)} need "
                            f"{need:.1f} cm of {room:.1f}")
        x = [0.0]
        for c in range(1, last + 2):
            x.append(x[-1] + _column_cm(_width(ws, c)))
        row_breaks = {b.id + 1 for b in ws.row_breaks.brk}  # a page starts at each of these rows
        for chart in ws._charts:
            frm, ext = chart.anchor._from, chart.anchor.ext
            left = x[frm.col] + frm.colOff / 360000
            right = left + ext.width / 360000
            first_col = frm.col + 1
            last_col = max(c for c in range(1, last + 2) if x[c - 1] < right)
            top, row, height = frm.rowOff / 360000, frm.row + 1, ext.height / 360000
            rows = [row]
            while top + height > (ws.row_dimensions[rows[-1]].height or 15) / 72 * IN_CM:
                top -= (ws.row_dimensions[rows[-1]].height or 15) / 72 * IN_CM
                rows.append(rows[-1] + 1)
            if (starts and first_col == 1) or any(first_col < s <= last_col for s in starts) or \
                    any(rows[0] < r <= rows[-1] for r in row_breaks) or last_col > last:
                split.append(f"{ws.title} chart at {get_column_letter(first_col)}{row} "
                             f"(to {get_column_letter(last_col)}{rows[-1]})")
    assert low == [], f"{quarter} {lang}"
    assert wide == [], f"{quarter} {lang}"
    assert split == [], f"{quarter} {lang}"


def _is_text(value) -> bool:
    return isinstance(value, str) and not value.startswith("=")


def test_no_page_across_prints_a_row_without_its_figures(printed):
    """On a sheet printed across pages (column A repeated on each), a row whose figures print on one page across
    is not printed as a bare label on another page of its print area that holds figures: Peer Comps' mean, median
    and count say on the fundamentals' page where they are, and Sensitivity's ranked table and grids (on the first
    page across only) print in an area of their own. A page of only the as-of and source columns (no formulas)
    lists the rows' own sources, and a row without one is blank there. A row of text alone (a block's title over
    its as-of and source columns) has no figures."""
    (quarter, lang), wb = printed
    bare = []
    for ws in wb:
        starts = _page_starts(ws)
        for top, bottom, last in _areas(ws) if starts else []:
            edges = [3, *(s for s in starts if s <= last), last + 1]
            pages = list(zip(edges, edges[1:]))
            rows = {r: [[ws.cell(r, c).value for c in range(a, b)] for a, b in pages] for r in range(top, bottom + 1)}
            held = [[any(v not in (None, "") for v in page) for page in cells] for cells in rows.values()]
            figures = [any(isinstance(v, str) and v.startswith("=") for cells in rows.values() for v in cells[k])
                       for k in range(len(pages))]
            for (r, cells), on in zip(rows.items(), held):
                if ws.cell(r, 1).value and any(v is not None and not _is_text(v) for page in cells for v in page):
                    bare += [f"{ws.title}!A{r} {str(ws.cell(r, 1).value)[:30]!r} on page across {k + 1}"
                             for k, here in enumerate(on) if not here and figures[k]]
    assert bare == [], f"{quarter} {lang}"


def test_as_of_and_source_headers_stand_over_what_they_name(book, seed_quarter):
    """A block's "as of" and "source" headers head columns that hold something in the block: the Checks sheet's
    stale guard (dates, their age, the threshold's source) reads as of, Age (days), Source, with no second "as of"
    over the empty as-of column."""
    lang, wb = book
    empty = []
    for sheet in layouts(seed_quarter, lang):
        ws = wb[sheet.title]
        for block, nxt in zip(sheet.blocks, [*sheet.blocks[1:], None]):
            head, end = block.row + len(block.header), (nxt.row if nxt else sheet.max_row)
            for col, text in ((sheet.as_of_col, sheet.labels_as_of), (sheet.source_col, sheet.labels_source)):
                if ws.cell(head, col).value == text and all(ws.cell(r, col).value is None for r in range(head + 1, end)):
                    empty.append(f"{ws.title}!{ws.cell(head, col).coordinate} {text!r}")
    assert empty == []
    checks = wb["Checks" if lang == "en" else "检查"]
    header = next(r for r in checks.iter_rows(values_only=True) if "Age (days)" in r or "天数 (天)" in r)
    assert [v for v in header if v] == (["as of", "Age (days)", "Source"] if lang == "en" else ["截至", "天数 (天)", "来源"])


def test_chinese_workbook_has_no_english_units_or_footer(book):
    lang, wb = book
    if lang != "zh":
        pytest.skip("the Chinese workbook only")
    english = []
    for ws in wb:
        footer = re.sub(r"&[APN]", "", ws.oddFooter.center.text)
        assert not re.search(r"[A-Za-z]{2,}", ALLOWED_LATIN.sub("", footer)), (ws.title, footer)
        for cell in ws["B"]:
            if cell.row > 3 and isinstance(cell.value, str) and re.search(r"[A-Za-z]", ALLOWED_LATIN.sub("", cell.value)):
                english.append(f"{ws.title}!{cell.coordinate} {cell.value!r}")
    assert english == []


def test_chinese_dropdowns_show_chinese_and_pull_writes_codes(tmp_path, seed_quarter):
    """The zh workbook's choices read 中性/平均值/…; pull maps what a cell shows back to the data file's code."""
    from kwai_xl.readback.pull import pull

    path = build_workbook(seed_quarter, tmp_path / "zh.xlsx", lang="zh").path
    wb = load_workbook(path)

    def cell(name):
        sheet, ref = next(iter(wb.defined_names[name].destinations))
        return wb[sheet][ref.replace("$", "").split(":")[0]]

    assert (cell("scenario").value, cell("sotp_stat").value, cell("sotp_metric_source").value) == ("中性", "平均值", "手填估计")
    assert [c.value for c in wb[next(iter(wb.defined_names["scenario_names"].destinations))[0]][
        next(iter(wb.defined_names["scenario_names"].destinations))[1].replace("$", "")][0]] == ["悲观", "中性", "乐观"]
    cell("scenario").value, cell("sotp_stat").value = "乐观", "中位数"
    edited = tmp_path / "zh-edited.xlsx"
    wb.save(edited)
    data_dir = tmp_path / "q"
    data_dir.mkdir()
    (data_dir / "2022Q2.yaml").write_text(seed_quarter.path.read_text(encoding="utf-8"), encoding="utf-8")
    changes = {c.path: c.new for c in pull(edited, data_dir=data_dir, dry_run=True).changes}
    assert changes == {"choices.scenario.value": "Bull", "choices.statistic.value": "Median"}
