"""Shared fixtures: the shipped quarters and the engine's results for them."""

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from kwai_xl.inputs import inputs_from_quarter
from kwai_xl.model import evaluate
from kwai_xl.paths import DATA_DIR
from kwai_xl.quarter import load_quarter

SEED_QUARTER = DATA_DIR / "2022Q2.yaml"


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
