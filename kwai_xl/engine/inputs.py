"""The model's inputs as one flat record, keyed by the workbook's public names.

``kwai_xl.quarters.inputs`` fills it from a quarter file and the workbook
reader from a spreadsheet, so the engine checks both.
"""

from dataclasses import dataclass, field, replace

import numpy as np

MULTIPLES = ("ps", "pe", "pgmv")
METRICS = ("revenue", "net_profit", "gmv")
MULTIPLE_METRIC = {"ps": "rev", "pe": "np", "pgmv": "gmv"}
"""Each multiple and the fundamental under it: PS on revenue, PE on net profit, P/GMV on GMV."""
MULTIPLE_BASIS = {"ps": "revenue", "pe": "net_profit", "pgmv": "gmv"}
"""The same, by the data file's field names."""
METRIC_FIELD = {"revenue": "rev", "net_profit": "np", "gmv": "gmv"}
METRIC_NAME = {"revenue": "revenue", "net_profit": "profit", "gmv": "gmv"}
"""How a segment's metric is spelled in its public names: ``sotp_ls_revenue``, ``sotp_ads_profit``, ``sotp_ec_gmv``."""
TREE_FIGURES = {("revenue", "ls"): "drv_live_streaming", ("revenue", "ads"): "drv_online_marketing",
                ("revenue", "ec"): "drv_other", ("gmv", None): "drv_gmv"}
"""(segment metric, segment key or None for any) → the driver tree's output that gives it: live-streaming revenue,
online-marketing revenue, e-commerce and other revenue, GMV. Other segments keep their typed or comps figure."""
DEFAULT_SEGMENTS = ("ls", "ads", "ec")
"""MODEL.md's three segments: live streaming on PE of revenue × margin, online marketing on PS, live commerce on P/GMV."""


@dataclass(frozen=True)
class Segment:
    """The structure of one SOTP segment: which Kuaishou FY1 metric, times which peer group's multiple."""

    key: str
    group: str
    multiple: str      # ps | pe | pgmv
    metric: str        # revenue | net_profit | gmv: Kuaishou's FY1 figure
    typed: bool        # the figure is an input of its own (else Kuaishou's comps row, FY1)
    margin: bool       # revenue × net margin = the profit a PE applies to

    @property
    def tree_figure(self) -> str | None:
        """The driver tree's output that can stand for this segment's figure (:data:`TREE_FIGURES`), or None."""
        return TREE_FIGURES.get((self.metric, self.key), TREE_FIGURES.get((self.metric, None)))

    @property
    def metric_name(self) -> str:
        """Public name of the Kuaishou figure, e.g. ``sotp_ls_revenue``."""
        return f"sotp_{self.key}_{METRIC_NAME[self.metric]}"

    @property
    def sweep_keys(self) -> tuple[str, ...]:
        """The swept inputs of this segment: its metric, its margin (if any) and its multiple."""
        return (f"{self.key}_{METRIC_NAME[self.metric]}",) + ((f"{self.key}_margin",) if self.margin else ()) + \
            (f"{self.key}_multiple",)


def sweep_keys(segments) -> tuple[str, ...]:
    """Every swept input, segment by segment."""
    return tuple(k for seg in segments for k in seg.sweep_keys)


UNIT_CONSTANTS = {"months_per_year": 12.0, "days_per_year": 365.0, "per_mille": 1000.0, "mn_per_yi": 100.0}
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
        """The fundamentals under ``multiple`` (ps, pe, pgmv)."""
        return getattr(self, MULTIPLE_METRIC[multiple])

    def metric_by_field(self, field: str) -> np.ndarray:
        """The fundamentals named as in the data file (revenue, net_profit, gmv)."""
        return getattr(self, METRIC_FIELD[field])


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
    """Peer group key → its figures, the columns being the quarter's FY0–FY2."""
    segments: tuple[Segment, ...]
    seg_value: np.ndarray
    """Each segment's own FY1 figure (RMB 百万), NaN where it takes Kuaishou's comps row."""
    seg_margin: np.ndarray
    """Each segment's net margin (fraction), NaN where it has none."""
    seg_premium: np.ndarray
    seg_stat_override: tuple
    net_cash: float
    holding_discount: float
    shares: float
    price: float
    drivers: dict[str, np.ndarray] = field(default_factory=dict)
    """Driver-tree input → its FY0–FY2 values (3,), NaN where no figure is sourced."""
    metric_source: str = "Typed"
    """Where the SOTP's segment figures come from: Typed (estimates and comps row) or Drivers (the tree's FY1)."""
    constants: dict[str, float] = field(default_factory=lambda: dict(UNIT_CONSTANTS))
    ranges: dict[str, tuple] = field(default_factory=dict)
    """Swept input → (low, high, basis, dist) (see :class:`kwai_xl.quarters.schema.Range`)."""
    sens_steps: np.ndarray = field(default_factory=lambda: np.array([-1.0, -0.5, 0.0, 0.5, 1.0]))
    """Grid steps: 0 the base case, −1/+1 the ends of each axis' range."""
    sens_grid: tuple = ()
    """The two segments whose multiples span the value-per-share grid; empty: the last two."""

    def with_changes(self, **changes) -> "ModelInputs":
        """A copy with some inputs replaced."""
        return replace(self, **changes)
