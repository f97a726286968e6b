"""The shipped 2022Q2 data, run through the engine, reproduces the seed report's figures (MODEL.md §1–4)."""

import numpy as np
import pytest
from conftest import seed_round
from seed_figures import (
    CM_TOLERANCE,
    SEED_CM_ADV,
    SEED_CM_GRID,
    SEED_CM_TOTAL,
    SEED_KS_PGMV,
    SEED_KS_PS,
    SEED_STATS,
    SEED_UM_BUYERS,
    SEED_UM_GRID,
)


def test_user_method_buyers_and_grid_exact(seed_outputs):
    assert seed_outputs["um_buyers"] == pytest.approx(SEED_UM_BUYERS, rel=1e-12)
    assert seed_outputs["um_gmv_grid"] == pytest.approx(np.array(SEED_UM_GRID), rel=1e-12)
    assert seed_outputs["um_gmv"] == pytest.approx(40320, rel=1e-12)


def test_category_total_is_the_sum_of_lines_not_the_printed_total(seed_outputs):
    assert seed_outputs["cm_sales_total"] == 27561
    assert abs(seed_outputs["cm_sales_total"] - SEED_CM_TOTAL) <= 5 * 0.5  # five lines, each rounded


def test_category_method_within_the_seeds_rounding(seed_outputs):
    assert seed_outputs["cm_adv_gmv"] == pytest.approx(SEED_CM_ADV, rel=CM_TOLERANCE)
    assert seed_outputs["cm_gmv_grid"] == pytest.approx(np.array(SEED_CM_GRID), rel=CM_TOLERANCE)
    assert round(seed_outputs["cm_gmv"] / 1e4, 1) == 4.4  # "≈ 4.4万亿"


# PE and P/GMV rest on fundamentals implied from the seed's two-decimal multiples, so their
# statistics are those of the rounded multiples. One cell cannot reach the seed's figure that way:
# the ads PE 2021A mean of 12.19, 30.90 and 13.11 is 18.733 (the seed's unrounded PEs gave 18.74).
IMPLIED_FROM_ROUNDED = {("ads_pe", "mean", 0): 18.73}


@pytest.mark.parametrize("name", sorted(SEED_STATS))
def test_peer_mean_and_median_to_two_decimals(seed_outputs, name):
    for stat, expected in zip(("mean", "median"), SEED_STATS[name]):
        got = [seed_round(v) for v in seed_outputs[f"{name}_{stat}"]]
        for year, (g, e) in enumerate(zip(got, expected)):
            assert g == IMPLIED_FROM_ROUNDED.get((name, stat, year), e), (name, stat, year)


def test_peer_counts_leave_out_the_seeds_slashes(seed_outputs):
    assert list(seed_outputs["ls_pe_count"]) == [3, 2, 2]  # DouYu all "/", HUYA "/" in 22E and 23E
    assert list(seed_outputs["ads_pe_count"]) == [3, 4, 4]  # Twitter 21A "/"
    assert list(seed_outputs["ec_pgmv_count"]) == [4, 4, 4]


def test_kuaishou_own_row(seed_outputs):
    assert [seed_round(v) for v in seed_outputs["ks_ps"]] == SEED_KS_PS
    assert [seed_round(v) for v in seed_outputs["ks_pgmv"]] == SEED_KS_PGMV
    assert list(seed_outputs["ks_pe"]) == ["n.m.", "n.a.", "n.a."]


def test_headline_picks(seed_outputs):
    assert seed_round(seed_outputs["sotp_ls_multiple"]) == 9.45
    assert seed_round(seed_outputs["sotp_ads_multiple"]) == 3.50
    assert seed_round(seed_outputs["sotp_ec_multiple"]) == 0.19


def test_sotp_chain_from_the_shipped_inputs(seed_outputs):
    """The chain from the seed's figures: 509亿 ads revenue (p.17), 42.66亿 shares (p.14), 0.8550 RMB/HKD (p.7)."""
    out = seed_outputs
    assert out["sotp_ec_gmv"] == pytest.approx(883_964, abs=1)  # MODEL.md: ≈ 883,900 implied by P/GMV 0.33
    assert out["sotp_ls_value"] == pytest.approx(34_100 * 0.10 * out["sotp_ls_multiple"])
    assert out["sotp_ads_value"] == pytest.approx(50_900 * out["sotp_ads_multiple"])
    total = out["sotp_ls_value"] + out["sotp_ads_value"] + out["sotp_ec_value"]
    assert out["sotp_equity_rmb"] == pytest.approx(total)
    assert out["sotp_per_share"] == pytest.approx(total / 0.855 / 4266)
    assert out["sotp_upside"] == pytest.approx(out["sotp_per_share"] / 79.9 - 1)
    assert 90 < out["sotp_per_share"] < 115  # a sanity band around the seed's 79.9 price and its buy call
