"""Shared fixtures: the shipped quarters and the engine's results for them."""

import atexit
import os
import random
import shutil
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kwai_xl.engine.model import evaluate
from kwai_xl.paths import DATA_DIR
from kwai_xl.quarters.inputs import inputs_from_quarter
from kwai_xl.quarters.schema import load_quarter
from kwai_xl.readback import libreoffice
from kwai_xl.readback.reader import WorkbookValues
from kwai_xl.workbook.build import build_workbook

SEED_QUARTER = DATA_DIR / "2022Q2.yaml"

# the tests keep compiled templates and parsed documents apart from the user's (kwai_xl.diskcache), starting with none
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="kwai-xl-test-cache-")
atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], True)


def seed_round(value: float, places: int = 2) -> float:
    """Round as a report prints: half up, after dropping float noise below 1e-6."""
    exact = Decimal(repr(round(float(value), 6)))
    return float(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


@pytest.fixture(scope="session")
def seed_quarter():
    return load_quarter(SEED_QUARTER)


@pytest.fixture(scope="session")
def seed_inputs(seed_quarter):
    return inputs_from_quarter(seed_quarter)


@pytest.fixture(scope="session")
def seed_outputs(seed_inputs):
    return evaluate(seed_inputs)


@pytest.fixture
def quarter_dir(tmp_path) -> Path:
    """A private copy of the shipped quarter files, for tests that edit them."""
    target = tmp_path / "quarters"
    target.mkdir()
    for path in DATA_DIR.glob("*.yaml"):
        (target / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return target


PERTURB_SEEDS = (1, 2, 3, 4)
FRACTION_NAMES = {"um_penetration", "um_active_ratio", "cm_penetration", "cm_completion", "cm_share", "sotp_ls_margin",
                  "sens_steps"}


def input_cells(wb):
    """(name, cell) for every numeric input cell (a typed number, blue) behind a defined name, on any sheet."""
    for name, dn in wb.defined_names.items():
        for sheet, ref in dn.destinations:
            cells = wb[sheet][ref.replace("$", "")]
            cells = cells if isinstance(cells, tuple) else ((cells,),)
            cells = cells if isinstance(cells[0], tuple) else (cells,)
            for row in cells:
                for cell in row:
                    typed = isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool) and cell.data_type == "n"
                    if typed and cell.font.color is not None and str(cell.font.color.rgb).endswith("0000FF"):
                        yield name, cell


def perturbed_copy(book: Path, target: Path, seed: int) -> Path:
    """A copy of ``book`` with every numeric input scaled by a random factor in [0.7, 1.3] (fractions kept ≤ 1)."""
    rng = random.Random(seed)
    wb = load_workbook(book)
    changed = 0
    for name, cell in input_cells(wb):
        value = cell.value * rng.uniform(0.7, 1.3)
        cell.value = min(value, 1.0) if name in FRACTION_NAMES else value
        changed += 1
    assert changed > 100  # every numeric input, not a handful
    wb.save(target)
    return target


def switched_copy(book: Path, target: Path, **choices) -> Path:
    wb = load_workbook(book)
    for name, value in choices.items():
        sheet, ref = next(iter(wb.defined_names[name].destinations))
        cells = wb[sheet][ref.replace("$", "")]
        if isinstance(cells, tuple):
            for cell, v in zip(cells[0], value):
                cell.value = v
        else:
            cells.value = value
    wb.save(target)
    return target


@pytest.fixture(scope="session")
def seed_book(tmp_path_factory, seed_quarter):
    """The default 2022Q2 workbook, built once."""
    return build_workbook(seed_quarter, tmp_path_factory.mktemp("build") / "kuaishou-2022Q2.xlsx").path


@pytest.fixture(scope="session")
def recalculated(seed_book, tmp_path_factory):
    """The default build and its variants, recalculated by LibreOffice in one run: name → WorkbookValues."""
    work = tmp_path_factory.mktemp("variants")
    variants = {"default": shutil.copyfile(seed_book, work / "default.xlsx")}
    variants["bear"] = switched_copy(seed_book, work / "bear.xlsx", scenario="Bear")
    variants["bull"] = switched_copy(seed_book, work / "bull.xlsx", scenario="Bull")
    variants["median"] = switched_copy(seed_book, work / "median.xlsx", sotp_stat="Median",
                                       sotp_ls_stat_override="Mean")
    for seed in PERTURB_SEEDS:
        variants[f"perturbed{seed}"] = perturbed_copy(seed_book, work / f"perturbed{seed}.xlsx", seed)
    outs = libreoffice.recalculate([Path(p) for p in variants.values()], work / "out")
    return {key: WorkbookValues(out) for key, out in zip(variants, outs)}


@pytest.fixture
def saved_during_build(monkeypatch):
    """``arrange(save)``: from now on a build of ``replace_workbook`` calls ``save()`` first (the analyst saving the
    workbook while kwai-xl builds); ``arrange(None)`` ends that."""
    from kwai_xl.readback import replace

    build_bytes = replace.workbook_bytes

    def arrange(save) -> None:
        def build_while_the_analyst_saves(*args, **kwargs):
            save()
            return build_bytes(*args, **kwargs)

        monkeypatch.setattr(replace, "workbook_bytes", build_while_the_analyst_saves if save else build_bytes)

    return arrange
