"""Build a quarter's formula-live workbook: templates → layouts → openpyxl → cached values → file.

The sheets, their order and every label come from ``templates/``; this module
only assembles the context the templates read and writes the result.
"""

import copy
import functools
import hashlib
import io
import os
import shutil
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import formualizer
from openpyxl.packaging.core import DocumentProperties
from openpyxl.packaging.custom import StringProperty
from openpyxl.workbook.defined_name import DefinedName

from .. import __version__, paths
from ..atomic import locked, write_atomically
from ..engine.inputs import DRIVERS, MULTIPLE_METRIC, UNIT_CONSTANTS
from ..errors import KwaiError
from ..quarters.backtest import actuals_for
from ..quarters.datafile import get_path
from ..quarters.schema import Company, Quarter, engine_segments
from ..quarters.staleness import market_dates, stale_inputs, stale_market_summary, stale_summary
from ..registry import assumption_rows, structure_of
from ..safeyaml import safe_yaml
from .fingerprint import FINGERPRINT_PROPERTY, fingerprints, workbook_fingerprint
from .layout import SheetLayout, data_cells, defined_names, place, render_sheet, template_environment
from .package import (
    APP_PROPERTIES,
    PACKAGE_PROPERTY,
    UNSTAMPED,
    core_properties,
    custom_properties,
    extended_properties,
    name_elements,
    open_checked,
    read_workbook,
    repacked,
    sheet_parts,
    untouched_since_built,
    with_extended,
)
from .sharedstrings import shared_strings_parts
from .sheetdata import package_bytes
from .writer import workbook_from_layouts

SHEETS = ("cover", "contents", "assumptions", "user_gmv", "category_gmv", "peer_comps", "sotp", "sensitivity", "drivers",
          "shareholders", "online_marketing", "history", "forecast_actual", "checks")
DATA_SHEETS = ("shareholders", "online_marketing", "history")
"""Sheets shown only when the quarter file has their section (of the same name)."""
XLWINGS_SHEETS = ("udf_check",)
XLWINGS_CONF = "xlwings.conf"
UDF_MODULE = "udfs"
LANGUAGES = ("en", "zh")
FUNDAMENTAL_FIELD = {"rev": "revenue", "np": "net_profit", "gmv": "gmv"}
DRIVER_FORMATS = {"ad_load": "num3", "inner_loop_take_rate": "pct2", "monetisation_rate": "pct2",
                  "brand_spend": "num2", "orders_per_month": "num2"}
TOOL_PROPERTY = "kwai_xl_tool"
QUARTER_PROPERTY = "kwai_xl_quarter"
LANG_PROPERTY = "kwai_xl_lang"
XLWINGS_PROPERTY = "kwai_xl_xlwings"
BUILD_PROPERTY = "kwai_xl_build"   # a fresh id per build
DATA_PROPERTY = "kwai_xl_data"     # data_revision() of the quarter the workbook was built from
DATA_FILE_PROPERTY = "kwai_xl_data_file"  # that quarter's data file: relative to the project, else as given
LAYOUT_PROPERTY = "kwai_xl_layout"  # layout_revision() of the sheet templates and labels the workbook was built with
SHEET_PRINTS_PROPERTY = "kwai_xl_sheet_prints"  # each generated sheet's print, its data cells aside (sheet_prints)
OWN_PROPERTY_PREFIX = "kwai_xl_"
"""Every custom property kwai-xl writes is named so (the ``*_PROPERTY`` names); any other is the analyst's."""
CORE_FIELDS = ("title", "subject", "creator", "keywords", "description", "category", "contentStatus", "identifier",
               "version")
"""The core document properties one sets (File › Properties); the times, revision, last author and language are
the saving application's (LibreOffice writes its UI language, en-US, on every save)."""
NAME_ATTRIBUTES = {"comment": "comment", "hidden": "hidden flag", "description": "description",
                   "customMenu": "custom menu text", "help": "help text", "statusBar": "status bar text",
                   "shortcutKey": "shortcut key", "function": "function flag", "vbProcedure": "VB procedure flag",
                   "xlm": "XLM macro flag", "functionGroupId": "function group", "publishToServer": "publish flag",
                   "workbookParameter": "workbook parameter flag"}
