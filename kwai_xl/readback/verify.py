"""``kwai-xl verify``: recalculate a workbook in LibreOffice and compare it with the engine.

The engine runs on the inputs read from the workbook itself, so an analyst's
edits are checked too. Every public output name present in the workbook is
compared (numbers within a relative tolerance, text exactly); every cell
holding an error value is listed.
"""

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..engine.model import evaluate
from ..quarters import backtest
from ..registry import model_md_names
from ..workbook.package import open_checked
from . import libreoffice
from .reader import WorkbookValues, inputs_from_workbook, structure_from_workbook

REQUIRED_NAMES = model_md_names()
"""MODEL.md §7: the names every workbook of the default segments defines."""

REL_TOL = 1e-9


@dataclass
class Mismatch:
    name: str
    workbook: object
    engine: object

    def __str__(self) -> str:
        return f"{self.name}: workbook {self.workbook!r} ≠ engine {self.engine!r}"


@dataclass
class VerifyReport:
    path: Path
    compared: list[str] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    values: WorkbookValues | None = None

    @property
    def ok(self) -> bool:
        return not (self.mismatches or self.missing or self.errors)


def _same(a, b, rel: float) -> bool:
    """Equal as the workbook shows them: numbers within ``rel`` (or 1e-12 absolute), text exactly, NaN as "n.a."."""
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
        for g, e in zip(gotarr.ravel(), exp.ravel()):
            if not _same(g, e, rel):
                mismatches.append(Mismatch(name, g, e))
                break
    return compared, mismatches


def check_values(values: WorkbookValues, rel: float = REL_TOL) -> VerifyReport:
    """Compare already-recalculated ``values`` with the engine run on the inputs they hold."""
    report = VerifyReport(values.path, values=values)
    report.missing = [n for n in model_md_names(structure_from_workbook(values)) if n not in values.names]
    report.errors = values.error_cells()
    if report.missing:
        return report
    inputs = inputs_from_workbook(values)
    outputs = evaluate(inputs)
    if "fva_forecast" in values.names:
        outputs["fva_forecast"] = backtest.forecast_values(inputs, outputs)
        outputs["fva_error"] = backtest.forecast_errors(outputs["fva_forecast"], values.optional_numbers("fva_actual").ravel())
    report.compared, report.mismatches = compare(values, outputs, rel)
    return report


def verify_workbooks(paths: list[Path], rel: float = REL_TOL) -> list[VerifyReport]:
    """Recalculate copies of ``paths`` in one LibreOffice run and check each; the originals are untouched."""
    paths = [open_checked(p) for p in paths]
    with tempfile.TemporaryDirectory(prefix="kwai-verify-") as tmp:
        staged = []
        for k, p in enumerate(paths):
            copy = Path(tmp) / "in" / f"{k:03d}-{p.stem}.xlsx"
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, copy)
            staged.append(copy)
        recalculated = libreoffice.recalculate(staged, Path(tmp) / "out")
        reports = []
        for original, out in zip(paths, recalculated):
            report = check_values(WorkbookValues(out), rel)
            report.path = original
            reports.append(report)
        return reports


def verify_workbook(path: Path, rel: float = REL_TOL) -> VerifyReport:
    """Recalculate a copy of ``path`` in LibreOffice and check it against the engine."""
    return verify_workbooks([path], rel)[0]
