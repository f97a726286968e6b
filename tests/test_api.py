"""The notebook API: values equal LibreOffice's recalculation of the workbook, replace() validates, README runs."""

import re
import subprocess
import sys

import numpy as np
import pytest

import kwai_xl
from kwai_xl.errors import KwaiError
from kwai_xl.paths import ROOT

COMPARED = ["um_buyers", "um_gmv_grid", "cm_adv_gmv", "cm_gmv_grid", "um_gmv", "cm_gmv", "ls_pe_mean", "ads_ps_median",
            "ec_pgmv_mean", "sotp_ls_multiple", "sotp_ads_value", "sotp_equity_rmb", "sotp_per_share", "sotp_upside",
            "price", "um_spend", "cm_sales", "fx_rmb_per_hkd"]


@pytest.fixture(scope="module")
def model():
    return kwai_xl.load("2022Q2")


@pytest.mark.parametrize("name", COMPARED)
def test_values_equal_the_libreoffice_recalculated_workbook(model, recalculated, name):
    got = np.array(model[name], dtype=float)
    expected = recalculated["default"].numbers(name)
    assert np.allclose(got.reshape(expected.shape), expected, rtol=1e-9)


def test_a_data_file_path_loads_the_same_model(model):
    assert kwai_xl.load(ROOT / "data" / "quarters" / "2022Q2.yaml")["sotp_per_share"] == model["sotp_per_share"]


def test_replace_gives_a_new_model_and_leaves_the_old(model):
    new = model.replace(price=70.0, um_spend=[6000, 9000, 10000])
    assert new["price"] == 70.0 and model["price"] == 79.9
    assert new["um_gmv_grid"][1][1] == pytest.approx(model["um_gmv_grid"][1][1] * 9000 / 8000)
    assert new["sotp_upside"] == pytest.approx(new["sotp_per_share"] / 70.0 - 1)


@pytest.mark.parametrize("changes, message", [
    ({"sotp_ls_margin": -5}, "sotp.segments.0.margin.value: Input should be greater than 0 (got -5)"),
    ({"um_penetration": [0.5, 1.6, 0.7]}, "user_method.penetration.values.1"),
    ({"um_spend": [6000, 9000]}, "um_spend: needs 3 value(s), got 2"),
    ({"nope": 1}, "nope: not an input of the model"),
])
def test_replace_validates_like_the_data_file(model, changes, message):
    with pytest.raises(ValueError) as info:
        model.replace(**changes)
    assert isinstance(info.value, KwaiError) and message in str(info.value)
    assert "\n" not in str(info.value)


def test_tables_carry_units(model):
    comps = model.peer_comps
    assert "Kuaishou" in set(comps["group"]) and {"Mean", "Median", "Count"} <= set(comps["company"])
    assert any("(×)" in c for c in comps.columns)
    ks = comps[comps["group"] == "Kuaishou"].iloc[0]
    assert ks["PS 2022E (×)"] == pytest.approx(model["ks_ps"][1])
    sotp = model.sotp_table
    assert sotp["value (RMB 百万)"].iloc[-1] == pytest.approx(model["sotp_equity_rmb"])
    assert sotp.attrs["per_share_hkd"] == model["sotp_per_share"]
    grid = model.gmv_grid("user")
    assert grid.attrs["units"] == "亿元" and grid.loc[8000.0].iloc[1] == pytest.approx(model["um_gmv"])
    assert model.gmv_grid("category").shape == (3, 3)


def test_cli_starts_without_pandas():
    code = "import sys, kwai_xl, kwai_xl.interfaces.cli; print('pandas' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def readme_python_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python API for notebooks", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_readme_python_examples_run():
    blocks = readme_python_blocks()
    assert len(blocks) >= 2
    namespace = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - the README's own examples
