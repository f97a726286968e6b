"""Revenue Drivers for FY0–FY2 and the switch that lets the SOTP take the tree's FY1 figures."""

import math
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook
from quarter_files import edited_seed_quarter

from kwai_xl import paths
from kwai_xl.engine.model import evaluate
from kwai_xl.quarters.inputs import inputs_from_quarter
from kwai_xl.quarters.schema import load_quarter
from kwai_xl.readback.pull import pull
from kwai_xl.readback.verify import verify_workbooks
from kwai_xl.workbook.build import build_workbook

ROOT = Path(__file__).resolve().parent.parent



def three_years_and_drivers(data):
    """FY0 and FY2 figures for the live-streaming inputs (test figures) and the SOTP on the driver tree."""
    for key, values in (("paying_users", [50, 58, 62]), ("arppu", [45, 49, None])):
        data["drivers"][key]["values"] = values
    data["choices"]["metric_source"] = {"value": "Drivers", "source": "test: the SOTP on the driver tree"}


def test_a_one_year_driver_is_fy1_and_the_other_years_are_na(seed_quarter, seed_outputs):
    assert seed_quarter.drivers.paying_users.values == (None, 58, None)
    one_year = load_quarter(ROOT / "data" / "quarters" / "2024Q1.yaml")  # written as `value: 58`
    assert one_year.drivers.paying_users.values == (None, 58, None)
    assert seed_quarter.choices.metric_source.value == "Typed"
    live = seed_outputs["drv_live_streaming"]
    assert live[1] == 58 * 49 * 12 and np.isnan(live[0]) and np.isnan(live[2])
    assert seed_outputs["drv_gmv"][1] == pytest.approx(200 * 4.9 * 12 * 75)
    # Typed: the SOTP keeps the typed estimates and the comps row's GMV
    assert seed_outputs["sotp_ls_figure"] == seed_outputs["sotp_ls_revenue"] == seed_quarter.sotp.segments[0].value.value
    assert seed_outputs["sotp_ec_figure"] == seed_quarter.kuaishou.gmv[1]


def test_drivers_switch_gives_each_segment_the_trees_fy1_figure(seed_inputs, seed_outputs):
    out = evaluate(seed_inputs.with_changes(metric_source="Drivers"))
    assert out["sotp_ls_figure"] == out["drv_live_streaming"][1] == 58 * 49 * 12
    assert out["sotp_ads_figure"] == pytest.approx(out["drv_online_marketing"][1])
    assert out["sotp_ec_figure"] == pytest.approx(out["drv_gmv"][1])
    assert out["sotp_ls_revenue"] == seed_outputs["sotp_ls_revenue"]  # the typed input is kept, not used
    assert out["sotp_ls_metric"] == pytest.approx(58 * 49 * 12 * seed_inputs.seg_margin[0])
    assert out["sotp_per_share"] != pytest.approx(seed_outputs["sotp_per_share"])
    # a tree figure that is n.a. in FY1 leaves the segment on its typed figure
    blank = {**seed_inputs.drivers, "arppu": np.array([np.nan, np.nan, np.nan])}
    out = evaluate(seed_inputs.with_changes(metric_source="Drivers", drivers=blank))
    assert out["sotp_ls_figure"] == seed_outputs["sotp_ls_revenue"]


def test_three_year_drivers_and_the_switch_recalculate_in_libreoffice(tmp_path):
    path = edited_seed_quarter(tmp_path, three_years_and_drivers)
    q = load_quarter(path)
    out = evaluate(inputs_from_quarter(q))
    assert list(out["drv_live_streaming"][:2]) == [50 * 45 * 12, 58 * 49 * 12] and math.isnan(out["drv_live_streaming"][2])
    book = build_workbook(q, tmp_path / "drivers.xlsx").path
    report = verify_workbooks([book], data_dir=tmp_path, variants=2, seed=7)[0]
    assert report.ok, (report.errors, report.problems, [str(m) for m in report.mismatches])
    assert {"drv_live_streaming", "sotp_ls_figure", "sotp_ec_figure", "drv_revenue"} <= set(report.compared)
    values = report.values
    assert values.block("drv_live_streaming")[0][:2] == [50 * 45 * 12, 58 * 49 * 12]
    assert values.block("drv_live_streaming")[0][2] == "n.a."
    assert values.value("sotp_ls_figure") == 58 * 49 * 12
    assert values.value("sotp_per_share") == pytest.approx(out["sotp_per_share"], rel=1e-9)


def test_pull_writes_a_driver_year_and_the_switch_into_a_one_year_file(quarter_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "DATA_DIR", quarter_dir)
    assert "paying_users: {value: 58," in (quarter_dir / "2024Q1.yaml").read_text(encoding="utf-8")  # one-year form
    built = build_workbook(load_quarter(quarter_dir / "2024Q1.yaml"), tmp_path / "built.xlsx").path
    wb = load_workbook(built)
    for name, value in (("drv_paying_users", 66), ("sotp_metric_source", "Drivers")):
        sheet, ref = next(iter(wb.defined_names[name].destinations))
        cells = wb[sheet][ref.replace("$", "")]
        (cells[0][2] if isinstance(cells, tuple) else cells).value = value
    wb.save(tmp_path / "edited.xlsx")

    changed = {c.path: c.new for c in pull(tmp_path / "edited.xlsx", data_dir=quarter_dir).changes}
    assert changed == {"drivers.paying_users.values.2": 66, "choices.metric_source.value": "Drivers"}
    q = load_quarter(quarter_dir / "2024Q1.yaml")
    assert q.drivers.paying_users.values == (None, 58, 66) and q.drivers.arppu.values == (None, 49, None)
    assert q.choices.metric_source.value == "Drivers"
