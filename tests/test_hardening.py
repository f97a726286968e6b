"""Bad input fails clearly and loses nothing; untrusted text stays text; untrusted files are refused safely."""

import io
import math
import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from ruamel.yaml import YAML

from kwai_xl.errors import KwaiError
from kwai_xl.interfaces.cli import main
from kwai_xl.paths import DATA_DIR
from kwai_xl.quarters.schema import load_quarter
from kwai_xl.readback.pull import pull
from kwai_xl.readback.reader import WorkbookValues
from kwai_xl.readback.verify import verify_workbook
from kwai_xl.workbook.build import build_workbook

SEED = YAML(typ="safe", pure=True).load((DATA_DIR / "2022Q2.yaml").read_text(encoding="utf-8"))


def leaves(node, path=()):
    """Every (path, value) leaf of a parsed quarter file."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, path + (key,))
    elif isinstance(node, list):
        for k, value in enumerate(node):
            yield from leaves(value, path + (k,))
    else:
        yield path, node


def containers(node, path=()):
    if isinstance(node, (dict, list)):
        yield path, node
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            yield from containers(value, path + (key,))


def get(node, path):
    for key in path:
        node = node[key]
    return node


JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.text(max_size=12),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(["=1+1", "+cmd", "@SUM(A1)", "-1", "Bear", ""]),
    st.lists(st.integers(0, 3), max_size=4), st.dictionaries(st.sampled_from(["value", "x"]), st.integers(), max_size=2),
    st.floats(-1e6, 1e6).map(lambda x: x * 1e-300), st.just(1e308),
)


@st.composite
def mutated(draw):
    """The seed file with one to three random mutations: a value replaced, a key dropped, a key added."""
    import copy
    data = copy.deepcopy(SEED)
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["value", "value", "value", "drop", "add", "scale"]))
        if op in ("value", "scale"):
            path, old = draw(st.sampled_from(list(leaves(data))))
            new = draw(JUNK) if op == "value" or not isinstance(old, (int, float)) else old * draw(st.sampled_from([-1, 0, 1e9, 0.5]))
            get(data, path[:-1])[path[-1]] = new
        else:
            path, node = draw(st.sampled_from([c for c in containers(data) if c[1]]))
            if op == "drop":
                key = draw(st.sampled_from(list(node.keys()) if isinstance(node, dict) else list(range(len(node)))))
                del node[key]
            elif isinstance(node, dict):
                node[draw(st.sampled_from(["extra", "valu", "sources"]))] = 1
            else:
                node.append(draw(JUNK))
    return data


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(mutated(), st.booleans())
def test_fuzzed_data_files_exit_0_or_2_with_one_line(tmp_path_factory, data, existing):
    work = tmp_path_factory.mktemp("fuzz")
    src = work / "2022Q2.yaml"
    buf = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, buf)
    src.write_text(buf.getvalue(), encoding="utf-8")
    out = work / "out.xlsx"
    if existing:
        build_workbook(load_quarter(DATA_DIR / "2022Q2.yaml"), out)
    before = out.read_bytes() if existing else None
    result = CliRunner().invoke(main, ["build", "--quarter", str(src), "--out", str(out)])
    assert result.exit_code in (0, 2), (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), lines
        assert (out.read_bytes() == before) if existing else not out.exists()
    else:
        assert load_workbook(out, read_only=True).sheetnames[0] == "Cover"
    assert not list(work.glob(".*.tmp"))


def test_an_interrupted_build_leaves_the_old_workbook_readable(tmp_path):
    out = tmp_path / "k.xlsx"
    build_workbook(load_quarter(DATA_DIR / "2022Q2.yaml"), out)
    expected = WorkbookValues(out).value("sotp_per_share")
    rng = random.Random(7)
    killed = 0
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, "-m", "kwai_xl", "build", "-q", "2022Q2", "--out", str(out)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 0.8))
        proc.send_signal(signal.SIGKILL)
        killed += proc.wait() == -signal.SIGKILL
        # whatever the moment of the kill, the file is a whole workbook (the old one or a complete new one)
        assert zipfile.is_zipfile(out)
        assert WorkbookValues(out).value("sotp_per_share") == expected
    assert killed >= 3  # most runs really were cut off mid-build
    build_workbook(load_quarter(DATA_DIR / "2022Q2.yaml"), out)  # the next build clears temporary leftovers
    assert not list(tmp_path.glob(".*.tmp"))


def test_an_edited_workbook_is_not_overwritten(tmp_path):
    out = tmp_path / "k.xlsx"
    q = load_quarter(DATA_DIR / "2022Q2.yaml")
    build_workbook(q, out)
    build_workbook(q, out)  # untouched since built: replaced without fuss
    wb = load_workbook(out)
    sheet, ref = next(iter(wb.defined_names["price"].destinations))
    wb[sheet][ref.replace("$", "")].value = 90
    wb.save(out)
    edited = out.read_bytes()
    result = CliRunner().invoke(main, ["build", "-q", "2022Q2", "--out", str(out)])
    assert result.exit_code == 2 and "a rebuild would lose: input Assumptions!C10 is 90, the data file has 79.9" in result.stderr
    assert "kwai-xl pull" in result.stderr and len(result.stderr.splitlines()) == 1
    assert out.read_bytes() == edited
    result = CliRunner().invoke(main, ["build", "-q", "2022Q2", "--out", str(out), "--force"])
    assert result.exit_code == 0
    backups = list(tmp_path.glob("k.*.bak.xlsx"))
    assert len(backups) == 1 and backups[0].read_bytes() == edited
    foreign = tmp_path / "foreign.xlsx"
    foreign.write_bytes(b"not ours")
    result = CliRunner().invoke(main, ["build", "-q", "2022Q2", "--out", str(foreign)])
    assert result.exit_code == 2 and "move it away" in result.stderr and foreign.read_bytes() == b"not ours"


def _zip(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol9 "&lol3;&lol3;&lol3;">]>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets>&lol9;</sheets></workbook>"""


