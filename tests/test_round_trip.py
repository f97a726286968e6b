"""The analyst's round trip through a real spreadsheet application: build, open, edit, save, pull, rebuild.

LibreOffice itself writes every edited file here: its converter re-saves a workbook
unedited, and the UNO bridge (tests/lo_uno_edit.py, run with the system Python)
types inputs, adds a sheet and a note, and types over a formula inside Calc.
"""

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from defusedxml.ElementTree import fromstring
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from ruamel.yaml import YAML

from kwai_xl.engine.model import evaluate
from kwai_xl.errors import KwaiError
from kwai_xl.interfaces.cli import main
from kwai_xl.quarters.datafile import dump_document, load_document
from kwai_xl.quarters.inputs import inputs_from_quarter
from kwai_xl.quarters.schema import load_quarter
from kwai_xl.readback import libreoffice
from kwai_xl.readback.losses import rebuild_losses
from kwai_xl.readback.pull import pull
from kwai_xl.readback.reader import WorkbookValues, defined_names, sheet_parts
from kwai_xl.readback.replace import replace_workbook
from kwai_xl.readback.verify import verify_workbooks
from kwai_xl.workbook.build import (
    BUILD_PROPERTY,
    OWN_PROPERTY_PREFIX,
    QUARTER_PROPERTY,
    build_losses,
    build_workbook,
    layouts,
    write_workbook,
)
from kwai_xl.workbook.package import untouched_since_built

LO = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is installed by `make test`")
SYSTEM_PYTHON = "/usr/bin/python3"
HAS_UNO = Path(SYSTEM_PYTHON).exists() and subprocess.run([SYSTEM_PYTHON, "-c", "import uno"],
                                                           capture_output=True).returncode == 0
UNO = pytest.mark.skipif(not HAS_UNO, reason="python3-uno is installed by `make test`")
UNO_EDIT = Path(__file__).with_name("lo_uno_edit.py")


def run(*args, data_dir: Path) -> subprocess.CompletedProcess:
    """``kwai-xl ARGS`` in a process of its own, as an analyst runs it."""
    env = {**os.environ, "KWAI_XL_DATA": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "kwai_xl", *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=300)


def resave(book: Path, tmp: Path) -> Path:
    """``book`` opened and saved unedited by LibreOffice, in place."""
    shutil.copyfile(libreoffice.convert([book], tmp / "lo-resave")[0], book)
    return book


