"""Upgrading a version-1 quarter file (three fixed peer groups and SOTP lines) to lists of groups and segments.

Version 1 spelled the structure in its keys (``peers.live_streaming``, ``sotp.ls_revenue`` …); version 2
lists peer groups and SOTP segments, so a segment or a group is added by data. The upgrade keeps every
figure, date, source and comment (ruamel round trip) and names the defaults it fills in.
"""

from datetime import date
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..errors import KwaiError
from .datafile import dump_document, load_document, validate_document
from .schema import DEFAULT_METRIC_SOURCE

V1_GROUPS = (
    # key, version-1 group, name, name_zh, multiples shown
    ("ls", "live_streaming", "Live streaming (直播打赏)", "直播打赏", ["ps", "pe"]),
    ("ads", "online_marketing", "Online marketing (广告)", "线上营销（广告）", ["ps", "pe"]),
    ("ec", "live_commerce", "Live commerce (直播电商)", "直播电商", ["ps", "pe", "pgmv"]),
)
V1_SEGMENTS = (
    # key, name, name_zh, multiple, metric, version-1 metric key, version-1 margin key
    ("ls", "Live streaming", "直播打赏", "pe", "revenue", "ls_revenue", "ls_margin"),
    ("ads", "Online marketing", "线上营销", "ps", "revenue", "ads_revenue", None),
    ("ec", "Live commerce", "直播电商", "pgmv", "gmv", None, None),
)


def is_version_1(doc) -> bool:
    """Whether a loaded quarter document has the version-1 peers and SOTP keys."""
    return isinstance(doc.get("peers"), dict) and "groups" not in doc["peers"] and "live_streaming" in doc["peers"]


def _flow(mapping: dict) -> CommentedMap:
    out = CommentedMap(mapping)
    out.fa.set_flow_style()
    return out


def _upgrade_peers(old) -> CommentedMap:
    groups = CommentedSeq()
    notes = old.get("notes", {}) or {}
    for key, v1, name, name_zh, multiples in V1_GROUPS:
        group = CommentedMap([("key", key), ("name", name), ("name_zh", name_zh)])
        group["multiples"] = CommentedSeq(multiples)
        group["multiples"].fa.set_flow_style()
        if old.get("years"):
            group["years"] = CommentedSeq(old["years"])  # a list of its own per group: no YAML anchors
            group["years"].fa.set_flow_style()
        if notes.get(v1):
            group["note"] = notes[v1]
        group["companies"] = old[v1]
        groups.append(group)
    return CommentedMap([("groups", groups)])


def _upgrade_sotp(old) -> CommentedMap:
    segments = CommentedSeq()
    premium, statistic = old["premium"], old["statistic"]
    for k, (key, name, name_zh, multiple, metric, value_key, margin_key) in enumerate(V1_SEGMENTS):
        seg = CommentedMap([("key", key), ("name", name), ("name_zh", name_zh), ("group", key),
                            ("multiple", multiple), ("metric", metric)])
        if value_key:
            seg["value"] = old[value_key]
        if margin_key:
            seg["margin"] = old[margin_key]
        as_of = premium["as_of"]  # a date of its own per segment, so the file shows no YAML anchors
        seg["premium"] = _flow({"value": premium["values"][k], "unit": premium["unit"],
                                "as_of": date(as_of.year, as_of.month, as_of.day), "source": premium["source"]})
        seg["statistic"] = _flow({"value": statistic["values"][k], "source": statistic["source"]})
        segments.append(seg)
    return CommentedMap([("segments", segments)])


def upgrade_document(doc) -> None:
    """Turn a version-1 document into version 2 in place (sensitivity steps move from 0…1 to −1…+1)."""
    doc["peers"] = _upgrade_peers(doc["peers"])
    doc["sotp"] = _upgrade_sotp(doc["sotp"])
    sens = doc["sensitivity"]
    steps = CommentedSeq([round(2 * s - 1, 12) for s in sens["steps"]])
    steps.fa.set_flow_style()
    sens["steps"] = steps
    sens["steps_source"] = f"{sens['steps_source']} (upgraded: 0 is now the base case, −1 the low end, +1 the high end)"


def upgrade_file(path: Path) -> str:
    """The text of the version-2 file for the version-1 file at ``path``, validated; the file is not written."""
    path = Path(path)
    doc = load_document(path)
    if not is_version_1(doc):
        raise KwaiError(f"{path}: already lists peer groups and segments (version 2); nothing to upgrade")
    upgrade_document(doc)
    validate_document(path, doc)
    return dump_document(doc)



def spell_current_form(doc, path: tuple) -> None:
    """Give ``doc``, in place, the keys that an input cell writes ``path`` to where the file still has an older
    form: a one-year driver (``value: x``) becomes an FY0–FY2 row (``values: [null, x, null]``), a missing
    ``choices.metric_source`` its default. Figures, dates, sources and comments are kept."""
    if path[:1] == ("drivers",) and len(path) > 2:
        row = doc["drivers"][path[1]]
        if "value" in row and "values" not in row:
            values = CommentedSeq([None, row["value"], None])
            values.fa.set_flow_style()
            at = list(row).index("value")
            del row["value"]
            row.insert(at, "values", values)
    elif path[:2] == ("choices", "metric_source") and "metric_source" not in doc["choices"]:
        doc["choices"]["metric_source"] = _flow(DEFAULT_METRIC_SOURCE.model_dump())
