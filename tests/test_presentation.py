"""What a reader sees: no text cut on screen or in print (a measured rule), and a Chinese workbook without English units."""

import math
import re
import unicodedata

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from kwai_xl.workbook.build import build_workbook

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


def _last_col(ws) -> int:
    ref = str(ws.print_area).split(":")[-1].replace("$", "")
    return ws[re.sub(r"\d+", "", ref) + "1"].column


def _width(ws, col: int) -> float:
    return ws.column_dimensions[get_column_letter(col)].width or 8.43


def test_no_text_is_cut(book):
    """Every text cell fits: its own column (right-aligned, centred, or a neighbour in the way), or the empty
    cells to its right within the print area; a wrapped cell fits in its lines (row height / 15 pt)."""
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
                        for c in range(end + 1, last + 1):
                            if ws.cell(cell.row, c).value not in (None, ""):
                                break
                            room += _width(ws, c)
                    ok = n <= room + 1e-6
                if not ok:
                    cut.append(f"{ws.title}!{cell.coordinate} {cell.value[:40]!r} needs {n:.0f}, has {room:.0f}")
    assert cut == []


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