def uno_edit(book: Path, edits: list[dict], tmp: Path) -> Path:
    """``book`` edited inside LibreOffice Calc through UNO and saved there, in place."""
    spec = tmp / "edits.json"
    spec.write_text(json.dumps(edits), encoding="utf-8")
    out = tmp / f"uno-{book.name}"
    proc = subprocess.run([SYSTEM_PYTHON, str(UNO_EDIT), str(book), str(out), str(spec)], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0 and out.exists(), proc.stderr
    shutil.copyfile(out, book)
    return book


def per_share(quarter_dir: Path) -> float:
    """The engine's value per share of the 2022Q2 data file in ``quarter_dir``."""
    return evaluate(inputs_from_quarter(load_quarter(quarter_dir / "2022Q2.yaml")))["sotp_per_share"]


def named_cell(book: Path, name: str):
    wb = load_workbook(book)
    sheet, ref = next(iter(wb.defined_names[name].destinations))
    return wb, wb[sheet][ref.replace("$", "").split(":")[0]]


@LO
def test_a_libreoffice_resave_is_not_an_edit(quarter_dir, tmp_path):
    book = tmp_path / "k.xlsx"
    build_workbook(load_quarter(quarter_dir / "2022Q2.yaml"), book)
    resave(book, tmp_path)
    assert rebuild_losses(book, load_quarter(quarter_dir / "2022Q2.yaml")) == []
    # nor is what LibreOffice writes of its own: an empty Template, every name's hidden="false" and kin
    assert build_losses(book, load_quarter(quarter_dir / "2022Q2.yaml")) == []
    before = (quarter_dir / "2022Q2.yaml").read_text(encoding="utf-8")
    result = run("pull", book, data_dir=quarter_dir)
    assert result.returncode == 0 and "no input changed" in result.stdout, result.stderr
    result = run("build", "-q", "2022Q2", "--out", book, data_dir=quarter_dir)
    assert result.returncode == 0 and "built" in result.stdout, result.stderr
    assert (quarter_dir / "2022Q2.yaml").read_text(encoding="utf-8") == before
    assert not list(tmp_path.glob("k.*.bak.xlsx"))  # replaced without ceremony: no backup


def test_an_edit_inside_the_file_with_its_properties_kept_is_still_noticed(quarter_dir, tmp_path):
    """A file exactly as built is judged from its recorded package digest, without parsing it; a number
    changed inside the sheet XML, every property left as built, must fall back to judging by meaning."""
    book = tmp_path / "k.xlsx"
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    replace_workbook(q, book)
    assert untouched_since_built(book) and rebuild_losses(book, q) == []
    price = defined_names(book)["price"]
    ref = f"{get_column_letter(price.min_col)}{price.min_row}"
    edited = tmp_path / "edited.xlsx"
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(edited, "w", zipfile.ZIP_DEFLATED) as dst:
        part = sheet_parts(src)[price.sheet]
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == part:
                data = re.sub(rf'(<c r="{ref}"[^>]*><v>)[^<]*(</v>)', r"\g<1>100\g<2>", data.decode()).encode()
            dst.writestr(item, data)
    shutil.copyfile(edited, book)
    assert WorkbookValues(book).value("price") == 100
    assert not untouched_since_built(book)
    assert any("is 100" in line for line in rebuild_losses(book, q)), rebuild_losses(book, q)
    with pytest.raises(KwaiError, match="is 100"):
        replace_workbook(q, book)
    assert WorkbookValues(book).value("price") == 100  # refused: the edit is still there


@LO
@UNO
def test_edits_made_in_libreoffice_pull_then_rebuild_without_force(quarter_dir, tmp_path):
    book = tmp_path / "k.xlsx"
    build_workbook(load_quarter(quarter_dir / "2022Q2.yaml"), book)
    uno_edit(book, [
        {"name": "price", "value": 85.5},
        {"name": "um_penetration", "offset": [0, 1], "value": 0.65},
        {"sheet": "My work", "cells": {"A1": "Value per share, doubled", "B1": "=sotp_per_share*2",
                                       "B2": "=$Assumptions.$C$10+1", "B3": 42},
         "formats": {"B1": "#,##0.000"}, "widths": {"A": 8000}},
    ], tmp_path)
    saved = load_workbook(book)["My work"]  # as LibreOffice wrote the sheet
    assert saved["B1"].number_format == "#,##0.000" and saved.column_dimensions["A"].width > 20

    refused = run("build", "-q", "2022Q2", "--out", book, data_dir=quarter_dir)
    assert refused.returncode == 2 and len(refused.stderr.splitlines()) == 1
    assert "a rebuild would lose: input Assumptions!C10 is 85.5, the data file has 79.9" in refused.stderr
    assert "kwai-xl pull" in refused.stderr and "My work" not in refused.stderr  # the sheet is carried, not lost

    pulled = run("pull", book, data_dir=quarter_dir)
    assert pulled.returncode == 0, pulled.stderr
    assert "market.price.value: 79.9 → 85.5" in pulled.stdout and "user_method.penetration.values.1: 0.6 → 0.65" in pulled.stdout

    rebuilt = run("build", "-q", "2022Q2", "--out", book, data_dir=quarter_dir)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "carried your sheet 'My work'" in rebuilt.stdout
    assert "My work!B2 refers to Assumptions!$C$10 by address" in rebuilt.stderr and "use the name price" in rebuilt.stderr
    assert not list(tmp_path.glob("k.*.bak.xlsx"))
    values = WorkbookValues(book)
    assert values.value("price") == 85.5 and values.numbers("um_penetration")[0][1] == 0.65
    assert values.cell("My work", 1, 2) == pytest.approx(2 * values.value("sotp_per_share"), rel=1e-12)
    assert values.cell("My work", 2, 2) == pytest.approx(86.5) and values.cell("My work", 3, 2) == 42
    mine = load_workbook(book)["My work"]
    assert mine["B1"].value == "=sotp_per_share*2" and mine["A1"].value == "Value per share, doubled"
    assert mine["B1"].number_format == "#,##0.000"
    assert mine.column_dimensions["A"].width == saved.column_dimensions["A"].width
    # and LibreOffice computes the carried sheet the same way
    recalculated = WorkbookValues(libreoffice.recalculate([book], tmp_path / "lo")[0])
    assert recalculated.cell("My work", 1, 2) == pytest.approx(2 * recalculated.value("sotp_per_share"), rel=1e-9)


EXTENDED = {"Company": "Fund A & Co", "Manager": "Mia Boss", "HyperlinkBase": "https://example.com/research/"}


def extended_of(book: Path) -> dict:
    """Company, Manager and HyperlinkBase as the file's docProps/app.xml holds them."""
    root = fromstring(zipfile.ZipFile(book).read("docProps/app.xml"))
    return {el.tag.rpartition("}")[2]: el.text for el in root if el.tag.rpartition("}")[2] in EXTENDED}


def custom_properties_of(book: Path) -> dict:
    """Custom document property name → (type, value), as openpyxl reads the file."""
    return {p.name: (type(p).__name__, p.value) for p in load_workbook(book).custom_doc_props}


@LO
@UNO
def test_document_properties_and_a_sheets_own_name_set_in_libreoffice_survive_rebuilds(quarter_dir, tmp_path):
    """File › Properties typed in Calc (title, subject, keywords, custom properties of each type, and Company, Manager
    and HyperlinkBase, which LibreOffice keeps as custom properties of those names and saves where Excel keeps
    them, in docProps/app.xml) and a name defined on a generated sheet, saved by LibreOffice, come through `build`
    and the build after it; kwai-xl's own properties are written afresh."""
    book = tmp_path / "k.xlsx"
    build_workbook(load_quarter(quarter_dir / "2022Q2.yaml"), book)
    ids = {custom_properties_of(book)[BUILD_PROPERTY][1]}
    uno_edit(book, [
        {"properties": {"Title": "Kuaishou: my SOTP view", "Subject": "01024.HK valuation", "Keywords": ["kuaishou", "sotp"]},
         "custom": {"Client": "Fund A", "Target price": 120.5, "Approved": True,
                    "Reviewed": {"datetime": "2026-03-04T10:30:00"}, **EXTENDED}},
        {"local_name": "my_price", "scope": "Assumptions", "refers_to": "$Assumptions.$C$10"},
    ], tmp_path)
    saved = load_workbook(book).properties  # as LibreOffice wrote them
    core = (saved.title, saved.subject, saved.keywords)
    assert core[:2] == ("Kuaishou: my SOTP view", "01024.HK valuation") and "sotp" in core[2]
    mine = {"Client": ("StringProperty", "Fund A"), "Target price": ("FloatProperty", 120.5),
            "Approved": ("BoolProperty", True), "Reviewed": ("DateTimeProperty", datetime(2026, 3, 4, 10, 30))}
    assert {n: v for n, v in custom_properties_of(book).items() if not n.startswith(OWN_PROPERTY_PREFIX)} == mine
    assert extended_of(book) == EXTENDED
    for _ in range(2):  # the second starts from the file exactly as kwai-xl wrote it
        rebuilt = run("build", "-q", "2022Q2", "--out", book, data_dir=quarter_dir)
        assert rebuilt.returncode == 0 and "not carried" not in rebuilt.stderr, rebuilt.stderr
        wb = load_workbook(book)
        assert (wb.properties.title, wb.properties.subject, wb.properties.keywords) == core
        props = custom_properties_of(book)
        assert {n: v for n, v in props.items() if not n.startswith(OWN_PROPERTY_PREFIX)} == mine
        assert extended_of(book) == EXTENDED
        assert props[BUILD_PROPERTY][1] not in ids and props[QUARTER_PROPERTY][1] == "2022Q2"
        ids.add(props[BUILD_PROPERTY][1])
        assert wb["Assumptions"].defined_names["my_price"].attr_text == "Assumptions!$C$10"
    assert not list(tmp_path.glob("k.*.bak.xlsx"))
    assert pull(book, data_dir=quarter_dir).changes == []


@LO
@UNO
def test_a_note_and_a_number_over_a_formula_are_named_and_kept(quarter_dir, tmp_path):
    book = tmp_path / "k.xlsx"
    build_workbook(load_quarter(quarter_dir / "2022Q2.yaml"), book)
    uno_edit(book, [{"name": "shares", "note": "check the share count"}, {"name": "sotp_per_share", "value": 150}],
             tmp_path)
    edited = book.read_bytes()
    refused = run("pull", book, data_dir=quarter_dir)
    assert refused.returncode == 2 and "SOTP!C27 (sotp_per_share) = 150" in refused.stderr
    refused = run("build", "-q", "2022Q2", "--out", book, data_dir=quarter_dir)
    assert refused.returncode == 2 and len(refused.stderr.splitlines()) == 1
    assert "the note on Assumptions!C11" in refused.stderr and "SOTP!C27 typed over a formula (150)" in refused.stderr
    assert "a sheet of your own" in refused.stderr and book.read_bytes() == edited
    forced = run("build", "-q", "2022Q2", "--out", book, "--force", data_dir=quarter_dir)
    assert forced.returncode == 0 and "kept the previous workbook as" in forced.stdout
    backup, = tmp_path.glob("k.*.bak.xlsx")
    assert backup.read_bytes() == edited
    assert WorkbookValues(book).value("sotp_per_share") == pytest.approx(per_share(quarter_dir), rel=1e-9)


def test_a_workbook_behind_a_hand_edited_data_file_is_rebuilt_not_pulled(quarter_dir, tmp_path):
    book = build_workbook(load_quarter(quarter_dir / "2022Q2.yaml"), tmp_path / "k.xlsx").path
    data_file = quarter_dir / "2022Q2.yaml"
    data_file.write_text(data_file.read_text(encoding="utf-8").replace("price: {value: 79.9,", "price: {value: 81.2,"),
                         encoding="utf-8")
    with pytest.raises(KwaiError, match=r"built from an older version .* market.price.value: 81.2 → 79.9"):
        pull(book, data_dir=quarter_dir)  # it would set the hand edit back
    rebuilt = replace_workbook(load_quarter(data_file), book, data_dir=quarter_dir)  # nothing typed in it: replaced
    assert rebuilt.backup is None and WorkbookValues(book).value("price") == 81.2


def test_what_cannot_be_carried_is_named_and_backed_up(quarter_dir, tmp_path):
    from openpyxl.chart import BarChart, Reference
    from openpyxl.comments import Comment

    q = load_quarter(quarter_dir / "2022Q2.yaml")
    book = build_workbook(q, tmp_path / "k.xlsx").path
    wb = load_workbook(book)
    ws = wb.create_sheet("Chart mine")
    for row in ([1], [2], [3]):
        ws.append(row)
    ws["B1"] = "=not a formula"
    ws["B1"].data_type = "s"
    ws["A1"].comment = Comment("my own note", "analyst")
    ws.column_dimensions["B"].width = 30
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=1, min_row=1, max_row=3))
    ws.add_chart(chart, "C2")
    wb.save(book)
    rebuilt = replace_workbook(q, book, data_dir=quarter_dir)
    assert rebuilt.carried == ["Chart mine"] and rebuilt.not_carried == ["sheet 'Chart mine': 1 chart"]
    assert rebuilt.backup is not None and "Chart mine" in load_workbook(rebuilt.backup).sheetnames
    mine = load_workbook(book)["Chart mine"]
    assert [row[0].value for row in mine.iter_rows()] == [1, 2, 3] and mine["A1"].comment.text == "my own note"
    assert mine["B1"].value == "=not a formula" and mine["B1"].data_type == "s" and mine.column_dimensions["B"].width == 30


