"""Figures that validate but look mistyped: ``build``, ``calc`` and ``pull`` name them as warnings.

A rule here never refuses a file (the schema's ranges do that); it catches the typos
a range cannot: a premium of 5 meant as 5% (it reads as +500%), an fx rate typed
the wrong way round (HKD per RMB for RMB per HKD), market data dated after the quarter's
own date (the valuation is as of that date; the stale guard reads such an age as negative).
"""

from .schema import Quarter
from .staleness import market_dates

PREMIUM_MOST = 1.0
"""A segment premium (or discount) of ±100% of the peer multiple or more is named: a percentage typed whole?"""
FX_RMB_PER_HKD = (0.7, 1.05)
"""RMB per HKD outside this band is named (it moved between 0.79 and 0.93 in 2015–2025, so HKD per RMB, typed
by mistake, reads 1.07–1.27): inverted?"""


def implausible(q: Quarter) -> list[str]:
    """One line per figure of ``q`` that looks mistyped, naming its data-file path and value."""
    out = []
    for k, seg in enumerate(q.sotp.segments):
        premium = seg.premium.value
        if abs(premium) >= PREMIUM_MOST:
            out.append(f"sotp.segments.{k}.premium.value: {premium:g} is {premium:+.0%} on segment {seg.key}'s peer "
                       f"multiple: a percentage typed whole? ({premium:g}% is {premium / 100:g})")
    fx = q.market.fx_rmb_per_hkd.value
    low, high = FX_RMB_PER_HKD
    if not low <= fx <= high:
        out.append(f"market.fx_rmb_per_hkd.value: {fx:g} RMB per HKD is outside {low:g}–{high:g}: HKD per RMB typed "
                   f"instead (that would be {1 / fx:.4g})?")
    for m in market_dates(q):
        if m.age_days < 0:
            what = f"{m.ticker}'s market cap" if m.ticker else m.name
            out.append(f"{what} is dated {m.as_of}, {-m.age_days} day(s) after {q.quarter}'s own date {q.as_of}: the "
                       f"valuation is as of that date (a later figure belongs in a later quarter: kwai-xl new-quarter)")
    return out
