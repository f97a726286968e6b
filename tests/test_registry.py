"""The registry of public names: MODEL.md §7's contract, and one rule per input shared by the data file and the UDFs."""

import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from kwai_xl.errors import KwaiError
from kwai_xl.quarters.datafile import get_path, set_path
from kwai_xl.quarters.schema import parse_quarter
from kwai_xl.registry import RULES, model_md_names, public_names, structure_of

ROOT = Path(__file__).resolve().parent.parent
MODEL_MD = ROOT.parent / "shared" / "spec" / "MODEL.md"


def model_md_table() -> dict[str, str]:
    """MODEL.md §7: name → shape as the table prints it."""
    text = MODEL_MD.read_text(encoding="utf-8").split("## 7.")[1].split("## 8.")[0]
    out = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and "`" in cells[0]:
            for name in re.findall(r"`([a-z_]+)`", cells[0]):
                out[name] = cells[1].replace("×", "x")
    return out


@pytest.mark.skipif(not MODEL_MD.exists(), reason="MODEL.md sits beside the repository in ../shared")
def test_every_model_md_name_is_in_the_registry_with_its_shape(seed_quarter):
    table = model_md_table()
    assert len(table) == 44
    names = public_names(structure_of(seed_quarter))
    assert set(table) == set(model_md_names())
    for name, shape in table.items():
        assert names[name].shape == shape, name


def _just_outside(rule) -> float | None:
    """A value that breaks ``rule`` by a hair, or None for a rule without bounds."""
    for bound, step in ((rule.gt, 0.0), (rule.ge, -1e-9), (rule.lt, 0.0), (rule.le, 1e-9)):
        if bound is not None:
            return bound + step
    return None


def test_every_input_rule_is_the_data_file_rule(seed_quarter):
    """Each registry input with a bounded rule: a value just outside it is refused by the data file's schema,
    naming that input's path, and the same value breaks the rule the UDFs check."""
    data = YAML(typ="safe").load((ROOT / "data" / "quarters" / "2022Q2.yaml").read_text(encoding="utf-8"))
    checked = 0
    for pn in public_names(structure_of(seed_quarter)).values():
        bad = _just_outside(RULES[pn.rule]) if pn.is_input and pn.rule in RULES else None
        if bad is None or not pn.path:
            continue
        held = [p for p in (pn.cell_path(i, j) for i in range(pn.size[0]) for j in range(pn.size[1]))
                if get_path(data, p, None) is not None]  # a driver's first year may be blank (n.a.)
        if not held:
            continue
        path = held[0]
        copy = YAML(typ="safe").load((ROOT / "data" / "quarters" / "2022Q2.yaml").read_text(encoding="utf-8"))
        set_path(copy, path, bad)
        with pytest.raises(KwaiError, match=re.escape(".".join(map(str, path)))):
            parse_quarter(Path("2022Q2.yaml"), copy)
        assert RULES[pn.rule].broken(bad)
        checked += 1
    assert checked > 30
