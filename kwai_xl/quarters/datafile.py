"""A quarter file as a round-trip document: where each public input lives in it, and editing it in place.

ruamel.yaml's round-trip mode keeps the file's comments, key order and flow
style, so a tool's edit reads like an analyst's.
"""

import io
from pathlib import Path

from ruamel.yaml import YAML

from ..engine.inputs import DRIVERS, GROUPS
from ..errors import KwaiError
from .schema import Quarter, parse_quarter, read_yaml

Path_ = tuple  # a path into the document: keys and list indices


def round_trip_yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)  # the shipped files indent list items under their key
    yaml.allow_duplicate_keys = False
    return yaml


def load_document(path: Path):
    """The quarter file as a round-trip document (after checking it parses at all)."""
    read_yaml(Path(path))
    return round_trip_yaml().load(Path(path).read_text(encoding="utf-8"))


def dump_document(doc) -> str:
    buf = io.StringIO()
    round_trip_yaml().dump(doc, buf)
    return buf.getvalue()


def validate_document(path: Path, doc) -> Quarter:
    """Validate an edited document as if it were the file at ``path``."""
    return parse_quarter(Path(path), YAML(typ="safe").load(dump_document(doc)))


MISSING = object()


def get_path(doc, path: Path_, default=MISSING):
    """The value at ``path``; ``default`` (if given) where a mapping lacks the key."""
    node = doc
    for key in path:
        if default is not MISSING and isinstance(node, dict) and key not in node:
            return default
        node = node[key]
    return node


def set_path(doc, path: Path_, value) -> None:
    get_path(doc, path[:-1])[path[-1]] = value


def input_paths(q: Quarter) -> dict[str, dict[tuple[int, int], Path_]]:
    """For each public input name: cell (row, column) within the name's range → path in the quarter file."""
    out: dict[str, dict[tuple[int, int], Path_]] = {
        "scenario": {(0, 0): ("choices", "scenario", "value")},
        "sotp_stat": {(0, 0): ("choices", "statistic", "value")},
    }
    for key in ("price", "shares", "fx_rmb_per_hkd", "net_cash", "holding_discount"):
        out[key] = {(0, 0): ("market", key, "value")}
    out["um_netizens"] = {(0, 0): ("user_method", "netizens", "value")}
    for key in ("penetration", "active_ratio", "spend"):
        out[f"um_{key}"] = {(0, j): ("user_method", key, "values", j) for j in range(3)}
    out["cm_sales"] = {(i, 0): ("category_method", "categories", i, "sales") for i in range(5)}
    out["cm_published_total"] = {(0, 0): ("category_method", "published_total", "value")}
    out["cm_completion"] = {(0, 0): ("category_method", "completion", "value")}
    out["cm_penetration"] = {(0, j): ("category_method", "penetration", "values", j) for j in range(3)}
    out["cm_share"] = {(0, j): ("category_method", "share", "values", j) for j in range(3)}
    out["ks_mcap"] = {(0, 0): ("kuaishou", "market_cap")}
    for name, field in (("rev", "revenue"), ("np", "net_profit"), ("gmv", "gmv")):
        out[f"ks_{name}"] = {(0, j): ("kuaishou", field, j) for j in range(3)}
    for prefix, (key, multiples, _) in GROUPS.items():
        n = len(getattr(q.peers, key))
        out[f"{prefix}_mcap"] = {(i, 0): ("peers", key, i, "market_cap") for i in range(n)}
        fields = [("rev", "revenue"), ("np", "net_profit")] + ([("gmv", "gmv")] if "pgmv" in multiples else [])
        for name, field in fields:
            out[f"{prefix}_{name}"] = {(i, j): ("peers", key, i, field, j) for i in range(n) for j in range(3)}
    for key in ("ls_revenue", "ls_margin", "ads_revenue"):
        out[f"sotp_{key}"] = {(0, 0): ("sotp", key, "value")}
    out["sotp_premium"] = {(0, j): ("sotp", "premium", "values", j) for j in range(3)}
    out["sotp_stat_override"] = {(0, j): ("sotp", "statistic", "values", j) for j in range(3)}
    for key in DRIVERS:
        out[f"drv_{key}"] = {(0, 0): ("drivers", key, "value")}
    for key in q.sensitivity.ranges:
        out[f"rng_{key}"] = {(0, 0): ("sensitivity", "ranges", key, "low"), (0, 1): ("sensitivity", "ranges", key, "high"),
                             (0, 2): ("sensitivity", "ranges", key, "basis")}
    out["sens_steps"] = {(0, j): ("sensitivity", "steps", j) for j in range(len(q.sensitivity.steps))}
    for key, table in q.context.items():
        out[f"ctx_{key}"] = {(i, j): ("context", key, "rows", i, "values", j)
                             for i in range(len(table.rows)) for j in range(len(table.columns))}
    return out


def dated_paths(name: str, row: int) -> tuple[Path_ | None, Path_ | None]:
    """(as-of path, source path) in the quarter file for row ``row`` of input ``name``; None where there is none."""
    if name in ("scenario", "sotp_stat"):
        return None, ("choices", "scenario" if name == "scenario" else "statistic", "source")
    if name == "cm_sales":
        return (("category_method", "sales_as_of"), ("category_method", "sales_source")) if row == 0 else (None, None)
    if name.startswith("ctx_"):
        return (("context", name[4:], "as_of"), ("context", name[4:], "source")) if row == 0 else (None, None)
    if name == "sens_steps":
        return None, ("sensitivity", "steps_source")
    if name.startswith("rng_"):
        return ("sensitivity", "ranges", name[4:], "as_of"), ("sensitivity", "ranges", name[4:], "source")
    base = _dated_base(name, row)
    return base + ("as_of",), base + ("source",)


def _dated_base(name: str, row: int) -> Path_:
    if name in ("price", "shares", "fx_rmb_per_hkd", "net_cash", "holding_discount"):
        return ("market", name)
    if name.startswith("um_"):
        return ("user_method", name[3:])
    if name.startswith("cm_"):
        return ("category_method", {"cm_published_total": "published_total"}.get(name, name[3:]))
    if name.startswith("ks_"):
        return ("kuaishou",)
    for prefix, (key, _, _) in GROUPS.items():
        if name.startswith(f"{prefix}_"):
            return ("peers", key, row)
    if name == "sotp_stat_override":
        return ("sotp", "statistic")
    if name.startswith("sotp_"):
        return ("sotp", name[5:])
    if name.startswith("drv_"):
        return ("drivers", name[4:])
    raise KwaiError(f"no data-file place for input {name!r}")
