"""The shipped 2022Q2 data, run through the engine, reproduces the seed report's figures (MODEL.md §1–4)."""

import re
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from conftest import DATA_DIR, seed_round
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


def shown(value: float, places: int = 2) -> float:
    """What a cell formatted to ``places`` decimals displays: the stored float rounded half away from zero."""
    return float(Decimal(float(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize("name", sorted(SEED_STATS))
def test_peer_mean_and_median_display_as_printed(seed_outputs, name):
    """Every one of the 42 printed means and medians, with no exceptions (see data/tools/reconstruct_peer_multiples.py)."""
    for stat, expected in zip(("mean", "median"), SEED_STATS[name]):
        assert [shown(v) for v in seed_outputs[f"{name}_{stat}"]] == expected, (name, stat)


def test_every_peer_multiple_displays_as_printed(seed_quarter, seed_outputs):
    """Each peer's PE and P/GMV, as displayed, is the figure printed in the data file's comment (the seed's)."""
    text = (DATA_DIR / "2022Q2.yaml").read_text(encoding="utf-8")
    printed, ticker = [], None
    for line in text.splitlines():
        ticker = (re.search(r"ticker: (\S+)", line) or [None, ticker])[1]
        m = re.search(r"(net_profit|gmv): .*# implied: market cap / published (?:PE|P/GMV) \[([^\]]*)\]", line)
        if m:
            printed.append((ticker, m.group(1), m.group(2)))
    where = {peer.ticker: (group.key, k) for group in seed_quarter.peers.groups for k, peer in enumerate(group.companies)}
    assert len(printed) == 15  # 11 PE rows with figures (DouYu's are all "/") and 4 P/GMV rows
    for ticker, field, figures in printed:
        prefix, k = where[ticker]
        row = seed_outputs[f"{prefix}_{'pe' if field == 'net_profit' else 'pgmv'}"][k]
        for value, figure in zip(row, figures.split(",")):
            figure = figure.strip()
            assert (value in ("n.a.", "n.m.")) if figure == "/" else shown(value) == float(figure), (ticker, field)


def test_peer_counts_leave_out_the_seeds_slashes(seed_outputs):
    assert list(seed_outputs["ls_pe_count"]) == [3, 2, 2]  # DouYu all "/", HUYA "/" in 22E and 23E
    assert list(seed_outputs["ads_pe_count"]) == [3, 4, 4]  # Twitter 21A "/"
    assert list(seed_outputs["ec_pgmv_count"]) == [4, 4, 4]


def test_kuaishou_own_row(seed_outputs):
    # seed p.10 prints FY0 3.60 from its market cap 341,179; the model's is price × shares, 79.9 × 4,266 = 340,853
    assert [seed_round(v) for v in seed_outputs["ks_ps"]] == [3.59] + SEED_KS_PS[1:]
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
