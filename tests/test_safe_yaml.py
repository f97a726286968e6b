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


EDGE_DOCUMENTS = ["a: 1\nb: [1, 2]\n", "a: &x 1\nb: *x\n", "<<: {a: 1}\nb: 2\n", "a: 1\na: 2\n", "%YAML 1.1\n---\na: yes\n",
                  "a: !!str 5\n", "? [1, 2]\n: x\n", "? {a: 1}\n: x\n", "a: 2022-02-30\n", "--- 1\n--- 2\n", "", "# only\n",
                  "x", "[1, {a: b}]", "a: 0o17\nb: .inf\nc: ~\nd: 2022-01-01 10:00:00\ne: 1_000\n", "a: !!set {x, y}\n",
                  "=: v\n", "a: [b, &c [d], *c]\n", "a: |\n  one\n  two\nb: >-\n  folded\n  line\n", "{a: 1, a: 2}\n",
                  "a: 10000000000000000000000000000000\n", "a: 'quoted: yes'\nb: \"2022-01-01\"\n", "- - - deep\n"]


@pytest.mark.parametrize("text", EDGE_DOCUMENTS)
def test_a_document_built_from_events_or_by_ruamel_reads_as_ruamels_own(text):
    assert _read(safe_yaml(), text) == _read(YAML(typ="safe"), text)


def _rendered_templates():
    from kwai_xl.quarters.schema import load_quarter
    from kwai_xl.workbook import build

    for quarter in ("2022Q2", "2025Q4"):
        q = load_quarter(DATA_DIR / f"{quarter}.yaml")
        for lang in ("en", "zh"):
            labels = build.load_labels(lang)
            context = build.template_context(q, labels)
            context["sheet_keys"] = [k for k in build.SHEETS if k not in build.DATA_SHEETS or getattr(q, k)]
            env = build.template_environment(TEMPLATES_DIR)
            for key in context["sheet_keys"]:
                yield f"{quarter}-{lang}-{key}", env.get_template(f"sheets/{key}.yaml.j2").render(**context)


def test_every_rendered_template_and_shipped_file_is_built_from_events_as_ruamel_reads_it():
    from kwai_xl.safeyaml import plain_document

    texts = list(_rendered_templates()) + [(p.name, p.read_text(encoding="utf-8")) for p in sorted(DATA_DIR.glob("*.yaml"))]
    for name, text in texts:
        yaml = safe_yaml()
        assert repr(plain_document(yaml, list(yaml.parse(text)))) == repr(YAML(typ="safe").load(text)), name


values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8) | st.dates(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(values, st.booleans())
def test_any_document_reads_as_ruamels_own(value, flow):
    import io

    dumper = YAML(typ="safe", pure=True)
    dumper.default_flow_style = flow
    buf = io.StringIO()
    dumper.dump(value, buf)
    text = buf.getvalue()
    assert _read(safe_yaml(), text) == _read(YAML(typ="safe"), text)


@pytest.mark.filterwarnings("ignore::ruamel.yaml.error.MantissaNoDotYAML1_1Warning")  # 1e3 in YAML 1.1: ruamel's
@pytest.mark.parametrize("scalar", SCALARS)
def test_a_scalar_resolves_by_the_version_asked_for_whatever_was_read_before(scalar):
    """Plain scalars' tags are remembered across documents, by the YAML version the loader reads: a 1.1 loader's
    ``yes`` (true) is not a 1.2 loader's (text), in either order."""
    text = f"a: {scalar}\nb: [{scalar}, x]\n"
    for version in ((1, 2), (1, 1), None, (1, 1)):
        ours, ruamels = safe_yaml(), YAML(typ="safe")
        ours.version = ruamels.version = version
        assert _read(ours, text) == _read(ruamels, text), version
