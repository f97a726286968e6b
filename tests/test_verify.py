"""verify proves the workbook: doctored copies fail naming the cell, error cells are listed, variants move inputs."""

import shutil
import subprocess
import sys
import zipfile

import pytest
from openpyxl import load_workbook

from kwai_xl.readback.reader import WorkbookValues
from kwai_xl.readback.variants import make_variants, write_variant
from kwai_xl.readback.verify import verify_workbooks
from kwai_xl.workbook.build import layouts

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is installed by `make test`")

SEED = 20221


def _doctored(book, target, edit):
    wb = load_workbook(book)
    edit(wb)
    wb.save(target)
    return target


def _cell(wb, name):
    sheet, ref = next(iter(wb.defined_names[name].destinations))
    cells = wb[sheet][ref.replace("$", "")]
    return cells[0][0] if isinstance(cells, tuple) else cells


def _hard_code_per_share(wb):
    cell = _cell(wb, "sotp_per_share")
    cell.value = 102.46722  # its own figure, typed in (the engine gives 102.467…)


def _hard_code_grid(wb):
    wb["User GMV"]["C14"].value = 1.0


def _swap_bridge_sign(wb):
    cell = _cell(wb, "sotp_equity_rmb")
    assert cell.value == "=$C$20+$C$21-$C$22"  # sum + net cash - holding discount; both are 0 in 2022Q2
    cell.value = "=$C$20-$C$21+$C$22"


def _wrong_reference(wb):
    cell = wb["User GMV"]["C18"]
    assert cell.value == "=C$9*C$14"
    cell.value = "=C$9*D$14"


def _value_errors(wb):
    _cell(wb, "um_netizens").value = "eleven"


@pytest.fixture(scope="module")
def doctored(seed_book, recalculated, tmp_path_factory):
    """The reports of a LibreOffice-saved build and five doctored copies, verified in one run (2 variants each)."""
    work = tmp_path_factory.mktemp("doctored")
    books = {"resaved": recalculated["default"].path}
    for key, edit in (("per_share", _hard_code_per_share), ("grid", _hard_code_grid), ("sign", _swap_bridge_sign),
                      ("reference", _wrong_reference), ("errors", _value_errors)):
        books[key] = _doctored(seed_book, work / f"{key}.xlsx", edit)
    before = {key: p.read_bytes() for key, p in books.items()}
    reports = dict(zip(books, verify_workbooks(list(books.values()), variants=2, seed=SEED)))
    assert all(p.read_bytes() == before[key] for key, p in books.items())  # never writes a workbook
    return reports


def test_a_workbook_libreoffice_saved_still_verifies(doctored):
    report = doctored["resaved"]
    assert report.ok, (report.problems, report.constants, report.errors, [str(m) for m in report.mismatches])
    assert len(report.variants) == 2 and report.seed == SEED


def test_a_hard_coded_output_is_named(doctored):
    report = doctored["per_share"]
    assert not report.ok
    assert [c for c in report.constants if c.startswith("SOTP!C27 (sotp_per_share)")]


def test_a_hard_coded_intermediate_cell_is_named(doctored):
    report = doctored["grid"]
    assert [c for c in report.constants if c.startswith("User GMV!C14 (um_buyers)")]


def test_a_sign_swapped_on_zero_inputs_is_caught_by_the_variants(doctored):
    report = doctored["sign"]
    assert not report.constants and not report.errors
    bad = [m for m in report.mismatches if m.name == "sotp_equity_rmb"]
    assert bad and bad[0].cell == "SOTP!C23" and "variant" in bad[0].variant
    assert all(m.variant for m in report.mismatches)  # at the saved inputs (0 and 0) the figures agree


def test_a_wrong_cell_reference_is_named(doctored):
    report = doctored["reference"]
    assert not report.constants
    assert [m for m in report.mismatches if m.name == "um_gmv_grid" and m.cell == "User GMV!C18"]


def test_error_values_are_listed_by_cell_and_name(doctored):
    report = doctored["errors"]
    assert not report.ok
    errors = [e for e in report.errors if " in variant" not in e]
    assert len(errors) > 20
    assert any(e.startswith("User GMV!C18 #VALUE! (um_gmv_grid)") for e in errors), errors[:5]
    assert report.problems  # the inputs cannot be read, and verify says so instead of stopping


def test_variants_move_every_number_and_keep_formulas(seed_book, seed_quarter, tmp_path):
    sheets = layouts(seed_quarter)
    wb = load_workbook(seed_book)
    choices = {"scenario_names": ["Bear", "Base", "Bull"], "stat_names": ["Mean", "Median"]}
    variant = make_variants(sheets, {}, choices, 1, SEED)[0]
    numbers = [v for v in variant.cells.values() if isinstance(v, float)]
    assert len(numbers) > 100 and all(v != 0 for v in numbers)
    out = write_variant(seed_book, tmp_path / "v.xlsx", variant)
    copy = load_workbook(out)
    formulas = [(ws.title, c.coordinate, c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
                if c.data_type == "f"]
    assert all(copy[s][ref].value == f for s, ref, f in formulas)
    assert _cell(copy, "net_cash").value != 0 and _cell(copy, "scenario").value != _cell(wb, "scenario").value
    with zipfile.ZipFile(seed_book) as a, zipfile.ZipFile(out) as b:
        assert a.namelist() == b.namelist()
    assert WorkbookValues(out).value("sotp_stat") in ("Mean", "Median")


def test_cli_prints_the_seed_and_names_the_cell(doctored, seed_book, tmp_path):
    broken = _doctored(seed_book, tmp_path / "broken.xlsx", _hard_code_per_share)
    proc = subprocess.run([sys.executable, "-m", "kwai_xl", "verify", "--seed", "7", str(broken)],
                          capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert "seed 7 (4 variant(s)" in proc.stdout
    assert "constant over a formula: SOTP!C27 (sotp_per_share)" in proc.stdout
