"""``kwai-xl diff``: what changed between two quarters' inputs and results."""

import re
from dataclasses import dataclass

from .schema import Quarter

KEY_RESULTS = ("um_gmv", "cm_gmv", "sotp_ls_value", "sotp_ads_value", "sotp_ec_value", "sotp_equity_rmb",
               "sotp_per_share", "sotp_upside")
METADATA = ("source", "as_of", "title", "quarter", "sales_source", "sales_as_of", "market_cap_source", "market_cap_as_of")


@dataclass(frozen=True)
class Difference:
    path: str
    old: object
    new: object


def _is_table(value) -> bool:
    """A table of the data file: ``columns`` and ``rows``, each row's ``values`` one per column."""
    return (isinstance(value, dict) and isinstance(value.get("columns"), list) and isinstance(value.get("rows"), list)
            and all(isinstance(row, dict) and isinstance(row.get("values"), list) for row in value["rows"]))


def flatten(value, prefix: str = "") -> dict[str, object]:
    """Leaves of a dumped quarter as ``path → value``; peers keyed by ticker so reordering is no change, and a
    table's values by row and column (``history.annual.rows[gmv][2022]``), so a column added in front is no change
    to the others."""
    if _is_table(value):
        out = flatten({key: item for key, item in value.items() if key not in ("columns", "rows")}, prefix)
        for k, row in enumerate(value["rows"]):
            where = f"{prefix}.rows[{row.get('key') or row.get('label') or k}]"
            out.update(flatten({key: item for key, item in row.items() if key != "values"}, where))
            out.update((f"{where}[{column}]", item) for column, item in zip(value["columns"], row["values"]))
        return out
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, (list, tuple)):
        out = {}
        for k, item in enumerate(value):
            label = item.get("ticker") or item.get("key") or item.get("label") if isinstance(item, dict) else None
            out.update(flatten(item, f"{prefix}[{label if label is not None else k}]"))
        return out
    return {prefix: value}


PER_YEAR = re.compile(r"^(kuaishou|peers\.groups\[([^\]]+)\]\.companies\[[^\]]+\])\.(revenue|net_profit|gmv)\[([0-2])\]$")


def by_year(q: Quarter) -> dict[str, object]:
    """``flatten`` of ``q`` with each per-year figure keyed by its fiscal year, not its slot (revenue[2022])."""
    out = {}
    for path, value in flatten(q.model_dump(mode="json")).items():
        m = PER_YEAR.match(path)
        if m:
            group = next((g for g in q.peers.groups if g.key == m.group(2)), None)
            years = (group.years if group else None) or q.years
            path = f"{m.group(1)}.{m.group(3)}[{years[int(m.group(4))]}]"
        out[path] = value
    return out


def input_differences(old: Quarter, new: Quarter, with_metadata: bool = False) -> list[Difference]:
    """Inputs added, removed or changed from ``old`` to ``new`` (sources and dates only if asked);
    per-year figures are compared year by year, so a rolled-forward FY0 meets the same year's figure."""
    a, b = by_year(old), by_year(new)
    out = []
    for path in sorted(set(a) | set(b)):
        if not with_metadata and path.rsplit(".", 1)[-1] in METADATA:
            continue
        if a.get(path, "—") != b.get(path, "—"):
            out.append(Difference(path, a.get(path, "—"), b.get(path, "—")))
    return out


def result_differences(old: dict, new: dict) -> list[Difference]:
    """The key results of two evaluations, side by side."""
    return [Difference(name, old[name], new[name]) for name in KEY_RESULTS]
