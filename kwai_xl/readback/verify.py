"""``kwai-xl verify``: recalculate a workbook and variants of it in LibreOffice and compare them with the engine.

The engine runs on the inputs read from each recalculated copy, so an analyst's
edits are checked too. Besides the workbook as saved, ``n`` variants (copies with
the scenario and statistics switched and every typed number perturbed, see
:mod:`.variants`) are recalculated in the same LibreOffice run, so a formula that
happens to give the right figure at today's inputs (a hard-coded result, a wrong
sign on a term that is 0) is caught. Every public output name is compared
(numbers within a relative tolerance, text exactly); every cell holding an error
value is listed; every cell where the build wrote a formula but a constant now
sits is listed (the layout is rendered again from the workbook's identity).
"""

import random
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries

from .. import paths
from ..engine.model import evaluate
from ..errors import KwaiError
from ..quarters import backtest
from ..quarters.schema import load_quarter
from ..registry import model_md_names
from ..workbook.build import DATA_FILE_PROPERTY, TOOL_PROPERTY, layouts
from ..workbook.layout import defined_names as layout_names
from ..workbook.package import open_checked, read_workbook
from . import libreoffice
from .losses import identity, properties
from .pull import overrides_in
from .reader import WorkbookValues, inputs_from_workbook, structure_from_workbook
from .variants import DEFAULT_VARIANTS, SWITCHES, Variant, make_variants, write_variant

REQUIRED_NAMES = model_md_names()
"""MODEL.md §7: the names every workbook of the default segments defines."""

REL_TOL = 1e-9


@dataclass
class Mismatch:
    name: str
    workbook: object
    engine: object
    cell: str = ""
    variant: str = ""

    def __str__(self) -> str:
        where = f" at {self.cell}" if self.cell else ""
        case = f" in {self.variant}" if self.variant else ""
        return f"{self.name}{where}{case}: workbook {self.workbook!r} ≠ engine {self.engine!r}"


@dataclass
class VerifyReport:
    path: Path
    compared: list[str] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    constants: list[str] = field(default_factory=list)  # "Sheet!A1 (name) = value" where the build wrote a formula
    problems: list[str] = field(default_factory=list)   # what stopped a check (unreadable inputs, unknown layout)
    variants: list[str] = field(default_factory=list)
    seed: int | None = None
    values: WorkbookValues | None = None

    @property
    def ok(self) -> bool:
        return not (self.mismatches or self.missing or self.errors or self.constants or self.problems)


def _same(a, b, rel: float) -> bool:
    """Equal as the workbook shows them: numbers within ``rel`` (or 1e-12 absolute), text and dates exactly,
    NaN as "n.a."."""
    if isinstance(a, date) or isinstance(b, date):
        return a == b
    if isinstance(b, (float, np.floating)) and np.isnan(b):
        return a in ("n.a.", "")
    if isinstance(a, str) or isinstance(b, str):
        return str(a) == str(b)
    if isinstance(a, bool) or a is None:
        return False
    return abs(float(a) - float(b)) <= max(rel * abs(float(b)), 1e-12)


def compare(values: WorkbookValues, outputs: dict, rel: float = REL_TOL) -> tuple[list[str], list[Mismatch]]:
    """Every engine output that the workbook names, compared; (names compared, mismatches)."""
    compared, mismatches = [], []
    for name, expected in outputs.items():
        if name not in values.names:
            continue
        got = values.value(name)
        exp = np.asarray(expected, dtype=object)
        gotarr = np.asarray(got, dtype=object)
        compared.append(name)
        if gotarr.size != exp.size:
            mismatches.append(Mismatch(name, f"shape {gotarr.shape}", f"shape {exp.shape}"))
            continue
        for k, (g, e) in enumerate(zip(gotarr.ravel(), exp.ravel())):
            if not _same(g, e, rel):
                mismatches.append(Mismatch(name, g, e, _cell_of(values, name, k)))
                break
    return compared, mismatches


def _cell_of(values: WorkbookValues, name: str, k: int) -> str:
    """Sheet!A1 of element ``k`` (row-major) of a named range."""
    r = values.names[name]
    width = r.shape[1]
    return f"{r.sheet}!{get_column_letter(r.min_col + k % width)}{r.min_row + k // width}"


def check_values(values: WorkbookValues, rel: float = REL_TOL) -> VerifyReport:
    """Compare already-recalculated ``values`` with the engine run on the inputs they hold."""
    report = VerifyReport(values.path, values=values)
    report.missing = [n for n in model_md_names(structure_from_workbook(values)) if n not in values.names]
    report.errors = values.error_cells()
    if report.missing:
        return report
    try:
        inputs = inputs_from_workbook(values)
    except KwaiError as err:
        report.problems.append(f"inputs cannot be read: {err}")
        return report
    outputs = evaluate(inputs)
    if "fva_forecast" in values.names:
        outputs["fva_forecast"] = backtest.forecast_values(inputs, outputs)
        outputs["fva_error"] = backtest.forecast_errors(outputs["fva_forecast"], values.optional_numbers("fva_actual").ravel())
    report.compared, report.mismatches = compare(values, outputs, rel)
    return report