@pytest.fixture
def hostile(tmp_path, seed_book):
    """Files no analyst should be able to crash kwai-xl with."""
    good = seed_book.read_bytes()
    files = {"not an xlsx": tmp_path / "text.xlsx", "truncated": tmp_path / "truncated.xlsx",
             "password-protected": tmp_path / "encrypted.xlsx", "zip bomb": tmp_path / "bomb.xlsx",
             "billion laughs": tmp_path / "laughs.xlsx", "a zip but no workbook": tmp_path / "plain.zip.xlsx"}
    files["not an xlsx"].write_text("quarter: 2022Q2\n")
    files["truncated"].write_bytes(good[: len(good) // 2])
    files["password-protected"].write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 4096)  # an OLE container
    _zip(files["zip bomb"], {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"\0" * (64 * 2**20)})
    with zipfile.ZipFile(seed_book) as src, zipfile.ZipFile(files["billion laughs"], "w") as dst:
        for item in src.infolist():
            dst.writestr(item, BILLION_LAUGHS if item.filename == "xl/workbook.xml" else src.read(item.filename))
    _zip(files["a zip but no workbook"], {"readme.txt": b"hello"})
    return files


EXPECTED = {"not an xlsx": "not an .xlsx workbook", "truncated": "not an .xlsx workbook",
            "password-protected": "password-protected", "zip bomb": "zip bomb",
            "billion laughs": "entity attack", "a zip but no workbook": "not an .xlsx workbook"}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
@pytest.mark.parametrize("command", ["pull", "verify"])
def test_untrusted_workbooks_are_refused_quickly(hostile, kind, command):
    start = time.perf_counter()
    with pytest.raises(KwaiError, match=EXPECTED[kind]):
        (pull if command == "pull" else verify_workbook)(hostile[kind])
    assert time.perf_counter() - start < 5


def test_cli_refusal_is_one_line(hostile):
    result = CliRunner().invoke(main, ["verify", str(hostile["zip bomb"])])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.output


def test_too_many_peers_and_years_are_refused(tmp_path):
    text = (DATA_DIR / "2022Q2.yaml").read_text(encoding="utf-8")
    data = YAML(typ="safe", pure=True).load(text)
    data["peers"]["groups"][1]["companies"] = data["peers"]["groups"][1]["companies"] * 51  # 204 peers
    buf = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, buf)
    (tmp_path / "2022Q2.yaml").write_text(buf.getvalue(), encoding="utf-8")
    with pytest.raises(KwaiError, match=r"peers.groups.1.companies: List should have at most 200 items"):
        load_quarter(tmp_path / "2022Q2.yaml")
    (tmp_path / "2022Q2.yaml").write_text(text.replace("years: [2021, 2022, 2023]", "years: [2021, 2022, 2023, 2024]"),
                                          encoding="utf-8")
    with pytest.raises(KwaiError, match=r"years: Tuple should have at most 3 items"):
        load_quarter(tmp_path / "2022Q2.yaml")


def test_many_peers_within_the_limit_build_and_verify(tmp_path, quarter_dir, seed_outputs):
    from copy import deepcopy

    from kwai_xl.quarters.datafile import dump_document, load_document
    data_file = quarter_dir / "2022Q2.yaml"  # verify renders the layout again from the workbook's data file
    doc = load_document(data_file)
    base = list(doc["peers"]["groups"][2]["companies"])
    doc["peers"]["groups"][2]["companies"] = [dict(deepcopy(p), ticker=f"{p['ticker']}{k}") for k in range(10) for p in base]
    data_file.write_text(dump_document(doc), encoding="utf-8")
    q = load_quarter(data_file)
    report = verify_workbook(build_workbook(q, tmp_path / "many.xlsx").path, data_dir=quarter_dir)
    assert report.ok and report.values.value("ec_pgmv_count")[1] == 40
    assert math.isclose(report.values.value("ec_pgmv_mean")[1], seed_outputs["ec_pgmv_mean"][1], rel_tol=1e-9)  # ten copies
    assert round(seed_outputs["ec_pgmv_mean"][1], 2) == 0.19


def test_zero_and_negative_denominators_show_nm_not_div0(tmp_path, seed_quarter):
    data = seed_quarter.model_dump()
    data["peers"]["groups"][1]["companies"][0]["revenue"] = (0.0, -5.0, None)
    q = type(seed_quarter).model_validate(data)
    report = verify_workbook(build_workbook(q, tmp_path / "edge.xlsx").path)
    assert report.ok
    assert list(report.values.value("ads_ps")[0]) == ["n.m.", "n.m.", "n.a."]
    assert not any("#DIV/0!" in e for e in report.errors)


def test_templates_render_in_a_sandbox_with_strict_variables(tmp_path):
    from jinja2.exceptions import SecurityError, UndefinedError

    from kwai_xl.workbook.layout import template_environment
    (tmp_path / "t.j2").write_text("{{ missing }}")
    (tmp_path / "u.j2").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    env = template_environment(tmp_path)
    with pytest.raises(UndefinedError):
        env.get_template("t.j2").render()
    with pytest.raises(SecurityError):
        env.get_template("u.j2").render()
