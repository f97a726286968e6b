"""What an analyst expects of the file itself: safe formulas, FAST colours, units, names, layout from templates."""


import pytest
from openpyxl import load_workbook
from openpyxl.utils import quote_sheetname

from kwai_xl.readback.lint import formula_problems, lint_workbook
from kwai_xl.workbook.build import build_workbook


@pytest.fixture(scope="module")
def book(seed_quarter, tmp_path_factory):
    path = build_workbook(seed_quarter, tmp_path_factory.mktemp("conv") / "k.xlsx").path
    return load_workbook(path)


def test_every_formula_uses_safe_functions_and_no_typed_figures(book):
    assert lint_workbook(book) == []
    formulas = sum(1 for ws in book for row in ws.iter_rows() for c in row if c.data_type == "f")
    assert formulas > 400


@pytest.mark.parametrize("formula, problem", [
    ("=XLOOKUP(A1,B1:B3,C1:C3)", "XLOOKUP"), ("=OFFSET(A1,1,1)", "OFFSET"), ("=INDIRECT(\"A1\")", "INDIRECT"),
    ("=A1*1.1", "constant 1.1"), ("=A1/12", "constant 12"),
    ("=IF(SUMPRODUCT(--ISERROR(A1:C9))=0,1,0)", "ISERROR given the range A1:C9"),
    ("=SUMPRODUCT(--ISNUMBER('User GMV'!$A$1:$E$9))", "ISNUMBER given the range"),
    ("=SUMPRODUCT(ABS(A1:A3-B1:B3))", "ABS given the range"),
])
def test_the_lint_catches_what_it_should(formula, problem):
    assert any(problem in p for p in formula_problems(formula))


@pytest.mark.parametrize("formula", ["=IF(ISERROR(SUM(A1:C9)),0,1)", "=IF(SUMPRODUCT(--(A1:A3<B1:B3))=0,1,0)",
                                     "=IF(ISNUMBER(MATCH(A1,B1:B3,0)),1,0)", "=ABS(A1-B1)"])
def test_the_lint_admits_portable_formulas(formula):
    assert formula_problems(formula) == []




def test_inputs_blue_formulas_black_or_green(book):
    ws = book["Assumptions"]
    price = ws[next(iter(book.defined_names["price"].destinations))[1].replace("$", "")]
    assert price.font.color.rgb.endswith("0000FF") and price.fill.fgColor.rgb.endswith("FFF2CC")
    for sheet in ("User GMV", "Category GMV", "Peer Comps", "SOTP", "Revenue Drivers", "Checks"):
        for row in book[sheet].iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    assert cell.font.color.rgb[-6:] in ("000000", "008000"), (sheet, cell.coordinate)
                elif isinstance(cell.value, (int, float)) and cell.column > 2:
                    assert cell.font.color.rgb.endswith("0000FF"), (sheet, cell.coordinate)  # only inputs are typed numbers


def test_cross_sheet_links_are_green(book):
    cell = book["User GMV"]["C6"]
    assert cell.value.startswith("=") and "!" in cell.value or "um_" in cell.value
    assert cell.font.color.rgb.endswith("008000")


def test_every_value_row_has_a_unit_and_every_input_a_source_and_date(book):
    for ws in book.worksheets:
        if ws.title == "Cover":
            continue
        for row in ws.iter_rows(min_row=4):
            values = [c for c in row[2:] if c.value not in (None, "") and c.column < 8]
            if values and row[0].value and any(c.data_type == "f" or isinstance(c.value, (int, float)) for c in values):
                assert row[1].value, f"{ws.title} row {row[0].row} ({row[0].value}) has no unit"
    ws = book["Assumptions"]
    header = {c.value: c.column for row in ws.iter_rows(max_row=8) for c in row if c.value in ("as of", "Source")}
    for row in ws.iter_rows(min_row=4):
        inputs = [c for c in row if c.fill.fgColor.rgb.endswith("FFF2CC")]
        first_of_block = row[0].value and not str(row[0].value).startswith(("Beauty", "Food", "Home", "Jewellery"))
        if inputs and first_of_block:
            assert ws.cell(row[0].row, header["as of"]).value, f"Assumptions row {row[0].row} has no date"
            assert ws.cell(row[0].row, header["Source"]).value, f"Assumptions row {row[0].row} has no source"


