"""The generated workbook, recalculated by LibreOffice, agrees with the seed and with the engine."""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import PERTURB_SEEDS
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from seed_figures import CM_TOLERANCE, SEED_CM_ADV, SEED_CM_GRID, SEED_UM_BUYERS, SEED_UM_GRID

from kwai_xl.paths import DATA_DIR
from kwai_xl.quarters.schema import load_quarter
from kwai_xl.readback.reader import WorkbookValues, defined_names
from kwai_xl.readback.verify import REQUIRED_NAMES, check_values, verify_workbook
from kwai_xl.workbook.build import build_workbook

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is installed by `make test`")

def test_default_build_recalculates_to_the_seed(recalculated):
    v = recalculated["default"]
    assert np.allclose(v.value("um_buyers").astype(float), SEED_UM_BUYERS, rtol=1e-12)
    assert np.allclose(v.value("um_gmv_grid").astype(float), SEED_UM_GRID, rtol=1e-12)
    assert v.value("um_gmv") == pytest.approx(40320, rel=1e-12)
    assert v.value("cm_sales_total") == 27561
    assert np.allclose(v.value("cm_adv_gmv").astype(float), SEED_CM_ADV, rtol=CM_TOLERANCE)
    assert np.allclose(v.value("cm_gmv_grid").astype(float), SEED_CM_GRID, rtol=CM_TOLERANCE)
    assert round(v.value("ads_ps_mean")[1], 2) == 3.50 and round(v.value("ads_ps_median")[1], 2) == 3.30
    assert list(v.value("ls_pe")[3]) == ["n.a.", "n.a.", "n.a."]  # DouYu: the seed's "/"
    assert v.value("check_master") == 1


@pytest.mark.parametrize("variant", ["default", "bear", "bull", "median"] + [f"perturbed{s}" for s in PERTURB_SEEDS])
def test_libreoffice_agrees_with_the_engine(recalculated, variant):
    report = check_values(recalculated[variant])
    assert report.ok, (report.missing, report.errors, [str(m) for m in report.mismatches])
    assert len(report.compared) >= 60


def test_switches_change_the_case(recalculated):
    assert recalculated["bear"].value("um_gmv") == pytest.approx(23520)
    assert recalculated["bull"].value("um_gmv") == pytest.approx(62720)
    assert recalculated["bull"].value("cm_gmv") == pytest.approx(68902.5)
    median = recalculated["median"]
    assert median.value("sotp_ls_stat") == "Mean" and median.value("sotp_ads_stat") == "Median"
    assert median.value("sotp_ads_multiple") == pytest.approx(median.value("ads_ps_median")[1])


def test_perturbed_inputs_really_moved_the_outputs(recalculated):
    base = recalculated["default"].value("sotp_per_share")
    moved = {round(recalculated[f"perturbed{s}"].value("sotp_per_share"), 6) for s in PERTURB_SEEDS}
    assert len(moved) == len(PERTURB_SEEDS) and base not in moved


def test_every_public_name_has_its_shape(seed_book, seed_quarter):
    names = defined_names(seed_book)
    n = {g.key: len(g.companies) for g in seed_quarter.peers.groups}
    shapes = {"um_netizens": (1, 1), "um_penetration": (1, 3), "um_active_ratio": (1, 3), "um_spend": (1, 3),
              "um_buyers": (1, 3), "um_gmv_grid": (3, 3), "cm_sales": (5, 1), "cm_sales_total": (1, 1),
              "cm_penetration": (1, 3), "cm_share": (1, 3), "cm_completion": (1, 1), "cm_adv_gmv": (1, 3),
              "cm_gmv_grid": (3, 3), "scenario": (1, 1), "um_gmv": (1, 1), "cm_gmv": (1, 1), "fx_rmb_per_hkd": (1, 1),
              "ls_mcap": (n["ls"], 1), "ads_mcap": (n["ads"], 1), "ec_mcap": (n["ec"], 1), "ls_np": (n["ls"], 3),
              "ads_rev": (n["ads"], 3), "ec_gmv": (n["ec"], 3), "sotp_stat": (1, 1), "net_cash": (1, 1)}
    for name in ("ls_pe", "ads_ps", "ec_pgmv"):
        shapes[f"{name}_mean"] = shapes[f"{name}_median"] = (1, 3)
    for name in ("sotp_ls_revenue", "sotp_ls_margin", "sotp_ads_revenue", "sotp_ec_gmv", "shares", "price",
                 "sotp_ls_value", "sotp_ads_value", "sotp_ec_value", "sotp_equity_rmb", "sotp_equity_hkd",
                 "sotp_per_share", "sotp_upside"):
        shapes[name] = (1, 1)
    assert set(REQUIRED_NAMES) <= set(shapes)
    for name, shape in shapes.items():
        assert names[name].shape == shape, name


