"""Stale inputs: figures whose as-of date lies more than a quarter before the quarter's own.

``new-quarter`` carries every figure forward with its old date, so whatever was
not refreshed shows up here; ``build`` warns about them and the Cover lists them.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import BaseModel

from .schema import Quarter

STALE_AFTER = timedelta(days=92)


@dataclass(frozen=True)
class StaleInput:
    path: str
    as_of: date

    def __str__(self) -> str:
        return f"{self.path} (as of {self.as_of})"


def _dated(prefix: str, obj):
    """(path, as_of) of every dated figure inside a validated model."""
    as_of = getattr(obj, "as_of", None)
    if isinstance(as_of, date) and prefix:
        yield prefix, as_of
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


def stale_summary(stale: list[StaleInput]) -> list[str]:
    """One line per section (peers: per group) naming its stale inputs and the oldest date, for the Cover."""
    sections: dict[str, list[StaleInput]] = {}
    for item in stale:
        head, _, rest = item.path.partition(".")
        if head == "peers":
            group = re.match(r"groups\[([^\]]+)\]", rest)
            head = f"peers.{group.group(1)}" if group else head
        sections.setdefault(head, []).append(item)
    lines = []
    for section, items in sections.items():
        names = [i.path.removeprefix(section).lstrip(".") for i in items]
        names = [n.strip("[]") for n in names if n] or [section]
        oldest = min(i.as_of for i in items)
        shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        lines.append(f"{section}: {shown} (oldest as of {oldest})")
    return lines
