"""The model's inputs as one flat record, keyed by the workbook's public names.

:func:`inputs_from_quarter` reads them from a quarter file; the workbook
reader fills the same record from a spreadsheet, so the engine checks both.
"""

from dataclasses import dataclass, field, replace

import numpy as np

from .quarter import Company, Quarter

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


def _figures(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


@dataclass
class PeerGroup:
    """One peer group: market caps (n,) and fundamentals (n × 3), NaN where missing."""

    mcap: np.ndarray
    rev: np.ndarray
    np: np.ndarray
    gmv: np.ndarray

    @classmethod
    def from_companies(cls, companies: list[Company]) -> "PeerGroup":
        return cls(
            mcap=np.array([c.market_cap for c in companies], dtype=float),
            rev=np.array([_figures(c.revenue) for c in companies]).reshape(-1, 3),
            np=np.array([_figures(c.net_profit) for c in companies]).reshape(-1, 3),
            gmv=np.array([_figures(c.gmv) for c in companies]).reshape(-1, 3),
        )

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
    """Swept input → (low, high, basis, dist) (see :class:`kwai_xl.quarter.Range`)."""
    sens_steps: np.ndarray = field(default_factory=lambda: np.array([0.0, 0.25, 0.5, 0.75, 1.0]))

    def with_changes(self, **changes) -> "ModelInputs":
        """A copy with some inputs replaced."""
        return replace(self, **changes)


def inputs_from_quarter(q: Quarter) -> ModelInputs:
    """The flat inputs of a validated quarter file."""
    return ModelInputs(
        scenario=q.choices.scenario.value,
        sotp_stat=q.choices.statistic.value,
        um_netizens=q.user_method.netizens.value,
        um_penetration=np.array(q.user_method.penetration.values, float),
        um_active_ratio=np.array(q.user_method.active_ratio.values, float),
        um_spend=np.array(q.user_method.spend.values, float),
        cm_sales=np.array([c.sales for c in q.category_method.categories], float),
        cm_penetration=np.array(q.category_method.penetration.values, float),
        cm_completion=q.category_method.completion.value,
        cm_share=np.array(q.category_method.share.values, float),
        fx_rmb_per_hkd=q.market.fx_rmb_per_hkd.value,
        ks=PeerGroup.from_companies([q.kuaishou]),
        groups={prefix: PeerGroup.from_companies(getattr(q.peers, key)) for prefix, (key, _, _) in GROUPS.items()},
        sotp_ls_revenue=q.sotp.ls_revenue.value,
        sotp_ls_margin=q.sotp.ls_margin.value,
        sotp_ads_revenue=q.sotp.ads_revenue.value,
        sotp_premium=np.array(q.sotp.premium.values, float),
        sotp_stat_override=tuple(q.sotp.statistic.values),
        net_cash=q.market.net_cash.value,
        holding_discount=q.market.holding_discount.value,
        shares=q.market.shares.value,
        price=q.market.price.value,
        drivers={name: getattr(q.drivers, name).value for name in DRIVERS},
        ranges={key: (r.low, r.high, r.basis, r.dist) for key, r in q.sensitivity.ranges.items()},
        sens_steps=np.array(q.sensitivity.steps, float),
    )
