"""The model's inputs as one flat record, keyed by the workbook's public names.

``kwai_xl.quarters.inputs`` fills it from a quarter file and the workbook
reader from a spreadsheet, so the engine checks both.
"""

from dataclasses import dataclass, field, replace

import numpy as np

MULTIPLE_METRIC = {"ps": "rev", "pe": "np", "pgmv": "gmv"}
"""Each multiple and the fundamental under it: PS on revenue, PE on net profit, P/GMV on GMV."""

GROUPS = {
    "ls": ("live_streaming", ("ps", "pe"), "pe"),
    "ads": ("online_marketing", ("ps", "pe"), "ps"),
    "ec": ("live_commerce", ("ps", "pe", "pgmv"), "pgmv"),
}
"""Peer group prefix → (data key, multiples shown, multiple the SOTP applies)."""

UNIT_CONSTANTS = {"months_per_year": 12.0, "days_per_year": 365.0, "per_mille": 1000.0}
"""Unit conversions the driver tree uses; the workbook shows them as inputs on Assumptions."""

DRIVERS = ("paying_users", "arppu", "dau", "minutes_per_day", "ad_load", "ecpm", "inner_loop_take_rate",
           "brand_advertisers", "brand_spend", "monthly_buyers", "orders_per_month", "order_value",
           "monetisation_rate", "other_revenue")


@dataclass
class PeerGroup:
    """One peer group: market caps (n,) and fundamentals (n × 3), NaN where missing."""

    mcap: np.ndarray
    rev: np.ndarray
    np: np.ndarray
    gmv: np.ndarray


    def metric(self, multiple: str) -> np.ndarray:
        return getattr(self, MULTIPLE_METRIC[multiple])


@dataclass
class ModelInputs:
    """Every input the engine needs; money in 百万, fractions as fractions."""

    scenario: str
    sotp_stat: str
    um_netizens: float
    um_penetration: np.ndarray
    um_active_ratio: np.ndarray
    um_spend: np.ndarray
    cm_sales: np.ndarray
    cm_penetration: np.ndarray
    cm_completion: float
    cm_share: np.ndarray
    fx_rmb_per_hkd: float
    ks: PeerGroup
    groups: dict[str, PeerGroup]
    sotp_ls_revenue: float
    sotp_ls_margin: float
    sotp_ads_revenue: float
    sotp_premium: np.ndarray
    sotp_stat_override: tuple
    net_cash: float
    holding_discount: float
    shares: float
    price: float
    drivers: dict[str, float] = field(default_factory=dict)
    constants: dict[str, float] = field(default_factory=lambda: dict(UNIT_CONSTANTS))
    ranges: dict[str, tuple] = field(default_factory=dict)
    """Swept input → (low, high, basis, dist) (see :class:`kwai_xl.quarters.schema.Range`)."""
    sens_steps: np.ndarray = field(default_factory=lambda: np.array([0.0, 0.25, 0.5, 0.75, 1.0]))

    def with_changes(self, **changes) -> "ModelInputs":
        """A copy with some inputs replaced."""
        return replace(self, **changes)
