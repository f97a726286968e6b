"""Cells formatted as text (kwai_xl.workbook.sheetdata) against openpyxl's own writer, part by part."""

import io
import math
import zipfile
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from xml.etree import ElementTree

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.worksheet.formula import ArrayFormula

from kwai_xl.paths import DATA_DIR
from kwai_xl.quarters.schema import load_quarter
from kwai_xl.workbook.build import generated_workbook
from kwai_xl.workbook.sheetdata import package_bytes, xml_attribute, xml_text

TIMESTAMPED = "docProps/core.xml"  # the time of saving


def parts(data: bytes) -> dict[str, str]:
    """Each part of an .xlsx package, XML canonicalised (C14N: attribute order, empty-element form)."""
    z = zipfile.ZipFile(io.BytesIO(data))
    return {name: ElementTree.canonicalize(z.read(name).decode("utf-8")) if name.endswith((".xml", ".rels", ".vml"))
            else z.read(name) for name in z.namelist() if name != TIMESTAMPED}


def openpyxl_bytes(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def assert_same_package(make) -> None:
    """A workbook made by ``make()`` saved by openpyxl and by ``package_bytes`` has the same parts."""
    ours, theirs = parts(package_bytes(make())), parts(openpyxl_bytes(make()))
    assert list(ours) == list(theirs)
    for name in ours:
        assert ours[name] == theirs[name], name


@pytest.mark.parametrize("quarter,lang,xlwings", [("2022Q2", "en", False), ("2025Q4", "zh", False),
                                                    ("2025Q3", "en", True)])
def test_a_generated_workbook_is_saved_as_openpyxl_saves_it(quarter, lang, xlwings):
    q = load_quarter(DATA_DIR / f"{quarter}.yaml")
    assert_same_package(lambda: generated_workbook(q, lang, xlwings))


def analyst_workbook() -> Workbook:
    """A sheet with every kind of cell an analyst's sheet may carry into a build."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Mine & <yours>"
    rows = [
        ["plain", "  leading and trailing  ", "   ", 'quotes " and & < >', "line\nbreak\ttab", "快手 01024"],
        [1, -0.0, 1e-300, 123456789.123456789, 2**53 + 1, Decimal("1.10")],
        [np.float64(0.1), np.int64(7), math.nan, math.inf, True, False],
        ["=A2*2", '=IF(A1="x","<&>",1)', "=SUM(A2:F2)", "#N/A", date(2025, 12, 5), datetime(2025, 12, 5, 9, 30)],
        [time(9, 30), timedelta(days=1, hours=6), "", None, "=A1&\" \"", "x"],
    ]
    for row in rows:
        ws.append(row)
    ws["D4"].data_type = "e"
    ws["A6"] = CellRichText("bold ", TextBlock(InlineFont(b=True), "part"), " plain")
    ws["B6"] = ArrayFormula("B6:B7", "=A2:A3*2")
    ws["C6"].font = Font(bold=True)  # styled, empty
    ws["D6"].comment = Comment("why this figure", "analyst")
    ws["E6"] = "link"
    ws["E6"].hyperlink = "https://www.hkexnews.hk/"
    ws.row_dimensions[3].height = 30
    ws.row_dimensions[9].hidden = True  # a row with no cells
    return wb


def test_an_analysts_cells_of_every_kind_are_saved_as_openpyxl_saves_them():
    assert_same_package(analyst_workbook)


@st.composite
def sheets(draw):
    cells = draw(st.lists(st.tuples(st.integers(1, 30), st.integers(1, 12), st.one_of(
        st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12),
        st.integers(-(2**62), 2**62), st.floats(allow_nan=False), st.booleans(),
        st.text(st.sampled_from("AB12+-*/()&<>\" "), min_size=1, max_size=10).map(lambda t: "=" + t))), max_size=40))
    return cells


@settings(max_examples=60, deadline=None)
@given(sheets())
def test_any_cells_are_saved_as_openpyxl_saves_them(cells):
    def make():
        wb = Workbook()
        for row, col, value in cells:
            wb.active.cell(row, col).value = value
        return wb
    assert_same_package(make)


def test_attribute_values_are_escaped_as_elementtree_escapes_them():
    text = 'a&b<c>"d"\r\n\t'
    element = ElementTree.Element("x", v=text)
    assert ElementTree.tostring(element, encoding="unicode") == f'<x v="{xml_attribute(text)}" />'


@given(st.text())
def test_text_is_escaped_as_saxutils_escapes_it(text):
    from xml.sax.saxutils import escape

    assert xml_text(text) == escape(text)


def test_a_cell_decided_again_is_typed_again():
    """The writer's grid types a cell as openpyxl's cell does: text written as text stays text (even "=…"), and a
    value written over it later is typed afresh (a formula, a number)."""
    from openpyxl import Workbook

    from kwai_xl.workbook.writer import _Grid, _text

    ws = Workbook().active
    grid = _Grid()
    _text(grid.cell(1, 1), "label")
    grid.cell(1, 1).value = "=1+1"
    _text(grid.cell(1, 2), "=not a formula")
    _text(grid.cell(1, 3), "x")
    grid.cell(1, 3).value = 5
    grid.write(ws)
    assert [(ws.cell(1, k).value, ws.cell(1, k).data_type) for k in (1, 2, 3)] == [
        ("=1+1", "f"), ("=not a formula", "s"), (5, "n")]
