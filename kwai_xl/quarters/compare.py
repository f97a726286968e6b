"""``kwai-xl diff``: what changed between two quarters' inputs and results."""

from dataclasses import dataclass

from .schema import Quarter

KEY_RESULTS = ("um_gmv", "cm_gmv", "sotp_ls_value", "sotp_ads_value", "sotp_ec_value", "sotp_equity_rmb",
               "sotp_per_share", "sotp_upside")
METADATA = ("source", "as_of", "title", "quarter", "sales_source", "sales_as_of")


@dataclass(frozen=True)
class Difference:
    path: str
    old: object
    new: object


def flatten(value, prefix: str = "") -> dict[str, object]:
    """Leaves of a dumped quarter as ``path → value``; peers keyed by ticker so reordering is no change."""
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


def input_differences(old: Quarter, new: Quarter, with_metadata: bool = False) -> list[Difference]:
    """Inputs added, removed or changed from ``old`` to ``new`` (sources and dates only if asked)."""
    a, b = flatten(old.model_dump(mode="json")), flatten(new.model_dump(mode="json"))
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
