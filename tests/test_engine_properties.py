"""Properties the engine must hold for any inputs, not just the seed's."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kwai_xl.engine import comps, gmv, sotp
from kwai_xl.engine.model import evaluate

pos = st.floats(min_value=1e-3, max_value=1e4, allow_nan=False, allow_infinity=False)
frac = st.floats(min_value=1e-3, max_value=1.0, allow_nan=False, allow_infinity=False)
scale = st.floats(min_value=0.1, max_value=10, allow_nan=False)


@given(pos, frac, frac, pos, scale, st.integers(0, 3))
def test_user_gmv_is_linear_in_each_factor(n, p, a, s, k, which):
    args = [n, p, a, s]
    scaled = list(args)
    scaled[which] *= k
    assert gmv.user_gmv(*scaled) == pytest.approx(k * gmv.user_gmv(*args), rel=1e-12)


@given(pos, frac, frac, scale, st.integers(0, 1))
def test_category_gmv_is_linear_in_sales_and_penetration(sales, p, c, k, which):
    args = [sales, p, c, 0.5]
    scaled = list(args)
    scaled[which] *= k
    assert gmv.category_gmv(*scaled) == pytest.approx(k * gmv.category_gmv(*args), rel=1e-12)


def ordered(strategy):
    return st.lists(strategy, min_size=3, max_size=3).map(sorted)


@given(pos, ordered(frac), ordered(frac), ordered(pos))
def test_user_grid_is_monotone_in_scenario_order(n, pen, act, spend):
    grid = gmv.user_gmv_grid(n, pen, act, spend)
    assert np.all(np.diff(grid, axis=0) >= 0) and np.all(np.diff(grid, axis=1) >= 0)
    assert grid[1, 1] == pytest.approx(gmv.user_gmv(n, pen[1], act[1], spend[1]))


@given(pos, ordered(frac), frac, ordered(frac))
def test_category_grid_is_monotone_when_share_falls(sales, pen, completion, share):
    share = share[::-1]  # the seed's order: 60 / 50 / 40%, a falling share raises GMV
    grid = gmv.category_gmv_grid(sales, pen, completion, share)
    assert np.all(np.diff(grid, axis=0) >= -1e-9 * grid.max()) and np.all(np.diff(grid, axis=1) >= 0)
    assert grid[2, 0] == pytest.approx(gmv.category_gmv(sales, pen[0], completion, share[2]))


cells = st.one_of(st.floats(-50, 500, allow_nan=False), st.none(), st.just("n.m."), st.just("n.a."), st.just(""))


@given(st.lists(cells, min_size=0, max_size=12))
def test_stats_ignore_text_and_blanks_and_match_numpy(values):
    stat = comps.peer_stat(values)
    nums = [v for v in values if isinstance(v, float)]
    assert stat.count == len(nums)
    if nums:
        assert stat.mean == pytest.approx(np.mean(nums))
        assert stat.median == np.median(nums)  # exactly: the engine computes it without np.median
    else:
        assert np.isnan(stat.mean) and np.isnan(stat.median)


@given(pos, st.one_of(st.floats(-1e4, 1e4, allow_nan=False), st.none()))
def test_multiple_labels_na_and_nm(cap, metric):
    label = comps.multiple_labels(cap, [metric])[0]
    if metric is None:
        assert label == "n.a."
    elif metric <= 0 or not np.isfinite(cap / metric):  # zero, negative, or so small the multiple overflows
        assert label == "n.m."
    else:
        assert label == pytest.approx(cap / metric)


@given(st.floats(10, 1e5), scale)
@settings(max_examples=50)
def test_per_share_value_scales_inversely_with_shares(seed_inputs, shares, k):
    one = evaluate(seed_inputs.with_changes(shares=shares))
    other = evaluate(seed_inputs.with_changes(shares=shares * k))
    assert other["sotp_per_share"] == pytest.approx(one["sotp_per_share"] / k, rel=1e-12)
    assert other["sotp_equity_hkd"] == pytest.approx(one["sotp_equity_hkd"], rel=1e-12)


def test_sotp_broadcasts_over_draws():
    draws = np.linspace(2.0, 4.0, 5)
    metrics = np.array([34100 * 0.1, 50900, 883964])
    multiples = np.stack([np.full(5, 9.45), draws, np.full(5, 0.19)], axis=-1)  # 5 draws × 3 segments
    r = sotp.sotp(metrics, multiples, np.zeros(3), fx_rmb_per_hkd=0.855, shares=4266, price=79.9)
    single = [sotp.sotp(metrics, [9.45, d, 0.19], [0, 0, 0], fx_rmb_per_hkd=0.855, shares=4266, price=79.9).per_share
              for d in draws]
    assert r.per_share == pytest.approx(single, rel=1e-12)
    assert np.all(np.diff(r.per_share) > 0)


def test_statistic_override_per_segment(seed_inputs):
    base = evaluate(seed_inputs)
    mixed = evaluate(seed_inputs.with_changes(seg_stat_override=(None, "Median", None)))
    assert mixed["sotp_ads_multiple"] == pytest.approx(base["ads_ps_median"][1])
    assert mixed["sotp_ls_multiple"] == pytest.approx(base["ls_pe_mean"][1])
    assert mixed["sotp_per_share"] < base["sotp_per_share"]  # the ads median (3.30) is below the mean (3.50)


@pytest.mark.parametrize("scenario, expected", [("Bear", 23520), ("Base", 40320), ("Bull", 62720)])
def test_selected_scenario_puts_both_axes_at_it(seed_inputs, scenario, expected):
    assert evaluate(seed_inputs.with_changes(scenario=scenario))["um_gmv"] == pytest.approx(expected)