def test_sheets_are_set_up_for_reading_and_printing(book):
    assert book.sheetnames == ["Cover", "Contents", "Assumptions", "User GMV", "Category GMV", "Peer Comps", "SOTP",
                               "Sensitivity", "Revenue Drivers", "Shareholders", "Online marketing", "Kuaishou history",
                               "Forecast vs Actual", "Checks"]
    for ws in book.worksheets:
        assert ws.print_area, ws.title
        if ws.title not in ("Cover", "Contents"):
            assert ws.freeze_panes, ws.title
    assert book["Peer Comps"].page_setup.orientation == "landscape"
    assert book.calculation.fullCalcOnLoad


def test_dropdowns_on_the_choices(book):
    ws = book["Assumptions"]
    formulas = {dv.formula1 for dv in ws.data_validations.dataValidation}
    assert {"scenario_names", "stat_names"} <= formulas  # OOXML stores formulas without "="


def test_text_is_shared_and_chart_categories_are_string_references(seed_book):
    import zipfile
    with zipfile.ZipFile(seed_book) as z:
        sheets = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
        sst = z.read("xl/sharedStrings.xml").decode()
        assert "sharedStrings+xml" in z.read("[Content_Types].xml").decode()
    assert 'inlineStr' not in sheets and sheets.count('t="s"') > 500 and "<si><t>Master check</t></si>" in sst
    assert charts and all("<cat><strRef>" in c and "<cat><numRef>" not in c for c in charts)


def test_untrusted_text_is_written_as_text(seed_quarter, tmp_path):
    data = seed_quarter.model_dump()
    data["peers"]["groups"][0]["companies"][0]["name"] = "=HYPERLINK(\"http://x\",\"click\")"
    data["peers"]["groups"][0]["companies"][0]["source"] = "+cmd|' /C calc'!A0"
    q = type(seed_quarter).model_validate(data)
    wb = load_workbook(build_workbook(q, tmp_path / "t.xlsx").path)
    texts = [c for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert texts and all(c.data_type == "s" for c in texts)
    assert lint_workbook(wb) == []


def test_adding_a_peer_changes_data_not_python(quarter_dir, tmp_path):
    from copy import deepcopy

    from kwai_xl.quarters.datafile import dump_document, load_document
    from kwai_xl.quarters.schema import load_quarter
    from kwai_xl.readback.reader import defined_names
    from kwai_xl.readback.verify import verify_workbook
    data_file = quarter_dir / "2022Q2.yaml"
    doc = load_document(data_file)
    extra = deepcopy(doc["peers"]["groups"][1]["companies"][0])
    extra.update(ticker="NEW.O", name="New peer", market_cap=1000.0, revenue=[100.0, 200.0, 400.0])
    doc["peers"]["groups"][1]["companies"].append(extra)
    data_file.write_text(dump_document(doc), encoding="utf-8")
    path = build_workbook(load_quarter(data_file), tmp_path / "more.xlsx").path
    assert defined_names(path)["ads_mcap"].shape == (5, 1)
    report = verify_workbook(path, data_dir=quarter_dir)
    assert report.ok and report.values.value("ads_ps_count")[1] == 5


def test_verify_says_when_the_data_file_no_longer_gives_the_workbook_layout(quarter_dir, tmp_path):
    """A workbook whose data file has since gained a peer cannot have its formulas checked: a finding, not a pass."""
    from kwai_xl.quarters.datafile import dump_document, load_document
    from kwai_xl.readback.verify import verify_workbook
    path = build_workbook(load_quarter_from(quarter_dir), tmp_path / "old.xlsx").path
    data_file = quarter_dir / "2022Q2.yaml"
    doc = load_document(data_file)
    doc["peers"]["groups"][1]["companies"].append(dict(doc["peers"]["groups"][1]["companies"][0], ticker="NEW.O"))
    data_file.write_text(dump_document(doc), encoding="utf-8")
    report = verify_workbook(path, variants=0, data_dir=quarter_dir)
    assert not report.ok and "layout differs" in report.problems[0]


def load_quarter_from(folder):
    from kwai_xl.quarters.schema import load_quarter
    return load_quarter(folder / "2022Q2.yaml")


def test_contents_links_to_every_sheet_and_every_sheet_links_back(book):
    contents = book["Contents"]
    targets = {c.hyperlink.location or c.hyperlink.target for row in contents.iter_rows() for c in row if c.hyperlink}
    expected = {f"{quote_sheetname(ws.title)}!A1" for ws in book if ws.title != "Contents"}
    assert {t.lstrip("#") for t in targets} == expected
    for ws in book:
        if ws.title != "Contents":
            link = ws["A3"].hyperlink
            assert link is not None and (link.location or link.target).lstrip("#") == f"{quote_sheetname('Contents')}!A1", ws.title
