"""Where the shipped quarter files, templates and workbooks live."""

import os
import re
from pathlib import Path

from .errors import KwaiError

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("KWAI_XL_DATA", ROOT / "data" / "quarters"))
TEMPLATES_DIR = ROOT / "templates"
WORKBOOKS_DIR = ROOT / "workbooks"
DEFAULT_QUARTER = "2022Q2"
QUARTER_PATTERN = r"^[0-9]{4}Q[1-4]$"
"""A quarter's name, e.g. 2022Q2: ASCII digits only (``\\d`` would also match ２ or ٢). The one copy."""


def is_quarter(name: str) -> bool:
    """Whether ``name`` is a quarter like 2022Q2."""
    return re.fullmatch(QUARTER_PATTERN, name) is not None


def quarter_files(data_dir: Path | None = None) -> list[Path]:
    """The quarter data files in ``data_dir`` (default: the shipped folder), oldest quarter first."""
    return sorted(p for p in Path(data_dir or DATA_DIR).glob("*.yaml") if is_quarter(p.stem))


def quarter_path(quarter: str, data_dir: Path | None = None, option: str = "--quarter") -> Path:
    """The data file of ``quarter`` (e.g. 2022Q2), or a file path given directly (``option``: the command
    line option that gave it, for the error)."""
    candidate = Path(quarter)
    if candidate.suffix in (".yaml", ".yml"):
        return candidate
    if not is_quarter(quarter):
        raise KwaiError(f"{option}: {quarter!r} is not a quarter like 2022Q2 or a .yaml file")
    data_dir = Path(data_dir or DATA_DIR)
    path = data_dir / f"{quarter}.yaml"
    if not path.exists():
        known = ", ".join(p.stem for p in quarter_files(data_dir)) or "none"
        raise KwaiError(f"{path}: no data file for quarter {quarter} (known: {known})")
    return path


def project_relative(path: Path) -> str:
    """``path`` relative to the project folder when it lies inside it (so a workbook names no one's home
    folder), else absolute; POSIX separators."""
    path = Path(path).resolve()
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return path.as_posix()


def recorded_data_file(recorded: str | None, quarter: str, data_dir: Path | None = None) -> Path:
    """The data file of a workbook built for ``quarter``: ``data_dir``'s when one is given, else the file the
    build recorded (when it still exists and holds that quarter), else the shipped folder's."""
    if data_dir is None and recorded:
        path = Path(recorded) if Path(recorded).is_absolute() else ROOT / recorded
        if path.is_file() and path.stem == quarter:
            return path
    return quarter_path(quarter, data_dir)