@LO
def test_names_written_the_way_excel_writes_them_are_accepted(quarter_dir, tmp_path):
    book = tmp_path / "k.xlsx"
    build_workbook(load_quarter(quarter_dir / "2022Q2.yaml"), book)
    wb = load_workbook(book)
    for dn in wb.defined_names.values():  # Excel drops the quotes where a sheet name needs none
        dn.attr_text = re.sub(r"'([A-Za-z_][A-Za-z0-9_.]*)'!", r"\1!", dn.attr_text)
    wb.save(book)
    assert load_workbook(book).defined_names["price"].attr_text == "Assumptions!$C$10"
    assert pull(book, data_dir=quarter_dir).changes == []
    report, = verify_workbooks([book], variants=0, data_dir=quarter_dir)  # the names as Excel wrote them, no variants
    assert report.ok and len(report.compared) > 50, (report.missing, report.mismatches, report.errors, report.problems)
    assert replace_workbook(load_quarter(quarter_dir / "2022Q2.yaml"), book, data_dir=quarter_dir).backup is None


@LO
def test_text_round_trips_exactly(quarter_dir, tmp_path):
    data_file = quarter_dir / "2022Q2.yaml"
    doc = load_document(data_file)
    text = "line one\r\nline\ttwo, 快手 é _x000D_ literal"
    doc["market"]["price"]["source"] = text
    data_file.write_text(dump_document(doc), encoding="utf-8")
    book = build_workbook(load_quarter(data_file), tmp_path / "k.xlsx").path
    assert pull(book, data_dir=quarter_dir).changes == []  # as written by kwai-xl
    resave(book, tmp_path)
    assert pull(book, data_dir=quarter_dir).changes == []  # as written by LibreOffice (which stores \r as \n)
    assert YAML(typ="safe").load(data_file.read_text(encoding="utf-8"))["market"]["price"]["source"] == text
    assert rebuild_losses(book, load_quarter(data_file)) == []


