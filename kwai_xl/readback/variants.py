"""Variants of a workbook for ``verify``: copies with their input cells changed, formulas untouched.

A variant switches the scenario, the statistics and the SOTP metric source and moves every typed number
by a random factor (fractions kept within 0..1, signs kept; zeros moved off zero
so a term whose inputs are 0 still shows). The copy is written by editing the
values of the input cells in its sheet XML and copying every other part byte for
byte, so formulas, names, styles and the analyst's work stay exactly as saved.
"""

import random
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl.utils import get_column_letter

from ..errors import KwaiError
from ..workbook.layout import SheetLayout
from ..workbook.package import sheet_parts
from ..workbook.sheetdata import xml_text

DEFAULT_VARIANTS = 4      # perturbed copies `verify` recalculates beside each workbook
FACTOR = (0.7, 1.3)      # a number moves by a factor in this range
ZERO_NUMBER = (1.0, 100.0)  # a zero number becomes one in this range (amounts: RMB/HKD mn, counts)
ZERO_FRACTION = (0.01, 0.1)  # a zero percentage becomes one in this range
SWITCHES = {"scenario": "scenario_names", "sotp_stat": "stat_names", "sotp_stat_override": "stat_names",
            "sotp_metric_source": "metric_source_names"}


@dataclass
class Variant:
    label: str
    cells: dict  # (sheet title, "C5") → new value (number, text or None for blank)


def _is_fraction(item, i: int, j: int) -> bool:
    fmt = item.fmt_at(i, j)
    return isinstance(fmt, str) and fmt.startswith("pct")


def _moved(rng: random.Random, value: float, fraction: bool) -> float:
    if value == 0:
        return rng.uniform(*(ZERO_FRACTION if fraction else ZERO_NUMBER))
    moved = value * rng.uniform(*FACTOR)
    return min(moved, 1.0) if fraction and 0 < value <= 1 else moved


def _other(options: list, current, k: int):
    """The k-th entry of ``options`` counting on from ``current``, never ``current`` itself."""
    at = options.index(current) if current in options else 0
    return options[(at + 1 + (k - 1) % (len(options) - 1)) % len(options)]


def make_variants(sheets: list[SheetLayout], current: dict, choices: dict, n: int, seed: int) -> list[Variant]:
    """``n`` variants of a workbook laid out as ``sheets``.

    ``current`` maps (sheet, cell) to the value the workbook holds there; ``choices`` maps a list
    name (scenario_names, stat_names, metric_source_names) to its entries. Variant k switches each choice to another
    entry of its list (blanks among the overrides too) and perturbs every number with ``seed``.
    """
    rng = random.Random(seed)
    out = []
    for k in range(1, n + 1):
        cells, picked = {}, {}
        for sheet in sheets:
            for item in sheet.items():
                if item.kind != "input":
                    continue
                for i, row in enumerate(item.cells):
                    for j, raw in enumerate(row):
                        where = (sheet.title, f"{get_column_letter(item.col + j)}{item.row + i}")
                        value = current.get(where, raw)
                        if item.name in SWITCHES:
                            options = list(choices.get(SWITCHES[item.name], ()))
                            if item.name == "sotp_stat_override":
                                options.append(None)
                            if len(options) > 1:
                                cells[where] = _other(options, value, k + i + j)
                                picked.setdefault(item.name, cells[where])
                        elif isinstance(value, (int, float)) and not isinstance(value, bool):
                            cells[where] = _moved(rng, float(value), _is_fraction(item, i, j))
        out.append(Variant(f"variant {k} (scenario {picked.get('scenario')}, statistic {picked.get('sotp_stat')}, "
                           f"inputs perturbed, seed {seed})", cells))
    return out


def _cell_xml(ref: str, style: str, value) -> str:
    if value is None:
        return f'<c r="{ref}"{style}/>'
    if isinstance(value, str):
        return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{xml_text(value)}</t></is></c>'
    return f'<c r="{ref}"{style}><v>{value!r}</v></c>'


def _set_cells(xml: str, cells: dict) -> str:
    """Sheet XML with each cell of ``cells`` ("C5" → value) rewritten in place (its style kept)."""
    def one(m: re.Match) -> str:
        ref = m.group(1)
        style = re.search(r'\ss="\d+"', m.group(2))
        return _cell_xml(ref, style.group(0) if style else "", cells[ref])

    refs = "|".join(map(re.escape, cells))
    return re.sub(rf'<c r="({refs})"((?:\s[^>]*?)?)(?:/>|>.*?</c>)', one, xml, flags=re.S) if refs else xml


def write_variant(source: Path, target: Path, variant: Variant) -> Path:
    """A copy of ``source`` at ``target`` with ``variant``'s cells set; every other part copied as it is."""
    by_sheet: dict[str, dict] = {}
    for (sheet, ref), value in variant.cells.items():
        by_sheet.setdefault(sheet, {})[ref] = value
    with zipfile.ZipFile(source) as src:
        parts = sheet_parts(src)
        unknown = set(by_sheet) - set(parts)
        if unknown:
            raise KwaiError(f"{source}: no sheet named {sorted(unknown)[0]!r} (was it renamed?)")
        edits = {parts[sheet]: cells for sheet, cells in by_sheet.items()}
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename in edits:
                    data = _set_cells(data.decode("utf-8"), edits[info.filename]).encode("utf-8")
                dst.writestr(info, data)
    return target
