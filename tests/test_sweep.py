"""Sweeps: vectorised results equal the scalar engine's; the tornado and the percentiles behave."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from kwai_xl.engine import sweep
from kwai_xl.engine.inputs import PeerGroup
from kwai_xl.engine.model import evaluate
from kwai_xl.engine.sweep import SWEEP_KEYS
from kwai_xl.interfaces.cli import main


def scalar_case(inputs, outputs, case: dict) -> float:
    """One draw through the whole scalar model: metrics replaced, multiples reached through the premiums."""
    ks = inputs.ks
    gmv = ks.gmv.copy()
    gmv[0, 1] = case["ec_gmv"]
    premium = np.array([case["ls_multiple"] / outputs["sotp_ls_multiple"], case["ads_multiple"] / outputs["sotp_ads_multiple"],
                        case["ec_multiple"] / outputs["sotp_ec_multiple"]]) * (1 + inputs.sotp_premium) - 1
    changed = inputs.with_changes(sotp_ls_revenue=case["ls_revenue"], sotp_ls_margin=case["ls_margin"],
                                  sotp_ads_revenue=case["ads_revenue"], sotp_premium=premium, ranges={},
                                  ks=PeerGroup(ks.mcap, ks.rev, ks.np, gmv))
    return evaluate(changed)["sotp_per_share"]


def test_monte_carlo_equals_the_scalar_engine_draw_by_draw(seed_inputs, seed_outputs):
    mc = sweep.monte_carlo(seed_inputs, seed_outputs, 40, seed=3)
    for k in range(40):
        case = {key: float(mc.draws[key][k]) for key in SWEEP_KEYS}
        assert mc.per_share[k] == pytest.approx(scalar_case(seed_inputs, seed_outputs, case), rel=1e-12)


def test_tornado_equals_the_scalar_engine(seed_inputs, seed_outputs):
    base = sweep.base_values(seed_inputs, seed_outputs)
    for bar in sweep.tornado(seed_inputs, seed_outputs):
        for bound, value in ((bar.low, bar.at_low), (bar.high, bar.at_high)):
            assert value == pytest.approx(scalar_case(seed_inputs, seed_outputs, {**base, bar.key: bound}), rel=1e-12)
    assert sweep.per_share(seed_inputs, seed_outputs) == pytest.approx(seed_outputs["sotp_per_share"], rel=1e-12)


def test_tornado_bounds_follow_the_data_file(seed_inputs, seed_outputs):
    bars = {b.key: b for b in sweep.tornado(seed_inputs, seed_outputs)}
    assert (bars["ads_multiple"].low, bars["ads_multiple"].high) == (2.22, 5.17)  # absolute: the peers' FY1 PS range
    assert bars["ads_revenue"].low == pytest.approx(50_900 * 0.9)  # relative: ±10% of the base
    assert max(bars.values(), key=lambda b: b.swing).key == "ads_multiple"
    for b in bars.values():
        assert b.at_low <= seed_outputs["sotp_per_share"] <= b.at_high  # value rises with every driver


def test_monte_carlo_percentiles(seed_inputs, seed_outputs):
    mc = sweep.monte_carlo(seed_inputs, seed_outputs, 20_000, seed=1)
    p = list(mc.percentiles().values())
    assert p == sorted(p)
    bars = sweep.tornado(seed_inputs, seed_outputs)
    lowest = seed_outputs["sotp_per_share"] + sum(b.at_low - seed_outputs["sotp_per_share"] for b in bars)
    assert mc.per_share.min() >= lowest - 1e-9
    again = sweep.monte_carlo(seed_inputs, seed_outputs, 20_000, seed=1)
    assert np.array_equal(mc.per_share, again.per_share)  # a seed reproduces its draws
    for key, (lo, hi) in sweep.bounds(seed_inputs, seed_outputs).items():
        assert lo <= mc.draws[key].min() and mc.draws[key].max() <= hi


def test_grids_match_the_engine(seed_inputs, seed_outputs):
    ps, pg, grid = sweep.multiples_grid(seed_inputs, seed_outputs)
    assert grid[0, 0] == pytest.approx(float(sweep.per_share(seed_inputs, seed_outputs, ads_multiple=ps[0], ec_multiple=pg[0])))
    assert np.all(np.diff(grid, axis=0) > 0) and np.all(np.diff(grid, axis=1) > 0)
    pen, spend, gmv = sweep.gmv_grid(seed_inputs)
    assert gmv[2, 2] == pytest.approx(11.2 * 0.6 * 0.75 * 8000)  # the middle of both axes is the base case
    assert seed_outputs["sens_ps_pgmv"].shape == (5, 5)


def test_sweep_cli_json():
    result = CliRunner().invoke(main, ["sweep", "--draws", "5000", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [b["input"] for b in data["tornado"]][0] == "ads_multiple"
    p = data["monte_carlo"]["percentiles"]
    assert p["p5"] < p["p50"] < p["p95"] and 0 <= data["monte_carlo"]["probability_above_price"] <= 1
    table = CliRunner().invoke(main, ["sweep", "--draws", "1000"])
    assert "Tornado" in table.output and "Monte Carlo" in table.output