def new_seed() -> int:
    """A fresh random seed for the variants (printed, so a run can be repeated with ``--seed``)."""
    return random.SystemRandom().randrange(10**6)


def _plan(path: Path, n: int, seed: int, data_dir: Path | None) -> tuple[list[str], list[Variant], list[str]]:
    """(cells holding constants where the build wrote formulas, the variants, problems) of one workbook.

    The build's layout is rendered again from the quarter, language and add-in flag the workbook
    records, with the quarter's data file; it must place every defined name where the workbook has it.
    """
    try:
        wb = read_workbook(path)
    except Exception as err:
        raise KwaiError(f"{path}: cannot be read as an .xlsx workbook ({err.__class__.__name__})") from None
    try:
        quarter, lang, xlwings = identity(wb, path)
        data_file = paths.recorded_data_file(properties(wb).get(DATA_FILE_PROPERTY), quarter, data_dir)
        sheets = layouts(load_quarter(data_file), lang, xlwings)
    except KwaiError as err:
        return [], [], [f"the build's layout cannot be rendered again, so formulas and variants are not checked: {err}"]
    expected = {name: range_boundaries(ref.split("!")[-1].replace("$", ""))
                for name, ref in layout_names(sheets).items()}
    actual = {name: range_boundaries(ref.replace("$", "")) for name, dn in wb.defined_names.items()
              for _, ref in list(dn.destinations)[:1]}
    moved = sorted(name for name, box in expected.items() if actual.get(name) != box)
    if moved or sorted({s.title for s in sheets} - set(wb.sheetnames)):
        return [], [], [f"its layout differs from the one {data_file} gives (name {moved[0] if moved else '?'} moved, "
                        f"rows inserted or a sheet renamed?), so formulas and variants are not checked"]
    current, choices = {}, {}
    for sheet in sheets:
        ws = wb[sheet.title]
        for item in sheet.items():
            if item.kind == "input":
                for i, row in enumerate(item.cells):
                    for j in range(len(row)):
                        ref = f"{get_column_letter(item.col + j)}{item.row + i}"
                        current[(sheet.title, ref)] = ws[ref].value
            elif item.name in SWITCHES.values():
                choices[item.name] = [ws.cell(item.row + i, item.col + j).value
                                      for i, row in enumerate(item.cells) for j in range(len(row))]
    return overrides_in(wb, sheets), make_variants(sheets, current, choices, n, seed), []


def verify_workbooks(paths: list[Path], rel: float = REL_TOL, variants: int = DEFAULT_VARIANTS,
                     seed: int | None = None, data_dir: Path | None = None) -> list[VerifyReport]:
    """Recalculate copies of ``paths`` and ``variants`` variants of each in one LibreOffice run and check
    every one; the originals are untouched. ``seed`` (random if None) draws the variants' inputs;
    ``data_dir`` holds the quarters' data files (default: the project's)."""
    paths = [open_checked(p, identity=TOOL_PROPERTY) for p in paths]  # a workbook kwai-xl did not build: one line
    seed = new_seed() if seed is None else seed
    with tempfile.TemporaryDirectory(prefix="kwai-verify-") as tmp:
        staged, plans = [], []
        for k, p in enumerate(paths):
            copy = Path(tmp) / "in" / f"{k:03d}-{p.stem}.xlsx"
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, copy)
            constants, cases, problems = _plan(p, variants, seed, data_dir)
            plans.append((constants, cases, problems))
            staged.append((k, "", copy))
            for v, case in enumerate(cases, start=1):
                staged.append((k, case.label, write_variant(p, copy.with_name(f"{copy.stem}-v{v}.xlsx"), case)))
        recalculated = libreoffice.recalculate([c for _, _, c in staged], Path(tmp) / "out")
        reports = [VerifyReport(p, seed=seed) for p in paths]
        for (k, label, _), out in zip(staged, recalculated):
            # a variant has its workbook's names: only cell values were changed
            checked = check_values(WorkbookValues(out, reports[k].values.names if label else None), rel)
            if not label:
                checked.path, checked.seed = paths[k], seed
                checked.constants, checked.variants = plans[k][0], [c.label for c in plans[k][1]]
                checked.problems = plans[k][2] + checked.problems
                reports[k] = checked
                continue
            for m in checked.mismatches:
                m.variant = label
            reports[k].mismatches.extend(checked.mismatches)
            reports[k].errors.extend(f"{e} in {label}" for e in checked.errors)
            reports[k].problems.extend(f"{p} in {label}" for p in checked.problems)
        return reports  # each workbook's own copy is staged before its variants, so its report comes first


def verify_workbook(path: Path, rel: float = REL_TOL, variants: int = DEFAULT_VARIANTS,
                    seed: int | None = None, data_dir: Path | None = None) -> VerifyReport:
    """Recalculate a copy of ``path`` and its variants in LibreOffice and check them against the engine."""
    return verify_workbooks([path], rel, variants, seed, data_dir)[0]
