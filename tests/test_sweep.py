"""Sweeps: vectorised results equal the scalar engine's; the tornado and the percentiles behave."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from kwai_xl.engine import sweep
from kwai_xl.engine.inputs import PeerGroup, sweep_keys
from kwai_xl.engine.model import evaluate
from kwai_xl.interfaces.cli import main


def scalar_case(inputs, outputs, case: dict) -> float:
    """One draw through the whole scalar model: metrics replaced, multiples reached through the premiums."""
    ks = inputs.ks
    gmv = ks.gmv.copy()
    gmv[0, 1] = case["ec_gmv"]
    premium = np.array([case[f"{k}_multiple"] / outputs[f"sotp_{k}_multiple"] for k in ("ls", "ads", "ec")]) \
        * (1 + inputs.seg_premium) - 1
    changed = inputs.with_changes(seg_value=np.array([case["ls_revenue"], case["ads_revenue"], np.nan]),
                                  seg_margin=np.array([case["ls_margin"], np.nan, np.nan]), seg_premium=premium,
                                  ranges={}, ks=PeerGroup(ks.mcap, ks.rev, ks.np, gmv))
    return evaluate(changed)["sotp_per_share"]


def test_monte_carlo_equals_the_scalar_engine_draw_by_draw(seed_inputs, seed_outputs):
    mc = sweep.monte_carlo(seed_inputs, seed_outputs, 40, seed=3)
    for k in range(40):
        case = {key: float(mc.draws[key][k]) for key in sweep_keys(seed_inputs.segments)}
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
    assert grid[2, 2] == pytest.approx(seed_outputs["sotp_per_share"])  # centred: the middle cell is the base case
    assert (ps[2], pg[2]) == pytest.approx((seed_outputs["sotp_ads_multiple"], seed_outputs["sotp_ec_multiple"]))
    assert (ps[0], ps[-1]) == (2.22, 5.17)  # the ends reach the sweep range
    pen, spend, gmv = sweep.gmv_grid(seed_inputs)
    assert gmv[2, 2] == pytest.approx(11.2 * 0.6 * 0.75 * 8000)  # the middle of both axes is the base case
    assert seed_outputs["sens_multiples"].shape == (5, 5)


def test_tornado_ranks_widest_first_ties_in_input_order(seed_inputs, seed_outputs):
    bars = sweep.tornado(seed_inputs, seed_outputs)
    ranked = sweep.by_swing(bars)
    assert [b.swing for b in ranked] == sorted((b.swing for b in bars), reverse=True)
    assert sorted(sweep.swing_ranks(bars)) == list(range(1, len(bars) + 1))
    tied = [sweep.TornadoBar("a", 0, 1, 1, 2), sweep.TornadoBar("b", 0, 1, 0, 3), sweep.TornadoBar("c", 0, 1, 1, 2)]
    assert list(sweep.swing_ranks(tied)) == [2, 1, 3]
    assert seed_outputs["sens_tornado_low"][0] == ranked[0].at_low


def test_sweep_cli_json():
    result = CliRunner().invoke(main, ["sweep", "-q", "2022Q2", "--draws", "5000", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [b["input"] for b in data["tornado"]][0] == "ads_multiple"
    p = data["monte_carlo"]["percentiles"]
    assert p["p5"] < p["p50"] < p["p95"] and 0 <= data["monte_carlo"]["probability_above_price"] <= 1
    table = CliRunner().invoke(main, ["sweep", "-q", "2022Q2", "--draws", "1000"])
    assert "Tornado" in table.output and "Monte Carlo" in table.output
