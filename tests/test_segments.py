"""Segments and peer groups are data: a new structure is a data-file change that builds and verifies."""

from pathlib import Path

import pytest
from quarter_files import edited_seed_quarter

from kwai_xl.engine.model import evaluate
from kwai_xl.quarters.inputs import inputs_from_quarter
from kwai_xl.quarters.schema import load_quarter
from kwai_xl.readback.verify import verify_workbooks
from kwai_xl.workbook.build import build_workbook

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "data" / "examples").rglob("*.yaml"))



def add_fourth_segment(data):
    """A fourth segment, valued on PE of a typed segment net profit, on the online-marketing peers."""
    seg = dict(data["sotp"]["segments"][1])
    seg.update(key="local", name="Local services", name_zh="本地生活", group="ads", multiple="pe", metric="net_profit",
               value={"value": 1200, "unit": "RMB 百万", "as_of": "2022-06-08", "source": "test: a fourth segment"})
    data["sotp"]["segments"].append(seg)
    ranges = data["sensitivity"]["ranges"]
    ranges["local_profit"] = dict(ranges["ads_revenue"])
    ranges["local_multiple"] = dict(ranges["ls_multiple"])


def test_a_fourth_segment_on_pe_of_profit_is_a_data_change(tmp_path):
    path = edited_seed_quarter(tmp_path, add_fourth_segment)
    q = load_quarter(path)
    out = evaluate(inputs_from_quarter(q))
    base = evaluate(inputs_from_quarter(load_quarter(ROOT / "data" / "quarters" / "2022Q2.yaml")))
    assert out["sotp_local_value"] == pytest.approx(1200 * out["ads_pe_mean"][1])
    assert out["sotp_equity_rmb"] == pytest.approx(base["sotp_equity_rmb"] + out["sotp_local_value"])
    book = build_workbook(q, tmp_path / "four.xlsx").path
    example = build_workbook(load_quarter(EXAMPLES[0]), tmp_path / "example.xlsx").path
    # verify renders each build's layout again from its data file: the folders the two were built from
    reports = verify_workbooks([book], data_dir=tmp_path) + verify_workbooks([example], data_dir=EXAMPLES[0].parent)
    for report in reports:
        assert report.ok, (report.path, report.missing, report.errors, report.problems, report.constants,
                           [str(m) for m in report.mismatches])
    assert "sotp_local_value" in reports[0].compared and "sens_tornado_rank" in reports[0].compared
    assert reports[0].values.value("sotp_local_value") == pytest.approx(out["sotp_local_value"], rel=1e-9)


def test_the_example_values_online_marketing_on_pe_of_profit():
    q = load_quarter(EXAMPLES[0])
    out = evaluate(inputs_from_quarter(q))
    assert [s.multiple for s in q.sotp.segments] == ["ps", "pe", "ps"]
    assert out["sotp_ads_value"] == pytest.approx(50_900 * 0.2 * out["ads_pe_mean"][1])
    assert out["sotp_ec_value"] == pytest.approx(9_750 * out["ec_ps_mean"][1])


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["sotp"]["segments"][0].update(group="nope"), r"sotp.segments.0.group: no peer group 'nope'"),
    (lambda d: d["sotp"]["segments"][1].update(multiple="pe"), r"segment ads: a PE applies to net_profit, not revenue"),
    (lambda d: d["peers"]["groups"][0].update(years=[2020, 2021, 2022]), r"peers.groups.0.years: group ls's figures are for"),
    (lambda d: d["sensitivity"]["ranges"].pop("ec_gmv"), r"sensitivity.ranges: needs one range per swept input"),
])
def test_a_structure_that_does_not_fit_is_one_line(tmp_path, edit, message):
    from kwai_xl.errors import KwaiError
    with pytest.raises(KwaiError, match=message):
        load_quarter(edited_seed_quarter(tmp_path, edit))


def test_a_workbook_remembers_its_data_file(tmp_path):
    """Built from a file outside data/quarters, a workbook is pulled into and verified against that file."""
    from kwai_xl.readback.pull import pull

    book = build_workbook(load_quarter(EXAMPLES[0]), tmp_path / "example.xlsx").path
    assert pull(book, dry_run=True).data_file.resolve() == EXAMPLES[0].resolve()
