"""Sum-of-the-parts valuation (MODEL.md §4).

All money in 百万 (RMB unless named HKD); every function broadcasts, so one
call values a single case or a million Monte Carlo draws.
"""

from dataclasses import dataclass

import numpy as np

SEGMENTS = ("ls", "ads", "ec")
"""Live streaming (valued on PE), online marketing (PS), live commerce (P/GMV)."""


def segment_value(metric, multiple, premium=0.0):
    """Segment value (RMB 百万) = Kuaishou metric (RMB 百万) × peer multiple (×) × (1 + premium)."""
    return np.multiply(np.multiply(metric, multiple), np.add(1.0, premium))


def live_streaming_profit(revenue, net_margin):
    """Live-streaming net profit (RMB 百万) = revenue (RMB 百万) × peer net margin (fraction)."""
    return np.multiply(revenue, net_margin)


def equity_value_rmb(segment_values, net_cash=0.0, holding_discount=0.0):
    """Equity value (RMB 百万) = Σ segment values + net cash − holding discount."""
    total = np.sum(np.stack(np.broadcast_arrays(*segment_values)), axis=0)
    return total + np.asarray(net_cash, float) - np.asarray(holding_discount, float)


def rmb_to_hkd(amount_rmb, fx_rmb_per_hkd):
    """HKD amount from an RMB amount at ``fx_rmb_per_hkd`` RMB per HKD."""
    return np.divide(amount_rmb, fx_rmb_per_hkd)


def per_share(equity_hkd, shares):
    """Value per share (HKD) = equity (HKD 百万) / shares (百万)."""
    return np.divide(equity_hkd, shares)


def upside(value, price):
    """Upside (fraction) = value per share / share price − 1."""
    return np.subtract(np.divide(value, price), 1.0)


@dataclass(frozen=True)
class SotpResult:
    """The SOTP chain: segment values and equity in 百万, per share in HKD, upside a fraction."""

    ls_value: np.ndarray
    ads_value: np.ndarray
    ec_value: np.ndarray
    equity_rmb: np.ndarray
    equity_hkd: np.ndarray
    per_share: np.ndarray
    upside: np.ndarray


def sotp(*, ls_revenue, ls_margin, ls_pe, ads_revenue, ads_ps, ec_gmv, ec_pgmv,
         fx_rmb_per_hkd, shares, price, net_cash=0.0, holding_discount=0.0,
         ls_premium=0.0, ads_premium=0.0, ec_premium=0.0) -> SotpResult:
    """Value Kuaishou by parts: FY1 metrics (RMB 百万) × FY1 peer multiples → HKD per share and upside."""
    ls = segment_value(live_streaming_profit(ls_revenue, ls_margin), ls_pe, ls_premium)
    ads = segment_value(ads_revenue, ads_ps, ads_premium)
    ec = segment_value(ec_gmv, ec_pgmv, ec_premium)
    eq_rmb = equity_value_rmb((ls, ads, ec), net_cash, holding_discount)
    eq_hkd = rmb_to_hkd(eq_rmb, fx_rmb_per_hkd)
    value = per_share(eq_hkd, shares)
    return SotpResult(ls, ads, ec, eq_rmb, eq_hkd, value, upside(value, price))