def test_modes_follow_the_umask_and_pull_keeps_the_data_file_mode(quarter_dir, tmp_path):
    old = os.umask(0o022)
    try:
        book = build_workbook(load_quarter(quarter_dir / "2022Q2.yaml"), tmp_path / "k.xlsx").path
        assert stat.S_IMODE(book.stat().st_mode) == 0o644
        data_file = quarter_dir / "2022Q2.yaml"
        data_file.chmod(0o664)
        wb, cell = named_cell(book, "price")
        cell.value = 81
        wb.save(book)
        assert [c.new for c in pull(book, data_dir=quarter_dir).changes] == [81]
        assert stat.S_IMODE(data_file.stat().st_mode) == 0o664
    finally:
        os.umask(old)


def _edited_copy(book: Path, target: Path, name: str, value) -> Path:
    wb, cell = named_cell(book, name)
    cell.value = value
    wb.save(target)
    return target


def test_a_workbook_built_from_an_older_data_file_cannot_set_values_back(quarter_dir, tmp_path):
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    old = build_workbook(q, tmp_path / "old.xlsx").path
    new = build_workbook(q, tmp_path / "new.xlsx").path
    assert [c.new for c in pull(_edited_copy(new, new, "price", 88), data_dir=quarter_dir).changes] == [88]
    assert [c.new for c in pull(_edited_copy(new, new, "shares", 4300), data_dir=quarter_dir).changes] == [4300]
    _edited_copy(old, old, "fx_rmb_per_hkd", 0.86)
    with pytest.raises(KwaiError, match=r"built from an older version .* set 3 value\(s\) back: market.price.value: 88(\.0)? → 79.9"):
        pull(old, data_dir=quarter_dir)
    copy = _edited_copy(new, tmp_path / "copy.xlsx", "net_cash", 1)  # a copy of the pulled workbook
    _edited_copy(copy, copy, "price", 79.9)
    with pytest.raises(KwaiError, match=r"set 1 value\(s\) back: market.price.value: 88(\.0)? → 79.9"):
        pull(copy, data_dir=quarter_dir)
    assert load_quarter(quarter_dir / "2022Q2.yaml").market.price.value == 88
    accepted = pull(old, data_dir=quarter_dir, accept_older=True, accept_overrides=True)
    assert {c.path for c in accepted.changes} >= {"market.price.value", "market.fx_rmb_per_hkd.value"}