def test_cached_values_equal_the_engine_without_recalculation(seed_book, seed_outputs):
    values = WorkbookValues(seed_book)  # python-calamine reads the cached values formualizer wrote
    report = check_values(values)
    assert report.ok, [str(m) for m in report.mismatches]
    assert values.value("sotp_per_share") == pytest.approx(seed_outputs["sotp_per_share"], rel=1e-12)
    import pandas as pd
    sotp = pd.read_excel(seed_book, sheet_name="SOTP", header=None, engine="calamine")
    assert (sotp == values.value("sotp_per_share")).any().any()


def test_libreoffice_recalculates_instead_of_trusting_stale_caches(seed_book, tmp_path):
    """Edit an input inside the file's XML, leaving every cached value stale: verify must still agree."""
    import zipfile
    stale = tmp_path / "stale.xlsx"
    names = defined_names(seed_book)
    price = names["price"]
    sheet_xml = f"xl/worksheets/sheet{load_workbook(seed_book).sheetnames.index(price.sheet) + 1}.xml"
    ref = f"{get_column_letter(price.min_col)}{price.min_row}"
    with zipfile.ZipFile(seed_book) as src, zipfile.ZipFile(stale, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == sheet_xml:
                text = data.decode()
                start = text.index(f'<c r="{ref}"')
                end = text.index("</c>", start)
                cell = text[start:end]
                text = text[:start] + cell[:cell.index("<v>") + 3] + "100" + cell[cell.index("</v>"):] + text[end:]
                data = text.encode()
            dst.writestr(item, data)
    assert WorkbookValues(stale).value("price") == 100  # the cached upside still says 79.9
    report = verify_workbook(stale)
    assert report.ok, [str(m) for m in report.mismatches]
    assert report.values.value("sotp_upside") == pytest.approx(report.values.value("sotp_per_share") / 100 - 1)


def test_verify_never_modifies_the_workbook(seed_book):
    before = seed_book.read_bytes()
    assert verify_workbook(seed_book).ok
    assert seed_book.read_bytes() == before


def test_verify_cli_reports_a_mismatch_and_exits_1(seed_book, tmp_path):
    """A number typed over a formula is caught: the engine, run on the inputs, disagrees."""
    broken = tmp_path / "broken.xlsx"
    wb = load_workbook(seed_book)
    sheet, ref = next(iter(wb.defined_names["sotp_ads_value"].destinations))
    wb[sheet][ref.replace("$", "")].value = 123
    wb.save(broken)
    proc = subprocess.run([sys.executable, "-m", "kwai_xl", "verify", str(broken)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "mismatch: sotp_ads_value" in proc.stdout


def test_chinese_build_verifies(seed_quarter, tmp_path):
    path = build_workbook(seed_quarter, tmp_path / "zh.xlsx", lang="zh").path
    wb = load_workbook(path, read_only=True)
    assert wb.sheetnames[:3] == ["封面", "目录", "假设"] and "可比公司" in wb.sheetnames
    assert verify_workbook(path).ok


def test_the_stale_guard_names_its_sources_in_the_workbooks_language():
    """Checks' stale guard cites the quarter file for its date and threshold in the workbook's language, the
    threshold's default as the schema sets it."""
    from kwai_xl.quarters.schema import Quarter
    from kwai_xl.workbook.build import layouts

    q = load_quarter(DATA_DIR / "2022Q2.yaml")
    default = Quarter.model_fields["stale_after_days"].default
    for lang, words in (("en", "quarter file: "), ("zh", "季度数据文件：")):
        checks = next(s for s in layouts(q, lang) if s.key == "checks")
        sources = {it.id: it.source for it in checks.items() if it.id in ("stale_quarter_as_of", "stale_days")}
        assert sources["stale_quarter_as_of"] == f"{words}as_of", lang
        assert sources["stale_days"].startswith(f"{words}stale_after_days") and f" {default}" in sources["stale_days"]


def test_a_blank_fy1_gmv_no_segment_values_builds(quarter_dir, tmp_path):
    """2025Q4 values every segment on revenue: a blank FY1 GMV leaves its reconciliation n.a., no #DIV/0!."""
    path = quarter_dir / "2025Q4.yaml"
    text = path.read_text(encoding="utf-8")
    assert "  gmv: [1389600, 1608423, null]" in text
    path.write_text(text.replace("  gmv: [1389600, 1608423, null]", "  gmv: [1389600, null, null]"), encoding="utf-8")
    result = build_workbook(load_quarter(path), tmp_path / "k.xlsx")
    from kwai_xl.workbook.build import layouts

    drivers = next(s for s in layouts(load_quarter(path)) if s.key == "drivers")
    item = next(it for it in drivers.items() if it.id == "d_rec_gmv")
    values = WorkbookValues(result.path)
    shown = [values.cell(drivers.title, item.row, item.col + j) for j in range(3)]
    assert shown[1:] == ["n.a.", "n.a."] and isinstance(shown[0], float), shown


def test_a_formula_error_is_named_with_its_row_label():
    from kwai_xl.workbook.build import formula_errors, layouts

    sheets = layouts(load_quarter(DATA_DIR / "2022Q2.yaml"))
    sotp = next(s for s in sheets if s.key == "sotp")
    item = next(it for it in sotp.items() if it.label and it.kind == "formula")
    message = str(formula_errors(Path("k.xlsx"), {"#DIV/0!": [f"SOTP!C{item.row}"]}, sheets))
    assert message.startswith(f"k.xlsx: not written: formulas would evaluate to errors: #DIV/0! in SOTP!C{item.row} "
                              f"({item.label})"), message


def test_a_flag_reads_flag_not_error_and_leaves_the_master_check_ok(tmp_path):
    """2025Q4 values e-commerce on two peers, fewer than its minimum of three: the flag says so in amber, as a flag
    (not a failed check, which reads ERROR in red), and the master check, which it is not part of, passes."""
    from kwai_xl.workbook.build import layouts
    from kwai_xl.workbook.styles import FLAG_FILL, NUMBER_FORMATS

    q = load_quarter(DATA_DIR / "2025Q4.yaml")
    path = build_workbook(q, tmp_path / "k.xlsx").path
    checks = next(s for s in layouts(q) if s.key == "checks")
    flag = next(it for it in checks.items() if it.id == "chk_thin_peers")
    values, ws = WorkbookValues(path), load_workbook(path)[checks.title]
    assert values.cell(checks.title, flag.row, flag.col) == 0 and values.value("check_master") == 1
    assert ws.cell(flag.row, flag.col).number_format == NUMBER_FORMATS["flag"] and '"FLAG"' in NUMBER_FORMATS["flag"]
    fills = [rule.dxf.fill.fgColor.rgb for rng in ws.conditional_formatting for rule in rng.rules
             if f"{get_column_letter(flag.col)}{flag.row}" in str(rng.sqref)]
    assert FLAG_FILL.fgColor.rgb in fills
