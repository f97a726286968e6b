"""Peer multiples (PS, PE, P/GMV) and their mean/median statistics.

MODEL.md §3. A multiple whose denominator is missing is "n.a."; one whose
denominator is zero or negative is "n.m." (not meaningful). Both drop out of
the statistics, whose peer count is reported with them.
"""

from dataclasses import dataclass

import numpy as np

NOT_AVAILABLE = "n.a."
NOT_MEANINGFUL = "n.m."


def _as_float(x) -> np.ndarray:
    """``x`` as a float array, None and blanks as NaN."""
    arr = np.asarray(x, dtype=object)
    flat = [np.nan if (v is None or (isinstance(v, str) and not v.strip())) else v for v in arr.ravel()]
    return np.asarray(flat, dtype=float).reshape(arr.shape)


def own_market_cap(price, shares) -> np.ndarray:
    """Kuaishou's market cap, HKD 百万: share price (HKD) × shares (百万), so its own multiples follow the price."""
    return np.atleast_1d(np.asarray(price, dtype=float) * np.asarray(shares, dtype=float))


def multiple_values(market_cap, metric) -> np.ndarray:
    """Market cap / metric (×), NaN where the metric is missing, zero or negative.

    Both arguments are in the same currency unit (e.g. USD 百万); they broadcast.
    """
    cap = _as_float(market_cap)
    den = _as_float(metric)
    ok = np.isfinite(den) & (den > 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        values = np.where(ok, cap / np.where(ok, den, 1.0), np.nan)
    return np.where(np.isfinite(values), values, np.nan)


def multiple_labels(market_cap, metric) -> np.ndarray:
    """Like :func:`multiple_values`, but "n.a." for a missing and "n.m." for a zero or negative metric."""
    den = _as_float(metric)
    numeric = multiple_values(market_cap, den)
    values = numeric.astype(object)
    values[np.isnan(numeric)] = NOT_MEANINGFUL  # zero, negative, or so small the multiple overflows
    values[np.broadcast_to(np.isnan(den), values.shape)] = NOT_AVAILABLE
    return values


def numeric_only(values) -> np.ndarray:
    """The finite numbers among ``values`` (text such as "n.m.", None and NaN dropped), flattened."""
    out = []
    for v in np.asarray(values, dtype=object).ravel():
        if isinstance(v, (bool, np.bool_)) or v is None or isinstance(v, str):
            continue
        f = float(v)
        if np.isfinite(f):
            out.append(f)
    return np.asarray(out, dtype=float)


@dataclass(frozen=True)
class PeerStat:
    """Mean and median of the meaningful multiples of one column, with the peer count used."""

    mean: float
    median: float
    count: int


def peer_stat(values) -> PeerStat:
    """Mean, median and count of the meaningful multiples in ``values`` (NaN when none is)."""
    nums = numeric_only(values)
    if nums.size == 0:
        return PeerStat(np.nan, np.nan, 0)
    return PeerStat(float(np.mean(nums)), median(nums), int(nums.size))


def median(nums: np.ndarray) -> float:
    """The median of finite numbers (as Excel's MEDIAN: the middle one, or the mean of the middle two).
    ``np.median`` gives the same, but its first call imports numpy.ma (some 10 ms of a cold build)."""
    s, mid = np.sort(nums), nums.size // 2
    return float(s[mid]) if nums.size % 2 else float((s[mid - 1] + s[mid]) / 2)


def peer_stats_by_year(multiples) -> list[PeerStat]:
    """:func:`peer_stat` of each column of an n × years table of multiples."""
    table = np.asarray(multiples, dtype=object)
    if table.ndim == 1:
        table = table.reshape(-1, 1)
    return [peer_stat(table[:, k]) for k in range(table.shape[1])]
