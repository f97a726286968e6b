"""Stale inputs: figures whose as-of date lies too long before the quarter's own.

Two guards. Any input dated more than a quarter before the quarter's as-of
date is *stale*: ``new-quarter`` carries every figure forward with its old date,
so whatever was not refreshed shows up here; ``build`` warns and the Cover lists
them. The *market guard* is stricter and louder: the share price, the fx rate
and every market cap the SOTP's peer multiples rest on may be at most
``stale_after_days`` (default 31) older than the quarter, or the upside is
measured against a market that no longer exists; the Cover marks the upside
stale in red, a check on the Checks sheet fails, ``build`` warns and
``calc --json`` carries ``stale: true``.

A peer whose market cap is dated apart from its estimates (``market_cap_as_of``) is judged twice: its market cap
by the market guard, its estimates as a stale input (``build`` and ``calc`` name those the SOTP rests on).

Both guards measure against the quarter's own date, so a file stays what it was.
A third looks at the calendar: the newest quarter, the one an analyst takes for
the current valuation, is named loudly by ``build`` and ``calc`` when its date
lies more than ``stale_after_days`` before today (:func:`days_behind_today`).
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from pydantic import BaseModel

from .. import paths
from ..engine.inputs import MULTIPLE_BASIS
from .schema import Company, Quarter

STALE_AFTER = timedelta(days=92)


@dataclass(frozen=True)
class StaleInput:
    path: str
    as_of: date

    def __str__(self) -> str:
        return f"{self.path} (as of {self.as_of})"


def _own_dates(prefix: str, obj):
    """(path, as_of) of a dated input: one date for the whole; a comps row whose market cap is dated apart
    (``market_cap_as_of``) gives two, its ``market_cap`` and its ``estimates``."""
    market_cap = getattr(obj, "market_cap_as_of", None)
    if market_cap is None:
        yield prefix, obj.as_of
    else:
        yield f"{prefix}.market_cap", market_cap
        yield f"{prefix}.estimates", obj.as_of


def _dated(prefix: str, obj):
    """(path, as_of) of every dated figure inside a validated model."""
    as_of = getattr(obj, "as_of", None)
    if isinstance(as_of, date) and prefix:
        yield from _own_dates(prefix, obj)
        return
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            value = getattr(obj, name)
            if isinstance(value, date) and name.endswith("as_of"):
                yield f"{prefix}.{name.removesuffix('as_of').rstrip('_') or 'as_of'}", value
            else:
                yield from _dated(f"{prefix}.{name}" if prefix else name, value)
    elif isinstance(obj, (list, tuple)):
        for k, item in enumerate(obj):
            label = getattr(item, "ticker", None) or getattr(item, "key", None) or k
            yield from _dated(f"{prefix}[{label}]", item)
    elif isinstance(obj, dict):
        for key, item in obj.items():
            yield from _dated(f"{prefix}.{key}", item)


def stale_inputs(q: Quarter) -> list[StaleInput]:
    """Every input of ``q`` dated more than :data:`STALE_AFTER` before ``q.as_of`` (reported outcomes excepted)."""
    cutoff = q.as_of - STALE_AFTER
    found = []
    for name in ("market", "user_method", "category_method", "context", "kuaishou", "peers", "sotp", "drivers"):
        for path, as_of in _dated(name, getattr(q, name)):
            if as_of < cutoff:
                found.append(StaleInput(path, as_of))
    return found


def stale_estimates(q: Quarter) -> list[Company]:
    """The peers the SOTP's multiples rest on (a positive FY1 figure a segment's multiple divides by) whose estimates
    are dated more than :data:`STALE_AFTER` before ``q.as_of``, whatever the date of their market caps (a fresh market
    cap over old estimates is an old multiple)."""
    cutoff = q.as_of - STALE_AFTER
    bases: dict[str, set[str]] = {}  # group → the FY1 figures its segments' multiples divide by
    for seg in q.sotp.segments:
        bases.setdefault(seg.group, set()).add(MULTIPLE_BASIS[seg.multiple])
    return [peer for group in q.peers.groups for peer in group.companies if peer.as_of < cutoff
            and any((getattr(peer, basis)[1] or 0) > 0 for basis in bases.get(group.key, ()))]


def _section(path: str, words: dict) -> tuple[str, str]:
    """(section, name) of a stale input's data-file path: ``market.price`` → (market, price); a peer
    ``peers.groups[ads].companies[META.O]`` → (peers.ads, META.O), and the part of one whose market cap is dated
    apart by ``words``' ``part`` (``…companies[META.O].estimates`` → META.O estimates); a whole section, as
    ``kuaishou``, names itself."""
    head, _, rest = path.partition(".")
    if head == "peers":
        group = re.match(r"groups\[([^\]]+)\](?:\.companies\[([^\]]+)\])?\.?(.*)", rest)
        if group and group.group(2) and group.group(3):
            return f"peers.{group.group(1)}", words["part"].format(name=group.group(2),
                                                                   part=words["parts"][group.group(3)])
        if group:
            return f"peers.{group.group(1)}", group.group(2) or group.group(3) or head
    return head, rest or head


def stale_summary(stale: list[StaleInput], words: dict) -> list[str]:
    """One line per section (peers: per group) naming its stale inputs by data-file key and the oldest date, for
    the Cover. ``words`` (the workbook language's ``stale_words`` label set) frame the line: ``line`` with
    {section} (its name in ``section_names``, else the key), {key} (the data-file section), {names}, {oldest};
    ``sep`` between names; ``more`` past six; ``part`` and ``parts`` name a comps row's market cap and estimates
    where they are dated apart."""
    sections: dict[str, list[tuple[str, date]]] = {}
    for item in stale:
        section, name = _section(item.path, words)
        sections.setdefault(section, []).append((name, item.as_of))
    lines = []
    for section, items in sections.items():
        names = [name for name, _ in items]
        shown = words["sep"].join(names[:6]) + (words["more"].format(n=len(names) - 6) if len(names) > 6 else "")
        lines.append(words["line"].format(section=words.get("section_names", {}).get(section, section), key=section,
                                          names=shown, oldest=min(as_of for _, as_of in items)))
    return lines


@dataclass(frozen=True)
class MarketDate:
    """One market figure the valuation rests on, its public name and row (for the workbook) and its date."""

    name: str
    row: int
    as_of: date
    age_days: int
    ticker: str | None = None  # a peer's, for its market cap

    def label(self, words: dict) -> str:
        """What the figure is called, in the language of ``words`` (``stale_words``: its ``market`` labels)."""
        market = words["market"]
        return market[self.name] if self.ticker is None else market["mcap"].format(ticker=self.ticker)


def market_dates(q: Quarter) -> list[MarketDate]:
    """The price, the fx rate and every peer market cap the SOTP uses, each with its age in days."""
    found = [("price", 0, q.market.price.as_of, None), ("fx_rmb_per_hkd", 0, q.market.fx_rmb_per_hkd.as_of, None)]
    used = {seg.group for seg in q.sotp.segments}
    for group in q.peers.groups:
        if group.key in used:
            for row, peer in enumerate(group.companies):
                found.append((f"{group.key}_mcap", row, peer.market_cap_date, peer.ticker))
    return [MarketDate(name, row, as_of, (q.as_of - as_of).days, ticker) for name, row, as_of, ticker in found]


def stale_market(q: Quarter) -> list[MarketDate]:
    """The market figures older than ``q.stale_after_days`` before the quarter's as-of date."""
    return [m for m in market_dates(q) if m.age_days > q.stale_after_days]


def stale_market_json(q: Quarter, words: dict) -> dict:
    """The guards for ``calc --json``: the market guard's flag, threshold and each stale figure with its date; and
    the SOTP's peers whose estimates are old (:func:`stale_estimates`), with their dates."""
    stale = stale_market(q)
    return {"stale": bool(stale), "stale_after_days": q.stale_after_days,
            "stale_market": [{"figure": m.label(words), "as_of": m.as_of.isoformat(), "age_days": m.age_days}
                             for m in stale],
            "stale_estimates": [{"ticker": peer.ticker, "as_of": peer.as_of.isoformat(),
                                 "age_days": (q.as_of - peer.as_of).days} for peer in stale_estimates(q)]}


def stale_market_summary(q: Quarter, words: dict) -> list[str]:
    """Lines for the Cover and ``build``: which market figures are stale and their dates, in the language of
    ``words`` (``stale_words``: ``market_line``, ``market`` labels, ``sep``, ``more``); empty when fresh."""
    stale = stale_market(q)
    if not stale:
        return []
    by_date: dict[date, list[str]] = {}
    for m in stale:
        by_date.setdefault(m.as_of, []).append(m.label(words))
    lines = [words["market_line"].format(when=when, days=(q.as_of - when).days, as_of=q.as_of,
                                         names=words["sep"].join(labels[:8]) + (words["more"].format(n=len(labels) - 8)
                                                                               if len(labels) > 8 else ""))
             for when, labels in sorted(by_date.items())]
    return lines


def days_behind_today(q: Quarter, today: date | None = None) -> int | None:
    """Days between the quarter's as-of date and ``today`` (default: the system's date) when more than
    ``q.stale_after_days``: its market data are that old today; None when the quarter is current."""
    days = ((today or date.today()) - q.as_of).days
    return days if days > q.stale_after_days else None


def quarter_of(day: date) -> str:
    """The calendar quarter ``day`` falls in, e.g. 2026Q4."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def behind_today(q: Quarter, today: date | None = None) -> str | None:
    """The calendar guard's line when ``q`` is the newest quarter of the data folder (or a file from
    elsewhere) and dated more than its threshold before ``today``, with what to run next; else None."""
    today = today or date.today()
    days = days_behind_today(q, today)
    known = {p.stem: p.resolve() for p in paths.quarter_files()}
    here = Path(q.path).resolve() if q.path is not None else None
    own = here is not None and known.get(q.quarter) == here  # the data folder's own file of its quarter
    newest = here is None or not known or here == max(known.items())[1] or not own
    if days is None or not newest:
        return None
    now = quarter_of(today)
    if now in known and here != known[now]:
        step = f"build today's quarter: kwai-xl build -q {now}"
    elif own and q.quarter != now:
        step = f"start {now}: kwai-xl new-quarter {now} --from {q.quarter}, then kwai-xl market import"
    else:
        step = f"refresh it: kwai-xl market import EXPORT --quarter {q.quarter if own else q.path}"
    return (f"{q.quarter} is the newest quarter and dated {q.as_of}, {days:,} days before today: its price, fx "
            f"and market caps are not today's market ({step})")
