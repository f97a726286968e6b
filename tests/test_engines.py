"""Three spreadsheet engines agree: Gnumeric and LibreOffice recalculate the default workbook (en and zh)
to the engine's figures and to each other's, cell by cell; Gnumeric keeps the dropdown lists."""

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kwai_xl.readback import libreoffice
from kwai_xl.readback.reader import WorkbookValues
from kwai_xl.readback.verify import _same, check_values
from kwai_xl.workbook.build import build_workbook
from kwai_xl.workbook.styles import NUMBER_FORMATS

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("ssconvert") is None,
                                reason="LibreOffice and Gnumeric are installed by `make test`")


def gnumeric_recalculate(book: Path, out: Path) -> tuple[Path, str]:
    """Gnumeric's recalculated copy of ``book`` and what ssconvert said."""
    proc = subprocess.run(["ssconvert", "--recalc", str(book), str(out)], capture_output=True, text=True, timeout=300)
    assert out.exists(), proc.stderr
    return out, proc.stderr


@pytest.fixture(scope="module")
def engines(seed_book, seed_quarter, tmp_path_factory):
    """lang → (the build, Gnumeric's values, LibreOffice's values, ssconvert's messages)."""
    work = tmp_path_factory.mktemp("engines")
    books = {"en": seed_book, "zh": build_workbook(seed_quarter, work / "zh.xlsx", lang="zh").path}
    lo = libreoffice.recalculate(list(books.values()), work / "lo")
    out = {}
    for (lang, book), lo_out in zip(books.items(), lo):
        gn, said = gnumeric_recalculate(book, work / f"gnumeric-{lang}.xlsx")
        out[lang] = (book, WorkbookValues(gn), WorkbookValues(lo_out), said)
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_gnumeric_agrees_with_the_engine(engines, lang):
    _, gnumeric, _, _ = engines[lang]
    report = check_values(gnumeric)
    assert report.ok, (report.missing, report.errors, report.problems, [str(m) for m in report.mismatches])
    assert len(report.compared) >= 60
    assert gnumeric.value("check_master") == 1


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_formula_cell_agrees_in_gnumeric_and_libreoffice(engines, lang):
    book, gnumeric, lo, _ = engines[lang]
    wb = load_workbook(book)
    cells = [(ws.title, c.row, c.column) for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if c.data_type == "f"]
    assert len(cells) > 500
    differ = [(s, r, c, g, v) for s, r, c in cells
              if not _same(g := gnumeric.cell(s, r, c), v := lo.cell(s, r, c), 1e-9) and not (g == v == "")]
    assert differ == []
    checks = [(s, r, c) for s, r, c in cells  # the check rows of the Checks sheet (not the stale guard's dates,
              if s == wb.sheetnames[-1] and wb[s].cell(r, c).number_format == NUMBER_FORMATS["check"]  # nor flags)
              and wb[s].cell(r, 2).value in ("1 = OK", "1 = 正常")]
    assert len(checks) > 10 and all(gnumeric.cell(s, r, c) == 1 for s, r, c in checks)  # every check reads OK


def test_gnumeric_keeps_the_dropdown_lists(engines):
    book, _, _, said = engines["en"]
    assert "Invalid expression" not in said
    gnumeric = engines["en"][1].path
    with zipfile.ZipFile(gnumeric) as z:
        sheets = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
    assert sheets.count('<dataValidation type="list"') == 4  # scenario, statistic, metric source, range bases
