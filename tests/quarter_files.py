"""Quarter files the tests write: the shipped seed quarter with an edit applied (comments kept)."""

from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent


def edited_seed_quarter(tmp_path: Path, edit) -> Path:
    """``tmp_path/2022Q2.yaml``: the shipped 2022Q2 file after ``edit(data)`` changed its round-trip data."""
    yaml = YAML()
    data = yaml.load((ROOT / "data" / "quarters" / "2022Q2.yaml").read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "2022Q2.yaml"
    with path.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)
    return path
