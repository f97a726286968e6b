"""Forecast against actual: what a quarter's model said, beside what was reported later.

The forecasts are the quarter's own figures (Kuaishou's FY1/FY2 consensus, the
SOTP's segment revenues, the 2025E live-commerce market by both methods, and
the value per share); the actuals come from the ``reported`` tables of later
quarter files, and for the value per share from the share price twelve months
after the quarter's as-of date: the later files' own price or their
``share_prices``, whichever lies nearest, if one lies within
:data:`PRICE_WINDOW` of that day.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from .. import paths
from ..engine.inputs import ModelInputs
from ..errors import KwaiError
from .schema import Outcomes, Quarter, Reported, SharePrice, load_outcomes

FORECASTS = (
    # key, reported field, year: FY index (1, 2) or "market" (the category method's sales year)
    ("revenue_fy1", "revenue", 1),
    ("revenue_fy2", "revenue", 2),
    ("gmv_fy1", "gmv", 1),
    ("gmv_fy2", "gmv", 2),
    ("ads_fy1", "online_marketing", 1),
    ("live_fy1", "live_streaming", 1),
    ("market_user", "live_commerce_market", "market"),
    ("market_category", "live_commerce_market", "market"),
    ("per_share_12m", "price", "12m"),
)
HORIZON = timedelta(days=365)
"""The value per share is scored against the share price this long after the quarter's as-of date."""
PRICE_WINDOW = timedelta(days=31)
"""How far from that day a recorded price may lie and still score it."""


@dataclass(frozen=True)
class Actual:
    key: str
    year: int
    value: float | None
    source: str
    as_of: date | None


def forecast_values(inputs: ModelInputs, outputs: dict) -> np.ndarray:
    """The quarter's forecasts in :data:`FORECASTS` order (RMB 百万; the market in 亿元; value per share in HKD);
    NaN where the quarter's segments make none (no ``ads``/``ls`` segment on revenue)."""
    ks = inputs.ks
    by_key = {
        "revenue_fy1": ks.rev[0, 1], "revenue_fy2": ks.rev[0, 2], "gmv_fy1": ks.gmv[0, 1], "gmv_fy2": ks.gmv[0, 2],
        "ads_fy1": outputs.get("sotp_ads_revenue", np.nan), "live_fy1": outputs.get("sotp_ls_revenue", np.nan),
        "market_user": outputs["um_gmv"], "market_category": outputs["cm_gmv"], "per_share_12m": outputs["sotp_per_share"],
    }
    return np.array([by_key[key] for key, _, _ in FORECASTS], dtype=float)


def forecast_errors(forecasts, actuals) -> np.ndarray:
    """Forecast / actual − 1 (fraction); NaN where the actual is missing or not positive."""
    f, a = np.asarray(forecasts, float), np.asarray(actuals, float)
    ok = np.isfinite(a) & (a > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok, f / np.where(ok, a, 1.0) - 1.0, np.nan)


def _later_files(q: Quarter, data_dir: Path | None) -> list[Outcomes]:
    """The outcomes recorded by quarter files dated after ``q`` (a file whose outcomes are not valid is left out
    here and reported when it is built)."""
    later = []
    for path in paths.quarter_files(data_dir):
        try:
            other = load_outcomes(path)
        except KwaiError:
            continue
        if other.as_of > q.as_of:
            later.append(other)
    return later


def later_reports(q: Quarter, data_dir: Path | None = None, later: list[Outcomes] | None = None) -> dict[int, Reported]:
    """Each year's reported outcomes from quarter files dated after ``q``; the latest file wins a year."""
    found: dict[int, tuple[date, Reported]] = {}
    for other in later if later is not None else _later_files(q, data_dir):
        for report in other.reported:
            if report.year not in found or found[report.year][0] < other.as_of:
                found[report.year] = (other.as_of, report)
    return {year: report for year, (_, report) in found.items()}


def price_after(q: Quarter, later: list[Outcomes]) -> SharePrice | None:
    """The recorded share price nearest to :data:`HORIZON` after ``q.as_of``, within :data:`PRICE_WINDOW`."""
    target = q.as_of + HORIZON
    seen = [SharePrice(as_of=o.market.price.as_of, value=o.market.price.value, unit="HKD per share",
                       source=o.market.price.source) for o in later] + [p for o in later for p in o.share_prices]
    near = [p for p in seen if abs(p.as_of - target) <= PRICE_WINDOW]
    return min(near, key=lambda p: (abs(p.as_of - target), p.as_of)) if near else None


def actuals_for(q: Quarter, data_dir: Path | None = None) -> list[Actual]:
    """The reported outcome for each of ``q``'s forecasts, where a later file records it."""
    later = _later_files(q, data_dir)
    reports = later_reports(q, later=later)
    price = price_after(q, later)
    out = []
    for key, field, year in FORECASTS:
        if year == "12m":
            out.append(Actual(key, (q.as_of + HORIZON).year, price.value if price else None,
                              price.source if price else "", price.as_of if price else None))
            continue
        target = q.category_method.sales_year if year == "market" else q.years[year]
        report = reports.get(target)
        value = getattr(report, field) if report else None
        out.append(Actual(key, target, value, report.source if report else "", report.as_of if report else None))
    return out