"""A defined name's attributes besides its reference (all openpyxl's DefinedName holds), as a refusal names them; a
build sets none."""
EDITED = "edits made since kwai-xl built it"
FOREIGN = ("the sheet ", "the name ", "the document property ")
"""How :func:`foreign_contents` starts each thing it names: what ``kwai-xl build`` carries and this module's
``build_workbook`` does not."""


def _merged(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merged(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return out


def load_labels(lang: str, templates_dir: Path = paths.TEMPLATES_DIR) -> dict:
    """The label set of ``lang`` (en or zh); a key missing from a translation falls back to English."""
    if lang not in LANGUAGES:
        raise KwaiError(f"--lang: {lang!r} is not one of {', '.join(LANGUAGES)}")
    english = _label_file(templates_dir / "labels" / "en.yaml")
    return copy.deepcopy(english if lang == "en" else _merged(english, _label_file(templates_dir / "labels" / f"{lang}.yaml")))


def _label_file(path: Path) -> dict:
    """The label file at ``path``, read every time and parsed once per text (a build reads each a few times); the
    parse is shared: not to be changed."""
    return _parsed_labels(path.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=8)
def _parsed_labels(text: str) -> dict:
    return safe_yaml().load(text)


def year_labels(years) -> list[str]:
    """FY0 is the last actual (A), FY1 and FY2 estimates (E)."""
    return [f"{years[0]}A", f"{years[1]}E", f"{years[2]}E"]


def _table(prefix: str, companies: list[Company], multiples: tuple[str, ...], name_attr: str, mn: str) -> dict:
    """What a comps-table template needs of one group: labels, column plan and the names of its ranges."""
    fundamentals = [key for key in ("rev", "np", "gmv") if any(MULTIPLE_METRIC[m] == key for m in multiples)]
    first_multiple = 1 + 3 * len(fundamentals)
    n = len(companies)
    table_names, stat_names = {}, {"mean": {}, "median": {}, "count": {}}
    for k, mult in enumerate(multiples):
        c0 = first_multiple + 3 * k
        table_names[f"{prefix}_{mult}"] = [0, n, c0, c0 + 3]
        for stat in stat_names:
            stat_names[stat][f"{prefix}_{mult}_{stat}"] = [0, 1, c0, c0 + 3]
    return {
        "prefix": prefix,
        "peers": companies,
        "row_labels": [f"{getattr(c, name_attr)} ({c.ticker})" for c in companies],
        "units": [f"{c.currency} {mn}" if c.reporting_currency == c.currency else f"{c.currency}/{c.reporting_currency} {mn}"
                  for c in companies],
        "fundamentals": [(key, FUNDAMENTAL_FIELD[key]) for key in fundamentals],
        "fundamental_keys": fundamentals,
        "multiples": [(m, MULTIPLE_METRIC[m]) for m in multiples],
        "table_names": table_names,
        "stat_names": stat_names,
    }


def label_of(labels: dict, key: str) -> str:
    """The label at a dotted key (``gmv.netizens``) of a label set."""
    node = labels
    for part in key.split("."):
        node = node[part]
    return node


def stale_words(q: Quarter, labels: dict) -> dict:
    """The stale lines' words of a label set, with ``section_names``: each data-file section named by the label
    its ``sections`` points to (a peer group's by ``peer_section``, from the group's name as Peer Comps shows it);
    a language without ``sections`` names sections by their keys."""
    words = dict(labels["stale_words"])
    refs = words.pop("sections", {})
    names = {section: label_of(labels, ref) for section, ref in refs.items() if section != "peers"}
    if "peers" in refs:
        for g in q.peers.groups:
            names[f"peers.{g.key}"] = words["peer_section"].format(peers=label_of(labels, refs["peers"]),
                                                                   group=getattr(g, labels["name_attr"]))
    return {**words, "section_names": names}


def assumption_context(q: Quarter, labels: dict, block: str) -> list[dict]:
    """The rows the registry lists for an Assumptions block, with the quarter's values, unit, date and source."""
    data = q.model_dump()
    rows = []
    for pn in assumption_rows(block):
        as_of_path, source_path = pn.dated_paths(0)
        rows.append({"name": pn.name, "label": label_of(labels, pn.label), "fmt": pn.fmt,
                     "values": [get_path(data, pn.cell_path(0, j)) for j in range(pn.size[1])],
                     "unit": get_path(data, as_of_path[:-1] + ("unit",)), "as_of": get_path(data, as_of_path),
                     "source": get_path(data, source_path)})
    return rows


def segment_context(q: Quarter, labels: dict) -> list[dict]:
    """What the templates need of each SOTP segment: its structure, name in the workbook's language and sweep keys."""
    out = []
    for seg, spec in zip(engine_segments(q.sotp.segments), q.sotp.segments):
        out.append({
            "key": seg.key, "group": seg.group, "multiple": seg.multiple, "metric": seg.metric, "typed": seg.typed,
            "margin": seg.margin, "metric_name": seg.metric_name, "spec": spec, "tree_figure": seg.tree_figure,
            "label": spec.name_zh if labels["name_attr"] == "name_zh" else spec.name,
            "sweep": [(key, key.removeprefix(f"{seg.key}_")) for key in seg.sweep_keys],
        })
    return out


def template_context(q: Quarter, labels: dict, data_dir: Path | None = None) -> dict:
    """Everything the sheet templates read."""
    mn = labels["units"]["mn"]
    structure = structure_of(q)
    groups = []
    for g in q.peers.groups:
        multiples = structure.group_multiples(g.key)
        applied = [s.multiple for s in q.sotp.segments if s.group == g.key]
        group = _table(g.key, list(g.companies), multiples, labels["name_attr"], mn)
        shown = applied[0] if applied else multiples[0]
        zh = labels["name_attr"] == "name_zh"
        group.update(label=g.name_zh if zh else g.name, note=(g.note_zh if zh and g.note_zh else g.note) or "",
                     applied=applied, applied_label=", ".join(labels["multiples"][m] for m in dict.fromkeys(applied)),
                     charted=shown, charted_fy1_col=group["table_names"][f"{g.key}_{shown}"][2] + 1,
                     years=year_labels(g.years or q.years))
        groups.append(group)
    segments = segment_context(q, labels)
    return {
        "q": q,
        "L": labels,
        "years": year_labels(q.years),
        "groups": groups,
        "segments": segments,
        "assumptions": {block: assumption_context(q, labels, block) for block in ("market", "user_method", "category_method")},
        "segment_labels": [s["label"] for s in segments],
        "segment_names": [s["metric_name"] for s in segments],
        "sweep": [(key, s, part) for s in segments for key, part in s["sweep"]],
        "sweep_labels": [f"{s['label']}: {labels['multiples'][s['multiple']] if part == 'multiple' else labels['sweep_parts'][part]}"
                         for s in segments for _, part in s["sweep"]],
        "grid": [f"{k}" for k in (q.sensitivity.grid or [s["key"] for s in segments][-2:])],
        "kuaishou": _table("ks", [q.kuaishou], ("ps", "pe", "pgmv"), labels["name_attr"], mn),
        "drivers": [(key, DRIVER_FORMATS.get(key, "num1")) for key in DRIVERS],
        "constants": UNIT_CONSTANTS,
        "stale": stale_summary(stale_inputs(q), stale_words(q, labels)),
        "actuals": actuals_for(q, data_dir),
        "market_dates": [(m, m.label(labels["stale_words"])) for m in market_dates(q)],
        "market_stale": stale_market_summary(q, labels["stale_words"]),
        "stale_days_default": Quarter.model_fields["stale_after_days"].default,
    }


_LAYOUTS: dict[tuple, tuple[Quarter, list[SheetLayout]]] = {}
"""Placed layouts by (quarter object, language, xlwings, templates): judging, carrying and building one
workbook all need the same layouts (the quarter is kept with them, so its id is not reused)."""


def layouts(q: Quarter, lang: str = "en", xlwings: bool = False,
            templates_dir: Path = paths.TEMPLATES_DIR) -> list[SheetLayout]:
    """Render and place every sheet of the workbook for quarter ``q`` (with the UDF sheet for ``xlwings``)."""
    key = (id(q), lang, xlwings, Path(templates_dir))
    if key not in _LAYOUTS:
        if len(_LAYOUTS) >= 16:
            _LAYOUTS.pop(next(iter(_LAYOUTS)))
        _LAYOUTS[key] = (q, _render_layouts(q, lang, xlwings, templates_dir))
    return _LAYOUTS[key][1]


def _render_layouts(q: Quarter, lang: str, xlwings: bool, templates_dir: Path) -> list[SheetLayout]:
    labels = load_labels(lang, templates_dir)
    env = template_environment(templates_dir)
    context = template_context(q, labels)
    keys = [key for key in SHEETS + (XLWINGS_SHEETS if xlwings else ()) if key not in DATA_SHEETS or getattr(q, key)]
    context["sheet_keys"] = keys
    sheets = []
    for key in keys:
        sheet = render_sheet(env, f"sheets/{key}.yaml.j2", context)
        sheet.labels_as_of = labels["common"]["as_of"]
        sheet.labels_source = labels.get("source", "Source")
        sheet.labels_contents = labels["tables"]["contents_link"]
        sheet.labels_footer = labels["tables"]["footer"]
        translate_units(sheet, labels.get("unit_text", {}))
        place(sheet)
        sheets.append(sheet)
    return sheets


def translate_units(sheet: SheetLayout, unit_text: dict) -> None:
    """Show every unit as the label set writes it (``unit_text``: unit as written → as shown)."""
    for item in sheet.items():
        if isinstance(item.unit, list):
            item.unit = [unit_text.get(u, u) for u in item.unit]
        elif item.unit:
            item.unit = unit_text.get(item.unit, item.unit)


@dataclass
class BuildResult:
    path: Path
    formulas: int
    errors: dict
    backup: Path | None = None


def add_xlwings_conf(wb) -> None:
    """The ``xlwings.conf`` sheet the desktop add-in reads: the UDF module only, hidden, never printed.

    No machine's path goes into the workbook: ``udfs`` is importable wherever kwai-xl is
    installed, and the add-in's own settings (ribbon or ``%USERPROFILE%\\.xlwings``) pick the
    interpreter. The sheet has no print area and is hidden, so it is neither seen nor printed.
    """
    ws = wb.create_sheet(XLWINGS_CONF)
    ws.cell(1, 1, "UDF Modules")
    ws.cell(1, 2, UDF_MODULE)
    ws.sheet_state = "hidden"


def udf_sheet_titles(lang: str) -> frozenset[str]:
    """The sheets whose formulas call the UDFs (by sheet key, titled in ``lang``) and the xlwings conf sheet."""
    return frozenset(load_labels(lang)["sheets"][key] for key in XLWINGS_SHEETS) | {XLWINGS_CONF}


def unexpected_errors(summary: dict, lang: str, own_sheets: tuple[str, ...] = ()) -> dict:
    """Formula errors other than #NAME? on the UDF sheets (where UDFs need the add-in), and none on ``own_sheets``
    (the analyst's, whose formulas are theirs to mend)."""
    udf_sheets = udf_sheet_titles(lang)
    out = {}
    for token, info in summary.get("error_summary", {}).items():
        locations = [loc for loc in info.get("locations", [])
                     if not (token == "#NAME?" and loc.rpartition("!")[0].strip("'") in udf_sheets)
                     and loc.rpartition("!")[0].strip("'") not in own_sheets]
        if locations:
            out[token] = locations
    return out


def formula_errors(path: Path, errors: dict, sheets: list[SheetLayout]) -> KwaiError:
    """The refusal to write a workbook whose formulas would evaluate to ``errors`` (token → cells), each cell
    named with its row's label, e.g. ``#DIV/0! in Revenue Drivers!E49 (GMV)``."""
    def label(location: str) -> str:
        title, _, cell = location.rpartition("!")
        row = int("".join(ch for ch in cell if ch.isdigit()) or 0)
        sheet = next((s for s in sheets if s.title == title.strip("'")), None)
        item = next((it for it in sheet.items() if it.row <= row < it.row + max(it.h, 1)), None) if sheet else None
        return f"{location} ({item.label})" if item is not None and item.label else location

    found = [f"{token} in {label(loc)}" for token, locations in errors.items() for loc in locations]
    shown = "; ".join(found[:4]) + (f" and {len(found) - 4} more" if len(found) > 4 else "")
    return KwaiError(f"{path}: not written: formulas would evaluate to errors: {shown} (a blank or zero input "
                     f"they divide by or look up?)")


def data_revision(q: Quarter) -> str:
    """A short hash of what the quarter's file gives, as parsed: its comments and spacing do not count, nor the
    defaults of keys it leaves out (so a key the schema gains later changes no file's revision)."""
    return _short_hash(q.model_dump_json(exclude_unset=True))


COMPANY_KEYS_SINCE_REVISION_1 = frozenset({"market_cap_as_of", "market_cap_source"})
"""A company row's keys added since revision 1 (kwai-xl 0.1.0 until per-figure dates), which hashed the whole parsed
model, defaults included."""


def data_revisions(q: Quarter) -> set[str]:
    """Every revision a workbook built from the quarter's file as it is now may record: :func:`data_revision`, and
    revision 1's where the file uses none of the keys added since (so that a workbook built before per-figure dates
    pulls as it did, and one built from the file before a date was split off it counts as older)."""
    companies = [q.kuaishou, *(c for group in q.peers.groups for c in group.companies)]
    if any(getattr(c, key) is not None for c in companies for key in COMPANY_KEYS_SINCE_REVISION_1):
        return {data_revision(q)}
    added = set(COMPANY_KEYS_SINCE_REVISION_1)
    revision_1 = q.model_dump_json(exclude={"kuaishou": added, "peers": {"groups": {"__all__": {
        "companies": {"__all__": added}}}}})
    return {data_revision(q), _short_hash(revision_1)}


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def generated_workbook(q: Quarter, lang: str = "en", xlwings: bool = False):
    """The openpyxl workbook ``build`` writes for ``q``, before cached values are filled."""
    wb = workbook_from_layouts(layouts(q, lang, xlwings))
    if xlwings:
        add_xlwings_conf(wb)
    return wb


@functools.cache
def layout_revision(templates_dir: Path = paths.TEMPLATES_DIR) -> str:
    """A short hash of the sheet templates and labels (every file under ``templates_dir``, by name and content): a
    workbook built with others (an earlier kwai-xl) may differ from a fresh build where nobody edited it."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(templates_dir).rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(templates_dir).as_posix()}\0".encode("utf-8") + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def record_identity(wb, q: Quarter, lang: str = "en", xlwings: bool = False) -> None:
    """Give the workbook ``wb`` (built for ``q``) kwai-xl's custom properties: what it is, whence, its fingerprint."""
    sheets = layouts(q, lang, xlwings)
    whole, prints = fingerprints(wb, {s.title: data_cells(s) | data_cells(s, True) for s in sheets})
    keyed = {s.key: prints[s.title] for s in sheets}
    props = {FINGERPRINT_PROPERTY: whole, TOOL_PROPERTY: f"kwai-xl {__version__}",
             QUARTER_PROPERTY: q.quarter, LANG_PROPERTY: lang, XLWINGS_PROPERTY: "yes" if xlwings else "no",
             BUILD_PROPERTY: uuid.uuid4().hex, DATA_PROPERTY: data_revision(q), PACKAGE_PROPERTY: UNSTAMPED,
             LAYOUT_PROPERTY: layout_revision(),
             SHEET_PRINTS_PROPERTY: ",".join(keyed.get(key, "") for key in SHEETS + XLWINGS_SHEETS)}
    if q.path is not None:
        props[DATA_FILE_PROPERTY] = paths.project_relative(q.path)
    for name, value in props.items():
        wb.custom_doc_props.append(StringProperty(name=name, value=value))


def recorded_sheet_prints(props: dict) -> dict[str, str]:
    """Sheet key → the print :func:`record_identity` recorded of it (custom properties ``props``), where the workbook
    was built with today's templates (else its sheets differ from a fresh build's anyway: none)."""
    if props.get(LAYOUT_PROPERTY) != layout_revision():
        return {}
    recorded = str(props.get(SHEET_PRINTS_PROPERTY, "")).split(",")
    return {key: value for key, value in zip(SHEETS + XLWINGS_SHEETS, recorded) if value}


def finished_bytes(filled: bytes, extended: dict[str, str] | None = None) -> bytes:
    """The package formualizer filled, its strings shared, ``extended`` (Company, Manager, HyperlinkBase → text)
    added to its extended properties, and its digest recorded (:func:`package.repacked`)."""
    src = zipfile.ZipFile(io.BytesIO(filled))
    parts = shared_strings_parts(src)
    if extended:
        parts[APP_PROPERTIES] = with_extended(src.read(APP_PROPERTIES), extended)
    return repacked(filled, parts)


def workbook_bytes(q: Quarter, lang: str = "en", xlwings: bool = False, carry: Callable | None = None,
                   extended: dict[str, str] | None = None) -> tuple[bytes, dict]:
    """The finished .xlsx file as bytes, with every formula's cached value filled, and the fill summary.

    ``carry(wb)``, when given, adds the analyst's own sheets to the generated workbook first; ``extended``
    holds the analyst's extended document properties, which openpyxl does not write (:func:`finished_bytes`).
    """
    wb = generated_workbook(q, lang, xlwings)
    if carry:
        carry(wb)
    record_identity(wb, q, lang, xlwings)
    try:
        filled = formualizer.recalculate_xlsx_bytes(package_bytes(wb, zipfile.ZIP_STORED))  # compressed once, at the end
    except OSError as err:
        raise KwaiError(f"{q.quarter}: the workbook's formulas cannot be computed ({err})") from None
    return finished_bytes(filled["bytes"], extended), filled["summary"]


def default_workbook_path(quarter: str, lang: str = "en") -> Path:
    """``workbooks/kuaishou-QUARTER.xlsx``; another language's beside it (``kuaishou-QUARTER-zh.xlsx``), so
    building one never replaces the other."""
    return paths.WORKBOOKS_DIR / f"kuaishou-{quarter}{'' if lang == 'en' else '-' + lang}.xlsx"


def unchanged_since_built(wb) -> bool:
    """Whether an openpyxl workbook still means what kwai-xl wrote (its recorded fingerprint matches)."""
    props = {p.name: p.value for p in wb.custom_doc_props}
    return props.get(FINGERPRINT_PROPERTY) == workbook_fingerprint(wb)


def edited_since_built(path: Path) -> list[str]:
    """What replacing the workbook at ``path`` would lose, judged by its own fingerprint; empty when nothing."""
    if untouched_since_built(path):  # the very bytes kwai-xl wrote
        return []
    try:
        wb = read_workbook(open_checked(path))
    except Exception:
        return ["it is not a workbook kwai-xl can read (move it away)"]
    if FINGERPRINT_PROPERTY not in {p.name for p in wb.custom_doc_props}:
        return ["it was not built by kwai-xl (move it away)"]
    return [] if unchanged_since_built(wb) else [EDITED]


def analysts_core(values: dict) -> dict:
    """Of core document properties ``values`` (field → value), those the analyst set: not blank, and not what a
    build writes (openpyxl's defaults: the creator "openpyxl", nothing else)."""
    written = DocumentProperties()
    return {key: values[key] for key in CORE_FIELDS if values.get(key) not in (None, "", getattr(written, key))}


def name_attributes(dn: DefinedName) -> dict:
    """Of the defined name ``dn``'s :data:`NAME_ATTRIBUTES`, those set: not absent, blank or false (LibreOffice
    writes ``hidden="false"`` and kin on every name it saves)."""
    return {key: value for key in NAME_ATTRIBUTES if (value := getattr(dn, key)) not in (None, "", False)}


def written_titles(q: Quarter, lang: str, xlwings: bool) -> list[str]:
    """The titles of the sheets a build of ``q`` writes."""
    return [s.title for s in layouts(q, lang, xlwings)] + ([XLWINGS_CONF] if xlwings else [])


def generated_titles(q: Quarter, lang: str, xlwings: bool, old_lang: str, old_xlwings: bool) -> list[str]:
    """The titles of the sheets a build of ``q`` writes, in the new and in the old workbook's language (without
    --xlwings either way, an xlwings.conf sheet is the analyst's own)."""
    return written_titles(q, lang, xlwings) + written_titles(q, old_lang, old_xlwings)


def foreign_contents(path: Path, q: Quarter, lang: str = "en", xlwings: bool = False) -> list[str]:
    """What the workbook file at ``path`` holds that a build of ``q`` does not write, each named: sheets but the
    generated ones, defined names but the build's own (of the workbook) and print settings, attributes set on
    the build's own names (a comment …), document properties but kwai-xl's and a build's defaults. Read from
    the zip alone: its sheet list, names and properties."""
    with zipfile.ZipFile(path) as z:
        props, core, extended = custom_properties(path, z), core_properties(path, z), extended_properties(path, z)
        titles = list(sheet_parts(z))
        elements = name_elements(path, z)
    own = {t.casefold() for t in generated_titles(q, lang, xlwings, props.get(LANG_PROPERTY, lang),
                                                    props.get(XLWINGS_PROPERTY) == "yes")}
    out = [f"the sheet {t!r}" for t in titles if t.casefold() not in own]
    out += _foreign_names(elements, titles, defined_names(layouts(q, lang, xlwings)))
    out += [f"the document property {n!r}" for n in props if not n.startswith(OWN_PROPERTY_PREFIX)]
    out += [f"the document property {key}" for key in {**analysts_core(core or {}), **(extended or {})}]
    return out + (["the document properties (unreadable here)"] if core is None or extended is None else [])


def _foreign_names(elements: list, titles: list[str], generated: dict) -> list[str]:
    """The ``definedName`` elements a build does not write, each named, and the attributes set on those it does."""
    out = []
    for el in elements:
        name, sheet = el.get("name") or "", el.get("localSheetId")
        if name.startswith("_xlnm."):
            continue
        if name not in generated or sheet is not None:
            scope = titles[int(sheet)] + "!" if sheet is not None and sheet.isdigit() and int(sheet) < len(titles) else ""
            out.append(f"the name {scope}{name}")
        elif attributes := _element_attributes(el):
            words = [NAME_ATTRIBUTES[key] for key in attributes]
            out.append(f"the name {name}'s " + " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words))
    return out


def _element_attributes(el) -> list[str]:
    """The :data:`NAME_ATTRIBUTES` set on the ``definedName`` element ``el``, as openpyxl reads them (each it
    has when openpyxl cannot read them)."""
    if not set(el.keys()) - {"name", "localSheetId"}:  # as a build writes it: nothing to read
        return []
    try:
        return list(name_attributes(DefinedName.from_tree(el)))
    except (TypeError, ValueError):
        return [key for key in NAME_ATTRIBUTES if el.get(key) is not None]


def build_losses(path: Path, q: Quarter, lang: str = "en", xlwings: bool = False) -> list[str]:
    """What building ``q`` over the file at ``path`` with :func:`build_workbook`, which carries nothing, would
    lose: edits since it was built, and whatever of the analyst's it holds (:func:`foreign_contents`)."""
    lost = edited_since_built(path)
    return lost if lost not in ([], [EDITED]) else lost + foreign_contents(path, q, lang, xlwings)


def backup_path(path: Path, now: datetime | None = None) -> Path:
    """``NAME.YYYYmmdd-HHMMSS.bak.xlsx`` beside ``path``, numbered when that exists."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    out, k = path.with_name(f"{path.stem}.{stamp}.bak{path.suffix}"), 1
    while out.exists():
        k += 1
        out = path.with_name(f"{path.stem}.{stamp}-{k}.bak{path.suffix}")
    return out


def file_stamp(path: Path):
    """What tells one saved version of ``path`` from another: inode, size, modification time; None if absent."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def refusal(path: Path, lost: list[str], when: str = "") -> KwaiError:
    """The one-line refusal naming what a rebuild would lose, and the way to keep each kind of it."""
    shown = "; ".join(lost[:6]) + (f"; and {len(lost) - 6} more" if len(lost) > 6 else "")
    pullable = [line for line in lost if (line.startswith("input ") and "pull does not read" not in line)
                or line == EDITED]
    carried = [line for line in lost if line.startswith(FOREIGN)]
    ways = [f"run `kwai-xl pull {path}` to carry its inputs into the data file"] if pullable else []
    if carried:
        ways.append("build it with `kwai-xl build`, which carries sheets, names and document properties")
    if any(line not in pullable + carried and "move it away" not in line for line in lost):
        ways.append("copy notes and typed values worth keeping to a sheet of your own (your sheets are carried)")
    ways.append("pass --force (force=True in Python) to replace it (a timestamped backup is kept)")
    return KwaiError(f"{path}: not replaced{when}, a rebuild would lose: {shown}. To keep it, " + "; ".join(ways[:-1])
                     + ("; or " if len(ways) > 1 else "") + ways[-1])


def write_workbook(path: Path, build: Callable[[], bytes], judge: Callable[[Path], list[str]] = edited_since_built,
                   force: bool = False, backup: bool = False) -> Path | None:
    """Write the bytes ``build()`` returns to ``path``; return the backup kept, if any.

    An existing file is replaced only when ``judge(path)`` finds nothing a rebuild would lose, or
    with ``force`` (a timestamped backup is kept then, and whenever ``backup``). The file is judged
    before building and, if it was saved meanwhile, again just before the rename, under a lock that
    makes concurrent builds to one path take turns.
    """
    path = Path(path)
    seen = file_stamp(path)
    lost = judge(path) if seen else []
    if lost and not force:
        raise refusal(path, lost)
    data = build()
    with locked(path):
        now = file_stamp(path)
        if now and now != seen:
            lost = judge(path)
            if lost and not force:
                raise refusal(path, lost, " (it was saved while kwai-xl was building)")
        kept = None
        if now and (lost or backup):
            kept = backup_path(path)
            shutil.copy2(path, kept)
        write_atomically(path, data)
    return kept


def build_workbook(q: Quarter, out: Path | None = None, lang: str = "en", xlwings: bool = False,
                   force: bool = False) -> BuildResult:
    """Build quarter ``q``'s workbook at ``out`` (default ``workbooks/kuaishou-Q.xlsx``).

    An existing file there that was edited since it was built (or not built by kwai-xl), or that holds
    anything of the analyst's (sheets, names, document properties: this build carries nothing), is not
    replaced unless ``force``, and then a timestamped backup is kept beside it. Nothing is
    written when a formula would evaluate to an error. (``kwai-xl build`` judges an existing
    workbook by meaning instead, and carries the analyst's sheets: readback.replace.)
    """
    path = Path(out) if out else default_workbook_path(q.quarter, lang)
    made = {}

    def build() -> bytes:
        data, made["summary"] = workbook_bytes(q, lang, xlwings)
        errors = unexpected_errors(made["summary"], lang)
        if errors:
            raise formula_errors(path, errors, layouts(q, lang, xlwings))
        return data

    backup = write_workbook(path, build, lambda p: build_losses(p, q, lang, xlwings), force=force)
    return BuildResult(path, made["summary"].get("total_formulas", 0), {}, backup)
