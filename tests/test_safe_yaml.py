"""kwai-xl's YAML loader (a resolver that looks its rules up once) reads every document as ruamel's own does."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from kwai_xl.paths import DATA_DIR, ROOT, TEMPLATES_DIR
from kwai_xl.safeyaml import safe_yaml

SCALARS = ["~", "null", "Null", "''", "true", "True", "yes", "on", "0o17", "017", "0x1f", "1_000", ".inf", "-.INF",
           ".nan", "1e3", "1.5e-3", "2022-01-01", "2022-01-01 10:00:00", "'2022-01-01'", "'<<'", "+1", "-0", "0.",
           "1.", "190:20:30", "", "!!str 5", "\"12\"", "3.0e+2", "0b101", "NULL", "FALSE", "tRue"]


def _read(loader, text: str) -> str:
    """What ``loader`` makes of ``text``, as text; a failure as its error's class name."""
    try:
        return repr(loader.load(text))
    except Exception as err:
        return err.__class__.__name__


@pytest.mark.parametrize("path", sorted(DATA_DIR.glob("*.yaml")) + sorted((ROOT / "data" / "examples").rglob("*.yaml"))
                         + sorted((TEMPLATES_DIR / "labels").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_file_reads_the_same(path):
    text = path.read_text(encoding="utf-8")
    assert safe_yaml().load(text) == YAML(typ="safe").load(text)


@pytest.mark.parametrize("scalar", SCALARS)
def test_each_kind_of_scalar_resolves_the_same(scalar):
    text = f"a: {scalar}\nb: [{scalar}, x]\n"
    assert _read(safe_yaml(), text) == _read(YAML(typ="safe"), text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="0123456789.+-_:eExXoObB~nNuUlLtTrRfFaAsS yY", min_size=0, max_size=12), max_size=6))
def test_any_plain_scalar_resolves_the_same(words):
    text = "".join(f"k{n}: {w}\n" for n, w in enumerate(words))
    assert _read(safe_yaml(), text) == _read(YAML(typ="safe"), text)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",))))
def test_a_template_value_reads_back_as_it_was_whatever_its_characters(text):
    """``yaml_scalar`` (how templates put data-file text into a sheet's YAML) survives any character: C1
    controls, NEL, line separators, quotes, backslashes."""
    from kwai_xl.workbook.layout import yaml_scalar

    assert safe_yaml().load(f"v: {yaml_scalar(text)}")["v"] == text
