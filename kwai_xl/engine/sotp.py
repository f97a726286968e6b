"""Sum-of-the-parts valuation (MODEL.md §4).

All money in 百万 (RMB unless named HKD); every function broadcasts, so one
call values a single case or a million Monte Carlo draws.
"""

from dataclasses import dataclass

import numpy as np


def segment_value(metric, multiple, premium=0.0):
    """Segment value (RMB 百万) = Kuaishou metric (RMB 百万) × peer multiple (×) × (1 + premium)."""
    return np.multiply(np.multiply(metric, multiple), np.add(1.0, premium))


def profit_from_revenue(revenue, net_margin):
    """Net profit (RMB 百万) = revenue (RMB 百万) × net margin (fraction), e.g. live streaming at the peers' margin."""
    return np.multiply(revenue, net_margin)


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
    """The SOTP chain: segment values (…, k) and equity in 百万, per share in HKD, upside a fraction."""

    values: np.ndarray
    equity_rmb: np.ndarray
    equity_hkd: np.ndarray
    per_share: np.ndarray
    upside: np.ndarray


def sotp(metrics, multiples, premiums, *, fx_rmb_per_hkd, shares, price, net_cash=0.0,
         holding_discount=0.0) -> SotpResult:
    """Value Kuaishou by parts: FY1 metrics (RMB 百万) × FY1 peer multiples × (1 + premium) → HKD per share.

    ``metrics``, ``multiples`` and ``premiums`` run along the last axis, one entry per segment;
    leading axes (cases, Monte Carlo draws) broadcast with the scalars.
    """
    values = segment_value(metrics, multiples, premiums)
    eq_rmb = np.sum(values, axis=-1) + np.asarray(net_cash, float) - np.asarray(holding_discount, float)
    eq_hkd = rmb_to_hkd(eq_rmb, fx_rmb_per_hkd)
    value = per_share(eq_hkd, shares)
    return SotpResult(values, eq_rmb, eq_hkd, value, upside(value, price))