def test_two_pulls_at_once_lose_nothing(quarter_dir, tmp_path):
    seed = load_quarter(quarter_dir / "2022Q2.yaml")
    price, shares = seed.market.price.value, seed.market.shares.value
    book = build_workbook(seed, tmp_path / "k.xlsx").path
    a = _edited_copy(book, tmp_path / "a.xlsx", "price", 88)
    b = _edited_copy(book, tmp_path / "b.xlsx", "shares", 4300)
    env = {**os.environ, "KWAI_XL_DATA": str(quarter_dir)}
    procs = [subprocess.Popen([sys.executable, "-m", "kwai_xl", "pull", str(p)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for p in (a, b)]
    outs = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    assert sorted(rc for rc, _, _ in outs) == [0, 2], outs
    for rc, out, err in outs:
        assert "Traceback" not in out + err
        if rc == 2:
            assert len(err.splitlines()) == 1 and "built from an older version" in err
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    won = next(p for p, (rc, _, _) in zip((a, b), outs) if rc == 0)
    assert (q.market.price.value, q.market.shares.value) == ((88, shares) if won == a else (price, 4300))


def test_six_builds_at_once_to_one_path(quarter_dir, tmp_path):
    book = tmp_path / "k.xlsx"
    build_workbook(load_quarter(quarter_dir / "2022Q2.yaml"), book)
    procs = [subprocess.Popen([sys.executable, "-m", "kwai_xl", "build", "-q", "2022Q2", "--out", str(book)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env={**os.environ, "KWAI_XL_DATA": str(quarter_dir)})
             for _ in range(6)]
    outs = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    for rc, out, err in outs:
        assert rc == 0 and "Traceback" not in err and out.startswith("built "), (rc, out, err)
    assert WorkbookValues(book).value("sotp_per_share") == pytest.approx(per_share(quarter_dir), rel=1e-9)
    assert not list(tmp_path.glob(".*.tmp")) and not list(tmp_path.glob("*.bak.xlsx"))


def test_a_save_during_a_build_is_never_overwritten(quarter_dir, tmp_path):
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    book = build_workbook(q, tmp_path / "k.xlsx").path
    saved = {}

    def build_while_the_analyst_saves() -> bytes:
        data = book.read_bytes()  # the bytes of a fresh build
        _edited_copy(book, tmp_path / "saving.xlsx", "price", 91)
        os.replace(tmp_path / "saving.xlsx", book)  # the application saves into place
        saved["bytes"] = book.read_bytes()
        return data

    with pytest.raises(KwaiError, match=r"not replaced \(it was saved while kwai-xl was building\).*input Assumptions!C10 is 91"):
        write_workbook(book, build_while_the_analyst_saves, lambda p: rebuild_losses(p, q))
    assert book.read_bytes() == saved["bytes"]
    result = CliRunner().invoke(main, ["build", "--quarter", str(quarter_dir / "2022Q2.yaml"), "--out", str(book)])
    assert result.exit_code == 2 and "input Assumptions!C10 is 91" in result.stderr


def test_a_sheet_saved_during_a_build_is_never_overwritten(quarter_dir, tmp_path, saved_during_build):
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    book = build_workbook(q, tmp_path / "k.xlsx").path
    def save():
        wb = load_workbook(book)
        wb.create_sheet("Late idea")["A1"] = "=price*2"
        wb.save(tmp_path / "saving.xlsx")
        os.replace(tmp_path / "saving.xlsx", book)

    saved_during_build(save)
    with pytest.raises(KwaiError, match=r"saved while kwai-xl was building.*the sheets Late idea"):
        replace_workbook(q, book, data_dir=quarter_dir)
    assert "Late idea" in load_workbook(book).sheetnames
    saved_during_build(None)
    assert replace_workbook(q, book, data_dir=quarter_dir).carried == ["Late idea"]  # the next build carries it


def test_temporary_files_of_live_runs_are_left_alone(quarter_dir, tmp_path):
    book = tmp_path / "k.xlsx"
    live = tmp_path / f".k.xlsx.{os.getppid()}.abcd.tmp"
    dead = tmp_path / ".k.xlsx.999999999.abcd.tmp"
    live.write_bytes(b"half a workbook")
    dead.write_bytes(b"half a workbook")
    build_workbook(load_quarter(quarter_dir / "2022Q2.yaml"), book)
    assert live.exists() and not dead.exists()



def test_rows_inserted_in_libreoffice_are_followed_by_name(quarter_dir, tmp_path):
    """Rows inserted above an input move its defined name; pull reads the input where the name points now,
    and build names the inserted rows instead of sending the analyst round in circles."""
    book = tmp_path / "k.xlsx"
    run("build", "-q", "2022Q2", "--out", str(book), data_dir=quarter_dir)
    edited = uno_edit(book, [{"insert_rows_above": "price", "count": 2}, {"name": "price", "value": 85.5}], tmp_path)
    pulled = run("pull", str(edited), data_dir=quarter_dir)
    assert pulled.returncode == 0, pulled.stderr
    assert "market.price.value" in pulled.stdout and "85.5" in pulled.stdout
    assert load_quarter(quarter_dir / "2022Q2.yaml").market.price.value == 85.5
    rebuilt = run("build", "-q", "2022Q2", "--out", str(edited), data_dir=quarter_dir)
    assert rebuilt.returncode == 2 and "rows inserted or deleted on Assumptions" in rebuilt.stderr
    assert "--force" in rebuilt.stderr


def test_languages_have_their_own_files_and_replacing_another_quarter_keeps_a_backup(quarter_dir, tmp_path, monkeypatch):
    from kwai_xl import paths

    monkeypatch.setattr(paths, "WORKBOOKS_DIR", tmp_path)
    q22, q25 = load_quarter(quarter_dir / "2022Q2.yaml"), load_quarter(quarter_dir / "2025Q4.yaml")
    en, zh = replace_workbook(q22), replace_workbook(q22, lang="zh")
    assert (en.path.name, zh.path.name) == ("kuaishou-2022Q2.xlsx", "kuaishou-2022Q2-zh.xlsx")
    assert en.backup is None and zh.backup is None
    before = en.path.read_bytes()
    rolled = replace_workbook(q25, en.path)  # the 2022Q2 workbook named as the output of 2025Q4
    assert rolled.backup is not None and rolled.backup.read_bytes() == before
    assert rolled.warnings == [f"{en.path} held the 2022Q2 workbook (en), now 2025Q4 (en)"]
    assert replace_workbook(q25, en.path).backup is None  # the same quarter again: replaced as always


def test_names_of_ones_own_survive_every_rebuild(quarter_dir, tmp_path):
    """Names the analyst defined are carried by the first rebuild, and by the next ones too: a file exactly as
    kwai-xl wrote it takes the shortcut only when it holds nothing but what the build writes again."""
    from openpyxl.workbook.defined_name import DefinedName

    book = tmp_path / "n.xlsx"
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    replace_workbook(q, book)
    wb = load_workbook(book)
    wb.defined_names["my_target"] = DefinedName("my_target", attr_text="Assumptions!$C$10*1.2")
    wb.defined_names["my_cell"] = DefinedName("my_cell", attr_text="SOTP!$C$27")
    wb.save(book)
    for _ in range(2):
        replace_workbook(q, book)
        names = load_workbook(book).defined_names
        assert names["my_target"].attr_text == "Assumptions!$C$10*1.2" and names["my_cell"].attr_text == "SOTP!$C$27"
    assert untouched_since_built(book)  # the shortcut's condition held, and the names were read and carried all the same


def test_a_sheet_added_between_reading_and_judging_is_never_lost(quarter_dir, tmp_path, monkeypatch):
    """The file is saved with a sheet of the analyst's after kwai-xl read it and before it judged it: the build
    reads it again and refuses, rather than judging the copy it read first."""
    from kwai_xl.readback import replace

    book = tmp_path / "r.xlsx"
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    replace_workbook(q, book)
    edited = tmp_path / "edited.xlsx"
    wb = load_workbook(book)
    wb.create_sheet("My work")["A1"] = "my notes"
    wb.save(edited)
    original = replace._built_for

    def saved_meanwhile(path):
        shutil.copyfile(edited, path)
        return original(path)

    monkeypatch.setattr(replace, "_built_for", saved_meanwhile)
    with pytest.raises(KwaiError, match="My work"):
        replace_workbook(q, book)
    assert load_workbook(book)["My work"]["A1"].value == "my notes"


def test_an_xlwings_conf_sheet_of_ones_own_is_carried(quarter_dir, tmp_path):
    """xlwings' docs tell users to add an xlwings.conf sheet; in a workbook built without --xlwings it is theirs."""
    book = tmp_path / "x.xlsx"
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    replace_workbook(q, book)
    wb = load_workbook(book)
    conf = wb.create_sheet("xlwings.conf")
    conf["A1"], conf["B1"] = "Interpreter_Win", r"C:\\Users\\me\\python.exe"
    wb.save(book)
    result = replace_workbook(q, book)
    assert result.carried == ["xlwings.conf"]
    assert load_workbook(book)["xlwings.conf"]["B1"].value == r"C:\\Users\\me\\python.exe"


REVISION_1 = "e882bbf4a41faace"
"""What kwai-xl before per-figure dates recorded as tests/fixtures/revision-1/2022Q2.yaml's data revision."""


def test_a_workbook_built_before_per_figure_dates_pulls_its_edits_as_it_did(tmp_path):
    from kwai_xl.workbook.build import DATA_PROPERTY, data_revisions

    folder = tmp_path / "quarters"
    folder.mkdir()
    shutil.copy(Path(__file__).parent / "fixtures" / "revision-1" / "2022Q2.yaml", folder / "2022Q2.yaml")
    q = load_quarter(folder / "2022Q2.yaml")
    assert REVISION_1 in data_revisions(q)
    book = build_workbook(q, tmp_path / "k.xlsx").path
    wb, cell = named_cell(book, "price")
    next(p for p in wb.custom_doc_props if p.name == DATA_PROPERTY).value = REVISION_1  # as that version wrote it
    cell.value = 81
    wb.save(book)
    assert [c.new for c in pull(book, data_dir=folder).changes] == [81]  # not "built from an older version"


def test_a_workbook_built_before_a_date_was_split_off_counts_as_older(tmp_path):
    """Revision 1 hashed no market_cap_as_of: once the file dates a market cap apart, a workbook of revision 1
    (which shows the row's date beside it) would set that date back, and is refused as older."""
    from kwai_xl.workbook.build import DATA_PROPERTY

    folder = tmp_path / "quarters"
    folder.mkdir()
    shutil.copy(Path(__file__).parent / "fixtures" / "revision-1" / "2022Q2.yaml", folder / "2022Q2.yaml")
    book = build_workbook(load_quarter(folder / "2022Q2.yaml"), tmp_path / "k.xlsx").path
    wb, cell = named_cell(book, "price")
    next(p for p in wb.custom_doc_props if p.name == DATA_PROPERTY).value = REVISION_1
    cell.value = 81
    wb.save(book)
    data = folder / "2022Q2.yaml"
    text = data.read_text(encoding="utf-8")
    data.write_text(text.replace("          market_cap: 2487\n", "          market_cap: 2487\n          market_cap_as_of: "
                                 "2022-06-08\n          market_cap_source: a terminal export\n", 1), encoding="utf-8")
    with pytest.raises(KwaiError, match="built from an older version"):
        pull(book, data_dir=folder)


def test_a_formula_a_workbook_lacks_is_no_typed_value_over_it(quarter_dir, tmp_path):
    """A workbook built before the layout gained formulas (Peer Comps' dates) holds nothing there: its edits pull."""
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    book = build_workbook(q, tmp_path / "k.xlsx").path
    sheet = next(s for s in layouts(q) if s.key == "peer_comps")
    wb, cell = named_cell(book, "price")
    ws = wb[sheet.title]
    cleared = 0
    for item in sheet.items():
        if item.kind == "formula" and (item.id or "").endswith("_dates"):
            for i, row in enumerate(item.cells):
                for j, raw in enumerate(row):
                    if raw is not None:
                        ws.cell(item.row + i, item.col + j).value = None
                        cleared += 1
    assert cleared
    cell.value = 81
    wb.save(book)
    assert [c.new for c in pull(book, data_dir=quarter_dir).changes] == [81]


def test_a_rebuild_refused_over_a_workbook_of_other_templates_says_so(quarter_dir, tmp_path):
    """A workbook built by another kwai-xl version differs from a fresh build where nobody typed: the refusal says
    its lines may be the new layout's (its own templates' revision is recorded at build time)."""
    from kwai_xl.readback.losses import OTHER_LAYOUT
    from kwai_xl.workbook.build import LAYOUT_PROPERTY

    q = load_quarter(quarter_dir / "2022Q2.yaml")
    book = build_workbook(q, tmp_path / "k.xlsx").path
    wb = load_workbook(book)
    wb.worksheets[0]["A1"] = "My heading"
    wb.save(book)
    assert OTHER_LAYOUT not in rebuild_losses(book, q)
    wb = load_workbook(book)
    next(p for p in wb.custom_doc_props if p.name == LAYOUT_PROPERTY).value = "0" * 16
    wb.save(book)
    lost = rebuild_losses(book, q)
    assert lost[0] == OTHER_LAYOUT and any("A1" in line for line in lost[1:])
    with pytest.raises(KwaiError, match="another kwai-xl version"):
        replace_workbook(q, book)


@LO
def test_an_analysts_link_and_literal_escape_text_are_carried_as_they_were(quarter_dir, tmp_path):
    """A hyperlink on the analyst's own sheet, and text that reads like an escape (_x0041_), saved by LibreOffice,
    come through a rebuild as they were (the link was dropped; the text was written raw, which Excel reads as "A")."""
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    book = build_workbook(q, tmp_path / "k.xlsx").path
    wb = load_workbook(book)
    ws = wb.create_sheet("Links")
    ws["A1"] = "annual report"
    ws["A1"].hyperlink = "https://ir.kuaishou.com/"
    ws["A2"] = "_x0041_ is not A"
    wb.save(book)
    resave(book, tmp_path)
    result = replace_workbook(q, book, force=True)
    assert "Links" in result.carried
    carried = load_workbook(book)["Links"]
    assert carried["A1"].hyperlink is not None and carried["A1"].hyperlink.target == "https://ir.kuaishou.com/"
    assert carried["A2"].value == "_x0041_ is not A"
    with zipfile.ZipFile(book) as z:
        assert b"_x005F_x0041_ is not A" in z.read("xl/sharedStrings.xml")
    resave(book, tmp_path)
    assert "Links" in replace_workbook(q, book).carried  # again, as LibreOffice saved it: nothing to lose
    assert load_workbook(book)["Links"]["A2"].value == "_x0041_ is not A"


def test_a_later_quarter_file_giving_actuals_does_not_block_a_rebuild(quarter_dir, tmp_path, monkeypatch):
    """Forecast vs Actual is filled from later quarter files: when one starts to give an actual, a rebuild of an
    edited and pulled workbook takes it (the placeholder was nobody's edit); a value typed there is named."""
    from datetime import date

    from kwai_xl.quarters.market_import import import_market
    from kwai_xl.quarters.rollover import new_quarter

    monkeypatch.setattr("kwai_xl.paths.DATA_DIR", quarter_dir)  # the later files are read from the data folder
    q = load_quarter(quarter_dir / "2025Q4.yaml")
    book = build_workbook(q, tmp_path / "k.xlsx").path
    _edited_copy(book, book, "price", 69)
    pull(book, data_dir=quarter_dir)
    rolled = new_quarter("2026Q4", "2025Q4", data_dir=quarter_dir, today=date(2026, 12, 5))
    export = tmp_path / "e.csv"
    export.write_text("Ticker,Date,Currency,PX_LAST\n1024.HK,2026-12-04,HKD,70.1\n", encoding="utf-8")
    import_market(export, rolled.path)
    q = load_quarter(quarter_dir / "2025Q4.yaml")
    typed = _edited_copy(book, tmp_path / "typed.xlsx", "fva_actual", 99)  # a copy with an actual typed over
    assert replace_workbook(q, book).backup is None  # replaced, not refused
    assert 70.1 in [v for row in WorkbookValues(book).block("fva_actual") for v in row]
    with pytest.raises(KwaiError, match=r"Forecast vs Actual!\w+ holds 99, later quarter files now give"):
        replace_workbook(q, typed)


def _serial(day: date) -> int:
    """A date as a spreadsheet's serial number (1900 system)."""
    return (day - date(1899, 12, 30)).days


@LO
@UNO
def test_stale_dates_refreshed_in_the_workbook_pull_and_rebuild_without_force(quarter_dir, tmp_path):
    """Refreshing the dates of stale inputs in the workbook (as a rolled quarter asks) and pulling them shortens the
    Cover's list of stale inputs, moving every row below it: nobody edited the Cover, so the rebuild goes through."""
    q = load_quarter(quarter_dir / "2025Q4.yaml")
    book = tmp_path / "k.xlsx"
    assert run("build", "-q", "2025Q4", "--out", book, data_dir=quarter_dir).returncode == 0
    assumptions = next(s for s in layouts(q) if s.key == "assumptions")
    refreshed = [it for it in assumptions.items() if it.name and it.name.startswith("um_") and it.as_of]
    assert len(refreshed) >= 3 and all(i.as_of == "2022-06-08" for i in refreshed)  # stale: listed on the Cover
    cover_before = [c.value for c in load_workbook(book)[layouts(q)[0].title]["A"]]
    column = get_column_letter(assumptions.as_of_col)
    uno_edit(book, [{"at": [assumptions.title, f"{column}{it.row}"], "value": _serial(date(2025, 11, 20))}
                    for it in refreshed], tmp_path)
    pulled = run("pull", book, data_dir=quarter_dir)
    assert pulled.returncode == 0 and pulled.stdout.count(": 2022-06-08 → 2025-11-20") >= len(refreshed), pulled.stdout
    rebuilt = run("build", "-q", "2025Q4", "--out", book, data_dir=quarter_dir)
    assert rebuilt.returncode == 0, rebuilt.stderr
    cover_after = [c.value for c in load_workbook(book)[layouts(q)[0].title]["A"]]
    assert len(cover_after) < len(cover_before)  # the list is shorter: the rows below it moved up
    assert not list(tmp_path.glob("k.*.bak.xlsx"))


@LO
@UNO
def test_a_shared_source_edited_beside_one_row_pulls_and_rebuilds_without_force(quarter_dir, tmp_path):
    """Kuaishou's source shows beside each of its rows; edited beside one and pulled, the rebuild writes it beside
    all of them (the other copies were left as built: nothing of the analyst's is there to lose)."""
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    book = tmp_path / "k.xlsx"
    build_workbook(q, book)
    assumptions = next(s for s in layouts(q) if s.key == "assumptions")
    ws = load_workbook(book)[assumptions.title]
    rows = [r for r in range(1, ws.max_row + 1) if ws.cell(r, assumptions.source_col).value == q.kuaishou.source]
    assert len(rows) >= 2
    column = get_column_letter(assumptions.source_col)
    uno_edit(book, [{"at": [assumptions.title, f"{column}{rows[0]}"], "value": "analyst: own estimates, 2022-06-03"}],
             tmp_path)
    pulled = run("pull", book, data_dir=quarter_dir)
    assert pulled.returncode == 0 and "kuaishou.source" in pulled.stdout, pulled.stdout
    assert "no input changed" in run("pull", book, data_dir=quarter_dir).stdout
    rebuilt = run("build", "-q", "2022Q2", "--out", book, data_dir=quarter_dir)
    assert rebuilt.returncode == 0, rebuilt.stderr
    ws = load_workbook(book)[assumptions.title]
    assert {ws.cell(r, assumptions.source_col).value for r in rows} == {"analyst: own estimates, 2022-06-03"}


def test_a_data_cell_pull_does_not_read_is_never_overwritten_silently(quarter_dir, tmp_path):
    """A figure of a table no public name covers (Kuaishou history) and a constant of Assumptions are data cells
    pull does not read: edited in the workbook, the rebuild is refused, naming each as the data file's to change
    (not pull's to carry), however pull's verdict on the other inputs reads."""
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    book = build_workbook(q, tmp_path / "k.xlsx").path
    sheets = {s.key: s for s in layouts(q)}
    history = next(it for it in sheets["history"].items() if it.kind == "input" and not it.name)
    constant = next(it for it in sheets["assumptions"].items() if it.name == "months_per_year")
    wb = load_workbook(book)
    wb[sheets["history"].title].cell(history.row, history.col).value = 40000
    wb[sheets["assumptions"].title].cell(constant.row, constant.col).value = 13
    wb[sheets["assumptions"].title].cell(10, 3).value = 85.5  # the price, which pull carries
    wb.save(book)
    refused = run("build", "-q", "2022Q2", "--out", book, data_dir=quarter_dir)
    assert refused.returncode == 2, refused.stdout
    line = refused.stderr
    for sheet, item, value in ((sheets["history"], history, "40,000"), (sheets["assumptions"], constant, "13")):
        where = f"{sheet.title}!{get_column_letter(item.col)}{item.row}"
        assert f"input {where} is {value}, the data file has" in line and "pull does not read this cell" in line, line
    assert "input Assumptions!C10 is 85.5, the data file has 79.9 (at market.price.value)" in line
    assert load_workbook(book)[sheets["history"].title].cell(history.row, history.col).value == 40000  # kept
    assert run("pull", book, data_dir=quarter_dir).returncode == 0  # the price; the others stay refused
    refused = run("build", "-q", "2022Q2", "--out", book, data_dir=quarter_dir)
    assert refused.returncode == 2 and "pull does not read this cell" in refused.stderr and "C10" not in refused.stderr
